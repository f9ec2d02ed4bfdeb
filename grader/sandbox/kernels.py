"""Grader side: kernels started before their submission is known, each used for exactly one.

Starting a kernel takes a while (``kernel_start``), and nothing of that depends on the
submission, only on the assignment's limits, budget and private folders
(``KernelSettings``) and on the environment it inherits, so a front end starts one as soon as
the assignment is loaded (``prepare``) and the grading takes it (``take``), ready or nearly.

Each kernel runs one submission and is then killed with its whole tree.  At most one kernel waits
per process; a batch worker starts the one for its next submission as soon as the
current one's cells have run, while it measures and checks them (``keep_one_ahead``).  A waiting
kernel that died, answers nothing, or was started for other settings or another environment is
closed and a fresh one started: never a grading lost for it.  A kernel's tree dies with its handler
in the fork server, which ends when this process's connection closes (``fork_client``), so a grader
killed with ``kill -9`` leaves none running.
"""

from __future__ import annotations

import atexit
import threading
import time

from grader.sandbox import fork_client, isolation
from grader.sandbox.kernel_start import Kernel, inherited_environment, start

# What ``prepare`` and ``take`` are given (a front end's ``KernelSettings.of``), named here too.
from grader.sandbox.kernel_start import KernelSettings as KernelSettings


def warm(preload: bool) -> None:
    """Start the fork server of that kind for this environment now, if none runs (a batch's main
    process, before its workers start); nothing is asked of it."""
    if isolation.probe().linux:
        fork_client.server(preload, inherited_environment())


def measuring_server() -> fork_client.Server | None:
    """This process's connection for measurements to the fork server (one that imported TensorFlow,
    in this environment: ``sandbox/measurer``), not the one its kernels are forked through;
    ``None`` where kernels are not forked (not Linux)."""
    return (
        fork_client.server(True, inherited_environment(), "measurements")
        if isolation.probe().linux
        else None
    )


class _Waiting:
    """The one kernel this process keeps started for its next submission."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.kernel: Kernel | None = None
        self.ahead = False
        self.registered = False

    def swap(self, kernel: Kernel | None) -> Kernel | None:
        with self.lock:
            old, self.kernel = self.kernel, kernel
            if kernel is not None and not self.registered:
                atexit.register(discard)
                self.registered = True
            return old


_WAITING = _Waiting()


def _fits(kernel: Kernel, settings: KernelSettings) -> bool:
    return kernel.settings == settings and kernel.environment == inherited_environment()


def _wait(kernel: Kernel) -> None:
    """``kernel`` becomes the waiting one; one that waited before it (another thread's) is
    closed."""
    replaced = _WAITING.swap(kernel)
    if replaced is not None and replaced is not kernel:
        replaced.close()


def prepare(settings: KernelSettings, only: bool = False) -> None:
    """Start a kernel for ``settings`` now, for the next ``take``; one waiting already stays.
    ``only``: the one kernel this process will need (``start``)."""
    waiting = _WAITING.swap(None)
    if waiting is not None and _fits(waiting, settings) and waiting.alive():
        _wait(waiting)
        return
    if waiting is not None:
        waiting.close()
    _wait(start(settings, only=only))


def keep_one_ahead(enabled: bool = True) -> None:
    """From now on, the kernel of the next submission starts as soon as the current one's cells
    have run (``ran``; a batch worker: one kernel waiting while the grader grades)."""
    _WAITING.ahead = enabled


def waiting() -> Kernel | None:
    """The kernel started for the next submission, if any (it stays waiting)."""
    return _WAITING.kernel


def discard() -> None:
    """Close the waiting kernel, if any (at exit, and when a front end is done)."""
    waiting = _WAITING.swap(None)
    if waiting is not None:
        waiting.close()


def take(settings: KernelSettings) -> Kernel:
    """A kernel for one submission that has answered: the waiting one when it fits and is well,
    else a fresh one; raises only when a fresh one fails too (``RuntimeError``: it never answered).
    """
    clock = time.monotonic()
    kernel = _WAITING.swap(None)
    if kernel is not None and not _fits(kernel, settings):
        kernel.close()
        kernel = None
    if kernel is not None:
        try:
            kernel.answer()
        except Exception:
            # It died or hangs while waiting: a fresh one takes its place.
            kernel.close()
            kernel = None
    if kernel is None:
        kernel = start(settings)
        try:
            kernel.answer()
        except BaseException:
            kernel.close()
            raise
    assert kernel is not None
    kernel.waited_s = time.monotonic() - clock
    return kernel


def ran(kernel: Kernel) -> None:
    """``kernel``'s submission has run and its tree is killed: when this process keeps one ahead,
    start the next submission's kernel now, while the grader measures and checks this one (at
    most one kernel alive per worker, and the next one boots beside the grader's own work)."""
    if _WAITING.ahead:
        try:
            prepare(kernel.settings)
        except Exception:
            # The next take starts its own (and says what failed); this grading goes on.
            pass
