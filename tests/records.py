"""Records as ``grader grade`` writes them, made without running a notebook: what the
after-grading tests (overrides, late penalties, exports, the class summary) start from.

Each is an engine ``Record`` taken the writers' own way (``report.graded.view_of`` and
``package``, then ``RecordFolder.add`` or JSON), never a dictionary typed here: a key renamed in
the writers fails the tests that read it."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from grader.course.assignment import Assignment, digest, load_assignment
from grader.outcome import Message
from grader.record import CheckResult, Record, Status
from grader.report.folder import RecordFolder
from grader.report.graded import Graded, package, view_of
from grader.submissions.finding import Job
from grader.submissions.lms_names import LmsMark

# Each check of week 8 the records hold, its maximum and the message of a check that lost points.
CHECKS = (
    ("run.cells", 1.0, Message("run.cells", {"count": 1, "cell": 3, "error": "NameError"})),
    ("model.layers", 4.0, Message("model.layer_count", {"expected": 8, "found": 6})),
    ("fit.epochs", 5.0, Message("fit.epochs", {"expected": 20, "found": 1})),
)


@functools.cache
def _week8() -> tuple[Assignment, str]:
    assignment = load_assignment("week8")
    return assignment, digest(assignment)


def graded(
    id: str,
    points: dict[str, float] | None = None,
    *,
    lms: LmsMark | None = None,
    status: Status = "graded",
    language: str = "en",
) -> Graded:
    """A grading of week 8 with three checks, as the writers package it; ``points`` by check
    (default: full marks)."""
    checks = tuple(
        CheckResult(
            check,
            check.split(".")[0],
            "passed" if given == maximum else "failed",
            given,
            maximum,
            None if given == maximum else message,
        )
        for check, maximum, message in CHECKS
        for given in [(points or {}).get(check, maximum)]
    )
    error = Message("grader.internal", {"detail": "boom"}) if status == "grader_error" else None
    record = Record(
        "week8",
        f"{id}.ipynb",
        status,
        sum(c.points for c in checks),
        sum(c.max_points for c in checks),
        1.0,
        checks,
        error=error,
    )
    job = Job(id, Path(f"{id}.ipynb"), lms=lms)
    assignment, sha256 = _week8()
    return package(view_of(job, record, assignment, language, sha256), job)


def record(id: str, points: dict[str, float] | None = None, **given: Any) -> dict[str, Any]:
    """The JSON document of ``graded(id, points, **given)``, read back as the tools read it."""
    return json.loads(json.dumps(graded(id, points, **given).record))


def canvas(user: str, name: str, *, late: bool = False, attempt: int = 0) -> LmsMark:
    """What Canvas's download name says of a submission."""
    return LmsMark("canvas", user, name, late, "9" + user, attempt, "week8.ipynb")


def write_records(out: Path, *written: Graded) -> Path:
    """``out/<id>.json`` and ``out/feedback/<id>.html`` for each grading, as a batch writes them."""
    folder = RecordFolder(out)
    for one in written:
        folder.add(one)
    return out


def read(out: Path, id: str) -> dict[str, Any]:
    return json.loads((out / f"{id}.json").read_text(encoding="utf-8"))
