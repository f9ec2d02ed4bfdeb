"""Every grading has a deadline on the grader's side (``grader/deadline.py``): the grader's own
work after the cells (``within``) and the whole grading (``alarm``, in a process's main thread).
A grading past it ends as ``grader_timeout`` with the time, never a score, and the process goes
on to its next job.  Judged by effects, in this process: a read blocked on a FIFO is interrupted,
the record says why, the next grading is graded."""

from __future__ import annotations

import dataclasses
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import grader
from grader import deadline, engine
from grader.batch import Settings, grade_one, is_done
from grader.course.assignment import load_assignment
from grader.messages import render
from grader.record import Record
from grader.submissions.finding import Job, fingerprint
from tests.conftest import ROOT

PROMPT_S = 3.0


def test_work_within_its_deadline_gives_its_result_or_what_it_raised() -> None:
    assert deadline.within(5, lambda: 42) == 42
    with pytest.raises(ZeroDivisionError):
        deadline.within(5, lambda: 1 / 0)
    started = time.monotonic()
    with pytest.raises(deadline.Passed, match="longer than 0.2 s"):
        deadline.within(0.2, lambda: threading.Event().wait(60))
    assert time.monotonic() - started < PROMPT_S


def _blocked_on_a_fifo(folder: Path) -> Any:
    """A stand-in for a grading stuck for good: reads a FIFO no one will ever write."""
    fifo = folder / "never-written"
    os.mkfifo(fifo)

    def stuck(*_: Any) -> Record:
        with open(fifo, "rb") as f:  # blocks in open(2) until a writer comes
            f.read()
        raise AssertionError("a FIFO nobody writes answered")

    return stuck


def test_an_alarm_interrupts_a_blocking_system_call_in_the_main_thread(tmp_path: Path) -> None:
    started = time.monotonic()
    with pytest.raises(deadline.JobPassed):
        with deadline.alarm(0.3):
            _blocked_on_a_fifo(tmp_path)()
    assert time.monotonic() - started < PROMPT_S
    # Off the main thread (a Dask worker's), no alarm is set: nothing rings there.
    seen: list[bool] = []

    def elsewhere() -> None:
        with deadline.alarm(0.01):
            time.sleep(0.1)
        seen.append(True)

    thread = threading.Thread(target=elsewhere)
    thread.start()
    thread.join()
    assert seen == [True]


def test_an_alarm_swallowed_where_python_drops_exceptions_rings_again(tmp_path: Path) -> None:
    """A zmq context closed by the garbage collector once blocked a batch worker for good inside
    ``__del__``, where the first ``JobPassed`` is printed and dropped: the alarm rings again."""
    dropped: list[str] = []

    class Stuck:
        def __del__(self) -> None:
            try:
                _blocked_on_a_fifo(tmp_path)()
            except BaseException as exc:  # noqa: BLE001 - what Python does with it in __del__
                dropped.append(type(exc).__name__)

    started = time.monotonic()
    with pytest.raises(deadline.JobPassed):
        with deadline.alarm(0.2, again_s=0.3):
            Stuck()  # collected at once: its __del__ blocks, and drops the first ring
            (tmp_path / "never-written").unlink()
            _blocked_on_a_fifo(tmp_path)()
    assert dropped == ["JobPassed"] and time.monotonic() - started < PROMPT_S
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)  # nothing rings after the block


@pytest.fixture
def quick(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Week 8 with deadlines of a fraction of a second."""
    monkeypatch.setattr(engine, "KERNEL_ALLOWANCE_S", 0.0)
    assignment = load_assignment("week8")
    limits = dataclasses.replace(assignment.limits, total_timeout_s=0.2, grader_timeout_s=0.3)
    return dataclasses.replace(assignment, limits=limits)


def test_a_grading_stuck_for_good_ends_as_grader_timeout_and_the_next_is_graded(
    quick: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    stuck = _blocked_on_a_fifo(tmp_path)
    honest = Record("week8", "b.py", "graded", 1.0, 1.0, 0.1, ())
    monkeypatch.setattr(
        engine, "grade", lambda path, *_: stuck() if path.name == "a.py" else honest
    )
    settings = Settings("week8", str(ROOT / "assignments"), "en", quick.max_score)
    started = time.monotonic()
    views = [grade_one(Job(name, Path(f"{name}.py")), quick, settings) for name in ("a", "b")]
    assert time.monotonic() - started < PROMPT_S
    timed_out, graded = (view.record for view in views)
    assert (timed_out.status, graded.status) == ("grader_timeout", "graded")
    assert timed_out.score == 0 and 0.5 <= timed_out.duration_s < PROMPT_S
    assert {c.status for c in timed_out.checks} == {"not_run"}
    message = render(timed_out.error, "en")
    assert "within 0.5 s" in message.expected and "without a verdict" in message.found
    # Never a verdict: a rerun of the batch grades it again.
    path = tmp_path / "a.py"
    path.write_text("print(1)\n")
    on_disk = {
        "status": "graded",
        "assignment": "week8",
        "assignment_sha256": settings.assignment_digest,
        "instructor": settings.instructor,
        "released": settings.released,
        "grader_version": grader.__version__,
        "submission_sha256": fingerprint(path),
    }
    assert is_done(on_disk, Job("a", path), settings)
    assert not is_done({**on_disk, "status": "grader_timeout"}, Job("a", path), settings)
