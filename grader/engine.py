"""One engine, two front ends: grade one submission into a ``Record``.

Steps: read the submission; run it in the sandbox (its own kernel process); read the
evidence it left; compute facts in this process (rebuilding and training the model
here); run every check of the assignment (``scoring.py``).  Nothing the student wrote
executes in this process.  Whatever happens, the result is a ``Record`` with a status; a
fault of the grader itself becomes ``grader_error``, never a traceback on the student's screen.
"""

from __future__ import annotations

import functools
import threading
import time
import traceback
from pathlib import Path
from typing import Any

from grader import deadline, scoring
from grader.boundary.execution import ExecutionStatus, Isolation, Progress
from grader.boundary.legacy_paths import SWITCHES
from grader.course.assignment import Assignment
from grader.course.fixtures import StudentRun, read_only
from grader.datasets import Dataset, DatasetError, cache_dir, load
from grader.datasets.cache import CACHE_ENV
from grader.judging import bounds, evidence_limit, judge, refusal_notes
from grader.measurement.early import EarlyMeasurement
from grader.measurement.measurer import Measurer
from grader.outcome import Message
from grader.record import CheckResult, Record, Status
from grader.sandbox import kernels
from grader.sandbox.runner import run_in
from grader.submissions.cells import InvalidSubmission, read_submission

EXECUTION_STATUS: dict[ExecutionStatus, Status] = {
    "completed": "graded",
    "kernel_died": "student_error",
    "timeout": "timeout",
    "resource_limit": "resource_limit",
}


@functools.lru_cache(maxsize=4)
def _dataset(name: str) -> Dataset:
    """Each dataset is loaded and verified once per process."""
    return load(name)


def refused(
    path: Path, assignment: Assignment, reason: InvalidSubmission, duration_s: float = 0.0
) -> Record:
    """The record of a submission that cannot be run: every check earns nothing."""
    return Record(
        assignment.name,
        path.name,
        "invalid_submission",
        0.0,
        assignment.max_score,
        round(duration_s, 2),
        scoring.score(assignment, None),
        error=Message(reason.reason, {"detail": reason.detail, "file": path.name}),
        withheld=assignment.withheld,
    )


# What a grading may take beyond its notebook's limit and the grader's own work: the kernel's start
# (a fork server started now imports TensorFlow first) and closing it.
KERNEL_ALLOWANCE_S = 180.0


def job_deadline_s(assignment: Assignment) -> float:
    """The most one grading of ``assignment`` may take, all of it (``deadline.alarm``)."""
    limits = assignment.limits
    return limits.total_timeout_s + limits.grader_timeout_s + KERNEL_ALLOWANCE_S


def grade_within(path: Path, assignment: Assignment, progress: Progress | None = None) -> Record:
    """``grade``, ended as ``grader_timeout`` past ``job_deadline_s`` (where ``deadline.alarm``
    can ring: a process's main thread)."""
    started, seconds = time.monotonic(), job_deadline_s(assignment)
    try:
        with deadline.alarm(seconds):
            return grade(path, assignment, progress)
    except deadline.JobPassed:
        return timed_out(path, assignment, seconds, time.monotonic() - started)


def timed_out(
    path: Path,
    assignment: Assignment,
    seconds: float,
    duration_s: float,
    isolation: Isolation | None = None,
) -> Record:
    """The record of a grading the grader gave up after ``seconds``: every check earns nothing."""
    return Record(
        assignment.name,
        path.name,
        "grader_timeout",
        0.0,
        assignment.max_score,
        round(duration_s, 2),
        scoring.score(assignment, None),
        error=Message("grader.timeout", {"seconds": seconds}),
        withheld=assignment.withheld,
        isolation=isolation,
    )


def grader_failure(
    assignment: str, path: Path, max_score: float, detail: str, trace: str | None = None
) -> Record:
    """The record of a submission the grader itself failed on, outside ``grade`` (a lost worker)."""
    return Record(
        assignment,
        path.name,
        "grader_error",
        0.0,
        max_score,
        0.0,
        (),
        error=Message("grader.internal", {"detail": detail[:500]}),
        grader_traceback=trace,
    )


