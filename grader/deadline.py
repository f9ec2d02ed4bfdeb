"""The grader's own deadlines for one grading, so that no grading holds a process for good.

Two of them.  Reading the evidence, gathering the facts and the grader's measurement run in a
thread of their own (``within``); the grading waits for them at most ``Limits.grader_timeout_s``
seconds, then ends as ``grader_timeout``, and whatever the thread was stuck on is left behind as
a daemon thread, never awaited.  And the whole grading (kernel, cells, the grader's work) runs
under an alarm in the process's main thread (``alarm``): a ``SIGALRM`` that interrupts even a
blocking system call and unwinds the grading (its kernel closed, its folders removed) with
``JobPassed``, so a batch worker goes on to its next job.  The readers do not block
(``evidence.hostile_files``) and the measurement has limits of its own (``measurement.bounds``):
these are the last lines, not the first.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class Passed(Exception):
    """The work did not end within its deadline."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"the grader's own work took longer than {seconds:g} s")
        self.seconds = seconds


class JobPassed(BaseException):
    """A whole grading passed its deadline (``alarm``).  Not an ``Exception``: the grading's own
    handlers (a fault becomes ``grader_error``) let it through, and only its finally blocks run."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"the grading took longer than {seconds:g} s")
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


# After the first ring, the alarm rings again this often until the block has ended: an exception
# raised where Python drops it (a ``__del__`` the garbage collector runs, a library's bare
# ``except``) would otherwise end the deadline with it.  Long enough for the block's clean-up (a
# kernel closes within ``CLOSE_WAIT_S`` and 5 s more) to finish between two rings.
RING_AGAIN_S = 20.0


@contextlib.contextmanager
def alarm(seconds: float, again_s: float = RING_AGAIN_S) -> Iterator[None]:
    """Raise ``JobPassed`` in this thread if the block still runs after ``seconds``, and again
    every ``again_s`` seconds until it has ended.  Only in a main thread of a system with
    ``SIGALRM`` whose real-time timer is free (a Dask worker's thread, Windows, pytest-timeout's
    own alarm: nothing)."""
    usable = (
        threading.current_thread() is threading.main_thread()
        and hasattr(signal, "setitimer")
        and signal.getitimer(signal.ITIMER_REAL)[0] == 0
    )
    if not usable:
        yield
        return

    def ring(signum: int, frame: Any) -> None:
        raise JobPassed(seconds)

    previous = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, seconds, again_s)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
