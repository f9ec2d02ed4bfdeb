"""One view of a record, built once: everything a writer shows, in the student's language.

A ``Record`` holds keys and data; every output (the JSON document, the terminal report,
the feedback page, a failing pytest item) shows the same titles, messages, hints and
notes.  They are rendered here, once per record, and each writer only lays them out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from grader.boundary.execution import CellOutcome
from grader.checks.expected import Expected
from grader.course.visibility import Disclosure, shown_to_student
from grader.evidence.hints import hint_for
from grader.messages import Rendered, check_title, in_language, one_line, render, text
from grader.outcome import Message, Term
from grader.record import CheckResult, Record
from grader.report.curves import ReferenceCurves
from grader.report.isolation_line import record_line

# A check's result at a glance, in every writer.
MARK = {"passed": "✔", "failed": "✘", "not_run": "–", "skipped": "○"}


@dataclass(frozen=True)
class MessageView:
    message: Message
    # The parameters with their catalog terms in the language: what the JSON record keeps.
    params: dict[str, Any]
    rendered: Rendered
    # ``Expected: …. Found: …. How to fix: …``: the form of the JSON record and JUnit.
    line: str


@dataclass(frozen=True)
class CheckView:
    result: CheckResult
    title: str
    area: str
    status: str
    mark: str
    # Shown when the check did not pass and says why.
    message: MessageView | None
    # Whether the student may read this result (``visibility.shown_to_student``); the instructor
    # always may.
    shown: bool = True


@dataclass(frozen=True)
class CellView:
    number: int
    outcome: CellOutcome
    duration_s: float
    # ``Name: value`` of the error the cell raised, and its traceback (or that summary).
    error: str | None
    trace: str
    hint: str | None

    @property
    def failed(self) -> bool:
        return self.outcome in ("error", "timeout")


@dataclass(frozen=True)
class View:
    record: Record
    lang: str
    # The student's id (the file's stem, or their folder's name in a class folder).
    id: str
    submission_sha256: str | None
    assignment_sha256: str
    status: str
    checks: tuple[CheckView, ...]
    error: MessageView | None
    cells: tuple[CellView, ...]
    notes: tuple[str, ...]
    # The isolation that held, in a sentence, and whether every layer did (None: no code ran).
    isolation: tuple[str, bool] | None
    # What the feedback page shows beside the student's own: the expected model and curves.
    expected: Expected | None
    curves: ReferenceCurves | None
    # An instructor's grading (every check ran); ``released``: after-due-date results may be shown.
    instructor: bool = False
    released: bool = False
    # What the student's page may show of the expectation (``visibility.disclosure``).
    disclosure: Disclosure = Disclosure()

    @property
    def unpassed(self) -> tuple[CheckView, ...]:
        """The failed and not-run checks that say why."""
        return tuple(
            c
            for c in self.checks
            if c.result.status in ("failed", "not_run") and c.message is not None
        )


def _message(message: Message, lang: str) -> MessageView:
    params = {
        key: in_language(value, lang) if isinstance(value, Term) else value
        for key, value in message.params.items()
    }
    return MessageView(message, params, render(message, lang), one_line(message, lang))


def _check(check: CheckResult, lang: str, released: bool) -> CheckView:
    explained = check.message is not None and not check.passed
    return CheckView(
        check,
        check_title(check, lang),
        text(lang, "area", check.area),
        text(lang, "ui", check.status),
        MARK.get(check.status, ""),
        _message(check.message, lang) if explained and check.message else None,
        shown_to_student(check.visibility, released),
    )


def _cells(record: Record, lang: str) -> tuple[CellView, ...]:
    if record.facts is None:
        return ()
    views = []
    for cell in record.facts.execution.cells:
        error = f"{cell.error.name}: {cell.error.value}" if cell.error else None
        trace = (cell.error.traceback or error or "") if cell.error else cell.outcome
        hint = hint_for(cell)
        views.append(
            CellView(
                cell.number,
                cell.outcome,
                cell.duration_s,
                error,
                trace,
                text(lang, "hint", hint) if hint else None,
            )
        )
    return tuple(views)


def _note(note: Message, lang: str) -> str:
    return text(
        lang,
        "note",
        note.key.split(".", 1)[1],
        **{k: in_language(v, lang) for k, v in note.params.items()},
    )


def _notes(record: Record, lang: str) -> tuple[str, ...]:
    withheld = record.withheld
    later = (
        (text(lang, "note", "withheld", checks=withheld.checks, points=f"{withheld.points:g}"),)
        if withheld.checks
        else ()
    )
    return tuple(_note(note, lang) for note in record.notes) + later


def build_view(
    record: Record,
    lang: str,
    student: str,
    submission_sha256: str | None,
    assignment_sha256: str,
    expected: Expected | None = None,
    curves: ReferenceCurves | None = None,
    *,
    instructor: bool = False,
    released: bool = False,
    disclosure: Disclosure = Disclosure(),
) -> View:
    """The view of ``record`` in ``lang``; ``expected`` and ``curves`` for the feedback page;
    ``instructor``: every check ran, ``released``: after-due-date results may be shown to the
    student; ``disclosure``:
    what of the expectation the student may see."""
    return View(
        record=record,
        lang=lang,
        id=student,
        submission_sha256=submission_sha256,
        assignment_sha256=assignment_sha256,
        status=text(lang, "status", record.status),
        checks=tuple(_check(check, lang, released) for check in record.checks),
        error=_message(record.error, lang) if record.error is not None else None,
        cells=_cells(record, lang),
        notes=_notes(record, lang),
        isolation=record_line(record.isolation.to_data() if record.isolation else None, lang),
        expected=expected,
        curves=curves,
        instructor=instructor,
        released=released,
        disclosure=disclosure,
    )
