"""The record of one grading: its status, score and check results.  Plain data.

The engine makes a ``Record``; everything after it (the view, the JSON document, the
terminal report, the feedback page, the class files) reads it and never changes it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Literal, get_args

from grader.boundary.execution import Isolation
from grader.course.visibility import Visibility, Withheld
from grader.evidence.facts import Facts
from grader.evidence.integrity import Integrity
from grader.outcome import CheckStatus, Message

# "student_error": the kernel died; "grader_error": the grader's own fault, never a score;
# "grader_timeout": the grader's own work after the cells passed its deadline, never a score.
Status = Literal[
    "graded",
    "student_error",
    "timeout",
    "resource_limit",
    "invalid_submission",
    "grader_error",
    "grader_timeout",
]
STATUSES: tuple[Status, ...] = get_args(Status)
# The statuses of a grading the grader itself could not finish: never a score, graded again by a
# rerun of the batch.
GRADER_FAULTS: frozenset[str] = frozenset({"grader_error", "grader_timeout"})


@dataclass(frozen=True)
class CheckResult:
    id: str
    area: str
    status: CheckStatus
    points: float
    max_points: float
    message: Message | None
    # The title by language, for checks the catalog does not name (an assignment's own).
    title: dict[str, str] | None = None
    # Who sees its result (``visibility.py``): a hidden one's message is the instructor's.
    visibility: Visibility = "visible"
    # The check whose failure this one follows from (``checks/dependencies.py``): the first of
    # its chain, to fix first.  ``waived``: its points kept all the same (``[scoring]``).
    caused_by: str | None = None
    waived: bool = False

    @property
    def passed(self) -> bool:
        return self.status == "passed"


@dataclass(frozen=True)
class Record:
    assignment: str
    submission: str
    status: Status
    score: float
    max_score: float
    duration_s: float
    checks: tuple[CheckResult, ...]
    notes: tuple[Message, ...] = ()
    error: Message | None = None
    facts: Facts | None = None
    # Seconds spent in each phase (kernel start-up, student cells, evidence, grader training).
    timings: dict[str, float] = dataclasses.field(default_factory=dict)
    # For instructors only: the grader's own traceback when status is grader_error.
    grader_traceback: str | None = None
    # Which layers of isolation held while the student's code ran (None: it never ran).
    isolation: Isolation | None = None
    # The checks a self-check left out, graded after submission.
    withheld: Withheld = Withheld()
    # Whether the evidence the kernel left was changed after it was recorded (None: no code ran).
    integrity: Integrity | None = None