def kernel_settings(assignment: Assignment) -> kernels.KernelSettings:
    """What the kernels of ``assignment``'s submissions are started with."""
    compat = {name: bool(getattr(assignment.compat, name)) for name in SWITCHES}
    return kernels.KernelSettings.of(
        assignment.limits, assignment.budget, assignment.private, assignment.preload, compat
    )


def prepare_kernel(assignment: Assignment, only: bool = False) -> None:
    """Start the kernel of the next submission of ``assignment`` now (a front end, as soon as the
    assignment is loaded): it imports TensorFlow while this process does its own work.  ``only``:
    the one submission this process grades."""
    kernels.prepare(kernel_settings(assignment), only)


def grade(path: Path, assignment: Assignment, progress: Progress | None = None) -> Record:
    """Grade ``path`` against ``assignment``; always returns a record."""
    started = time.monotonic()
    name = path.name

    def record(status: Status, checks: tuple[CheckResult, ...] = (), **extra: Any) -> Record:
        score = float(sum(c.points for c in checks))
        max_score = float(sum(c.max_points for c in checks)) if checks else assignment.max_score
        return Record(
            assignment.name,
            name,
            status,
            score,
            max_score,
            round(time.monotonic() - started, 2),
            checks,
            withheld=assignment.withheld,
            **extra,
        )

    try:
        submission = read_submission(path)
    except InvalidSubmission as exc:
        return refused(path, assignment, exc)
    try:
        dataset = _dataset(assignment.dataset)
    except DatasetError as exc:
        return record(
            "grader_error",
            scoring.score(assignment, None),
            error=Message("grader.dataset", {"detail": str(exc)}),
        )
    except OSError as exc:
        params = {
            "cache": str(cache_dir()),
            "error": f"{type(exc).__name__}: {exc}"[:500],
            "variable": CACHE_ENV,
            "dataset": assignment.dataset,
        }
        return record(
            "grader_error", scoring.score(assignment, None), error=Message("grader.cache", params)
        )
    try:
        # Reading the compiled solution overlaps with the student's kernel, and so does the grader's
        # measurement, from the student's first fit on (``EarlyMeasurement``).
        reading = threading.Thread(target=lambda: assignment.expected, daemon=True)
        reading.start()
        kernel = kernels.take(kernel_settings(assignment))
        seed = int(assignment.measure.get("seed", 0))
        measurer = Measurer(kernels.measuring_server, bounds(assignment))
        early = EarlyMeasurement(
            kernel.artifacts,
            measurer,
            dataset,
            lambda: assignment.expected,
            seed,
            evidence_limit(assignment),
        )
        try:
            early.start()
            execution = run_in(kernel, submission, progress)
            early.stop()
            reading.join()
            expected = assignment.expected
            limit = assignment.limits.grader_timeout_s
            try:
                judged = deadline.within(
                    limit,
                    lambda: judge(kernel.artifacts, execution, dataset, assignment, seed, measurer),
                )
            except deadline.Passed:
                duration = time.monotonic() - started
                return timed_out(path, assignment, limit, duration, execution.isolation)
            student = StudentRun(judged.facts, expected, read_only(judged.arrays))
            checks = scoring.score(assignment, judged.facts, student)
        finally:
            kernel.close()
        cells = sum(c.duration_s for c in execution.cells)
        timings = {"kernel": execution.duration_s - cells, "student_cells": cells, **judged.timings}
        return record(
            EXECUTION_STATUS.get(execution.status, "student_error"),
            checks,
            notes=scoring.notes(assignment, execution, judged.facts)
            + refusal_notes(judged.refused),
            facts=judged.facts,
            timings={k: round(v, 2) for k, v in timings.items()},
            isolation=execution.isolation,
            integrity=judged.integrity,
        )
    except DatasetError as exc:
        return record(
            "grader_error",
            scoring.score(assignment, None),
            error=Message("grader.dataset", {"detail": str(exc)}),
        )
    except Exception as exc:  # noqa: BLE001 - the grader's own fault, reported as a status
        return record(
            "grader_error",
            scoring.score(assignment, None),
            error=Message("grader.internal", {"detail": f"{type(exc).__name__}: {exc}"[:500]}),
            grader_traceback=traceback.format_exc(),
        )
