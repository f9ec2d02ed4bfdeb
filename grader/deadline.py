"""The grader's own deadline for one grading: its work after the student's cells is bounded.

Reading the evidence, gathering the facts and the grader's measurement run in a thread of their
own; the grading waits for them at most ``Limits.grader_timeout_s`` seconds.  Past that it ends
as ``grader_timeout`` with the time it waited, and the process goes on (a batch worker to its next
job): whatever the thread was stuck on is left behind as a daemon thread, never awaited.  The
readers it calls do not block (``evidence.hostile_files``) and the measurement has limits of its
own (``measurement.bounds``), so this is the last line, not the first.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Passed(Exception):
    """The work did not end within its deadline."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"the grader's own work took longer than {seconds:g} s")
        self.seconds = seconds


class _Outcome(Generic[T]):
    def __init__(self) -> None:
        self.value: T | None = None
        self.error: BaseException | None = None


def within(seconds: float, work: Callable[[], T]) -> T:
    """``work()``'s result, or what it raised, if it ends within ``seconds``; else ``Passed``."""
    outcome: _Outcome[T] = _Outcome()

    def run() -> None:
        try:
            outcome.value = work()
        except BaseException as exc:  # noqa: BLE001 - raised again in the caller's thread
            outcome.error = exc

    thread = threading.Thread(target=run, name="grader-work", daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        raise Passed(seconds)
    if outcome.error is not None:
        raise outcome.error
    return outcome.value  # type: ignore[return-value]
