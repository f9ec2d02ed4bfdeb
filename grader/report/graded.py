"""A grading as what leaves the grading process: the record's view, rendered once.

Both front ends and every batch worker make the view here, from the ``Record`` and the
assignment, and render what is written from it (the JSON document, the feedback page).
Only plain data (``Graded``) crosses back from a worker to the process that writes files.
"""

from __future__ import annotations

from dataclasses import dataclass

from grader.course.assignment import Assignment
from grader.course.visibility import disclosure
from grader.record import Record
from grader.record_data import RecordData
from grader.report.curves import reference_curves
from grader.report.feedback_html import feedback_page
from grader.report.json_record import to_data
from grader.report.view import View, build_view
from grader.submissions.finding import Job, fingerprint


@dataclass(frozen=True)
class Graded:
    job: Job
    # The JSON document (``report/json_record.py``) and the feedback page, if there is one.
    record: RecordData
    feedback: str | None


def view_of(
    job: Job,
    record: Record,
    assignment: Assignment,
    lang: str,
    assignment_sha256: str,
    *,
    instructor: bool = False,
    released: bool = False,
) -> View:
    """The view of a graded ``record`` of ``job``, with the expected model and reference curves
    (what of
    them the student may see: ``visibility.disclosure``)."""
    # The expected model is shown beside the student's when the notebook ran (Keras is loaded then).
    expected = assignment.expected if record.facts is not None else None
    curves = reference_curves(assignment.folder, assignment.budget, expected)
    return build_view(
        record,
        lang,
        job.id,
        fingerprint(job.path),
        assignment_sha256,
        expected,
        curves,
        instructor=instructor,
        released=released,
        disclosure=disclosure(assignment.visibility, released, assignment.undisclosed),
    )


def package(view: View, job: Job) -> Graded:
    """The view as what is written: its JSON document and its feedback page."""
    return Graded(job, with_lms(to_data(view), job), feedback_page(view))


def failure_document(job: Job, record: Record, lang: str, assignment_sha256: str) -> RecordData:
    """The JSON document of a job the grader failed on (no feedback page, no file digest)."""
    return with_lms(to_data(build_view(record, lang, job.id, None, assignment_sha256)), job)


def with_lms(document: RecordData, job: Job) -> RecordData:
    """The JSON document with what the LMS's download said of the job (``lms``), if anything."""
    if job.lms is None:
        return document
    marked = document.copy()
    marked["lms"] = job.lms.to_data()
    return marked
