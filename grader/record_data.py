"""The record as the JSON document every writer reads (``DIR/<submission>.json``), typed.

``report/json_record.to_data`` makes it from a ``Record``; the class files, the platforms' results,
the marks and the front ends read it back, from memory or from the output folder.  Each key is
declared here once, so that a key a writer misspells, or one the document no longer has, is a type
error (mypy, in CI) rather than a silent ``None``.  Keys a later step adds are ``NotRequired``:
the final score and its adjustments (``report/applied_marks.py``), the LMS mark
(``report/graded.py``).
"""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict

from grader.course.visibility import Visibility
from grader.outcome import CheckStatus
from grader.record import Status


class CheckData(TypedDict):
    id: str
    title: str
    area: str
    status: CheckStatus
    passed: bool
    points: float
    max_points: float
    message: str
    # The catalog key of the message and its parameters (what the class summary groups by).
    key: str | None
    params: dict[str, Any]
    visibility: Visibility
    caused_by: str | None
    # Present where ``caused_by`` is: whether the consequence kept its points.
    waived: NotRequired[bool]


class CellData(TypedDict):
    cell: int
    outcome: str
    duration_s: float
    error: str | None
    hint: str | None


class TrialData(TypedDict):
    seed: int
    accuracy: float | None


class MeasuredData(TypedDict):
    # The first measurement; ``judged_accuracy``: what the verdict read (the mean of ``trials``).
    accuracy: float | None
    judged_accuracy: float | None
    samples: int
    epochs: int
    test_samples: int
    error: str | None
    trials: list[TrialData]
    false_fail_chance: float | None


class FindingData(TypedDict):
    key: str
    params: dict[str, Any]
    text: str


class IntegrityData(TypedDict):
    status: str
    findings: list[FindingData]


class WithheldData(TypedDict):
    # How many checks, for how many points.
    checks: int
    points: float


class AdjustmentData(TypedDict):
    kind: str
    check: str
    change: float
    reason: str
    days: NotRequired[int | None]
    percent: NotRequired[float | None]


class RecordData(TypedDict):
    id: str
    assignment: str
    submission: str
    status: Status
    score: float
    max_score: float
    duration_s: float
    timings: dict[str, float]
    submission_sha256: str | None
    grader_version: str
    language: str
    checks: list[CheckData]
    notes: list[str]
    instructor: bool
    released: bool
    assignment_sha256: str | None
    graded_after_submission: NotRequired[WithheldData]
    error: NotRequired[str]
    error_key: NotRequired[str]
    error_params: NotRequired[dict[str, Any]]
    cells: NotRequired[list[CellData]]
    measured: NotRequired[MeasuredData]
    synthetic_data: NotRequired[bool]
    isolation: NotRequired[dict[str, Any]]
    integrity: NotRequired[IntegrityData]
    grader_traceback: NotRequired[str]
    # Added after grading: the LMS mark the submission came with, the final score.
    lms: NotRequired[dict[str, Any]]
    final_score: NotRequired[float]
    adjustments: NotRequired[list[AdjustmentData]]
    submitted: NotRequired[str]
