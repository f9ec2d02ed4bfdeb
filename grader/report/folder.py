"""The output folder, written the same way by both front ends.

``for_assignment`` makes it for a front end; ``add`` writes a submission's
``feedback/<id>.html`` and then its ``<id>.json`` (last: a record on disk means the submission is
done); ``finish`` applies the instructor's ``overrides.csv`` and the assignment's late policy
(``applied_marks.py``), then rebuilds the class files
(``gradebook.csv``, ``junit.xml``, ``summary.html``) from every record in the folder, so a
resumed batch writes them whole; after ``compare`` (a class's batch), ``similarity.csv`` too.
"""

from __future__ import annotations

from pathlib import Path

from grader.atomic_write import write_atomic
from grader.marks.late import LatePolicy, late_policy
from grader.marks.similarity import Code, Pair, boilerplate, compare, read_code
from grader.record_data import RecordData
from grader.report import json_record
from grader.report.applied_marks import adjust_folder
from grader.report.gradebook import gradebook_csv
from grader.report.graded import Graded
from grader.report.junit import junit_xml
from grader.report.similarity import similarity_csv, similarity_section
from grader.report.summary import write_summary
from grader.submissions.finding import Job

FEEDBACK_DIR = "feedback"


class RecordFolder:
    """``<id>.json`` records, ``feedback/<id>.html`` pages and the class files."""

    def __init__(self, directory: Path, late: LatePolicy | None = None) -> None:
        self.directory = directory
        # The assignment's late policy, applied with ``overrides.csv`` by ``finish``.
        self.late = late
        self.similar: tuple[list[Pair], dict[str, Code]] | None = None

    @classmethod
    def for_assignment(cls, directory: Path, assignment_folder: Path) -> RecordFolder:
        """The output folder of a front end grading the assignment in ``assignment_folder``: its
        late policy applied with the folder's overrides (both front ends, the same final scores);
        raises ``AdjustmentError`` when its ``[late]`` is wrong."""
        return cls(directory, late_policy(assignment_folder))

    def compare(self, jobs: list[Job], assignment_folder: Path) -> None:
        """Compare the class's code (the assignment's own subtracted); ``finish`` writes the
        report."""
        if len(jobs) < 2:
            self.similar = (
                [],
                {},
            )  # one submission: nothing to compare it with (nor copydetect to import)
            return
        codes = {
            job.id: code
            for job in jobs
            if job.problem is None and (code := read_code(job.id, job.path)) is not None
        }
        self.similar = (compare(list(codes.values()), boilerplate(assignment_folder)), codes)

    def existing(self, job: Job) -> RecordData | None:
        return json_record.read(self.directory / f"{job.id}.json")

    def add(self, graded: Graded) -> None:
        if graded.feedback is not None:
            write_atomic(self.directory / FEEDBACK_DIR / f"{graded.job.id}.html", graded.feedback)
        # The record goes last: its presence marks the submission done.
        json_record.write(graded.record, self.directory)

    def records(self) -> list[RecordData]:
        found = (json_record.read(p) for p in sorted(self.directory.glob("*.json")))
        return [r for r in found if r is not None and "checks" in r]

    def finish(self, lang: str) -> None:
        records = adjust_folder(self.directory, self.records(), self.late, FEEDBACK_DIR)
        write_atomic(self.directory / "gradebook.csv", gradebook_csv(records))
        write_atomic(self.directory / "junit.xml", junit_xml(records))
        section = ""
        if self.similar is not None:
            pairs, codes = self.similar
            write_atomic(self.directory / "similarity.csv", similarity_csv(pairs))
            section = similarity_section(pairs, codes, lang)
        write_summary(records, lang, self.directory, section)
