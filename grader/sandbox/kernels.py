"""Grader side: kernels started before their submission is known, each used for exactly one.

Starting a kernel takes a while even when it is forked from a process that has imported
TensorFlow, Keras, numpy and matplotlib (``forkserver``: on Linux every kernel is): the
launcher confines it (``confine``), the hooks are installed and IPython starts (``boot``);
off Linux, the kernel imports everything itself, seconds of it.  Nothing of that
depends on the submission, only on the assignment's limits, budget and private folders
(``KernelSettings``) and on the environment it inherits, so a front end starts one as soon as
the assignment is loaded (``prepare``) and the grading takes it (``take``), ready or nearly.

Every kernel has a scratch folder and an artifacts folder of its own, made when it starts and
removed when it is closed; it runs one submission and is then killed with its whole tree.  At
most one kernel waits per process; a batch worker starts the one for its next submission as
soon as the current one's cells have run, while it measures and checks them (``keep_one_ahead``).  A waiting kernel that died, answers
nothing, or was started for other settings or another environment is closed and a fresh one
started: never a grading lost for it.  A kernel's tree dies with its handler in the fork server,
which ends when this process's connection closes (``forkserver``), so a grader killed with
``kill -9`` leaves none running.
"""

from __future__ import annotations

import atexit
import os
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jupyter_client.asynchronous.client import AsyncKernelClient
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync

from grader.datasets import cache_dir
from grader.execution import Limits
from grader.sandbox import forkserver, isolation, provisioner, scratch
from grader.sandbox.host import SIMULATE_ENV
from grader.sandbox.watchdog import kill_tree

STARTUP_TIMEOUT_S = 60
# How long closing a kernel waits for its fork server to say which process it is (then the server is ended).
CLOSE_WAIT_S = 5
# The kernel's IPython keeps no history file (nbclient's own default for IPython kernels).
HISTORY = "--HistoryManager.hist_file=:memory:"


@dataclass(frozen=True)
class KernelSettings:
    """What a kernel is started with, besides the environment: one assignment's."""

    limits: Limits
    budget: tuple[tuple[str, int], ...]
    private: tuple[Path, ...] = ()
    # Whether it imports TensorFlow, Keras, numpy and pyplot before it answers (``[kernel] preload``).
    preload: bool = True
    # The assignment's ``[compat]`` switches (``legacy_paths.SWITCHES``; one not given is on).
    compat: tuple[tuple[str, bool], ...] = ()

    @staticmethod
    def of(limits: Limits, budget: dict[str, int], private: Sequence[Path] = (), preload: bool = True,
           compat: Mapping[str, bool] | None = None) -> KernelSettings:
        return KernelSettings(limits, tuple(sorted(budget.items())), tuple(private), preload, tuple(sorted((compat or {}).items())))


def _environment() -> tuple[Any, ...]:
    """What a kernel inherits from this process when it starts: a kernel started under
    another is not used (a test's simulated machine, another cache)."""
    return (tuple(sorted(scratch.base_env().items())), os.environ.get(SIMULATE_ENV), str(cache_dir()),
            os.environ.get("GRADER_ASSIGNMENTS"))


@dataclass(eq=False)
class Kernel:
    """One started kernel: its manager, its folders, and (once it answered) its client."""

    settings: KernelSettings
    environment: tuple[Any, ...]
    place: scratch.Scratch
    artifacts: Path
    support: isolation.Support
    km: AsyncKernelManager
    started_at: float
    folders: list[tempfile.TemporaryDirectory[str]] = field(default_factory=list)
    kc: AsyncKernelClient | None = None
    # Seconds this grading waited for the kernel to answer (0 when it was ready before).
    waited_s: float = 0.0
    closed: bool = False

    @property
    def pid(self) -> int:
        """The root of the kernel's process tree (``unshare`` or the launcher)."""
        return int(self.km.provisioner.process.pid)  # type: ignore[union-attr]

    def alive(self) -> bool:
        process = getattr(self.km.provisioner, "process", None)
        return process is not None and process.poll() is None

    def answer(self, timeout: float = STARTUP_TIMEOUT_S) -> None:
        """Wait until the kernel answers; raises ``RuntimeError`` when it does not."""
        if not self.alive():
            raise RuntimeError("the kernel stopped before it answered")
        client: AsyncKernelClient = self.km.client()
        self.kc = client
        client.start_channels()
        run_sync(client.wait_for_ready)(timeout=timeout)
        client.allow_stdin = False
        if not self.alive():
            raise RuntimeError("the kernel stopped after it answered")

    def close(self) -> None:
        """Kill the kernel's whole tree, release its sockets and remove its folders (once)."""
        if self.closed:
            return
        self.closed = True
        process = getattr(self.km.provisioner, "process", None)
        if process is not None:
            try:
                kill_tree(process.pid_within(CLOSE_WAIT_S) if isinstance(process, provisioner.ForkedKernel) else process.pid)
                process.wait(timeout=5)  # no zombie left in a long-lived batch worker
            except (subprocess.TimeoutExpired, OSError):
                pass
            except RuntimeError:  # its fork server ended, or never said which process the kernel is
                process.abandon()
        try:
            if self.kc is not None:
                self.kc.stop_channels()
            # The manager's control socket and its zmq context: left open, they can hold up this process's exit.
            run_sync(self.km.cleanup_resources)()
        except Exception:  # noqa: BLE001 - the sockets of a killed kernel
            pass
        self.kc = None
        for folder in self.folders:
            folder.cleanup()
        self.folders.clear()


def warm(preload: bool) -> None:
    """Start the fork server of that kind for this environment now, if none runs (a batch's main
    process, before its workers start); nothing is asked of it."""
    if isolation.probe().linux:
        forkserver.server(preload, _environment())


def measuring_server() -> forkserver.Server | None:
    """This process's connection for measurements to the fork server (one that imported TensorFlow,
    in this environment: ``sandbox/measurer``), not the one its kernels are forked through;
    ``None`` where kernels are not forked (not Linux)."""
    return forkserver.server(True, _environment(), "measurements") if isolation.probe().linux else None


def start(settings: KernelSettings, artifacts: Path | None = None, only: bool = False) -> Kernel:
    """Launch a kernel for ``settings`` in fresh folders; returns at once (it boots meanwhile).
    ``artifacts``: the folder its evidence goes to (default: a fresh one of its own); ``only``: the
    one kernel this process will need (a front end grading one submission), so its handler in the
    fork server becomes the kernel's first process rather than keeping a copy for others."""
    folders = [tempfile.TemporaryDirectory(prefix="grader-run-", ignore_cleanup_errors=True)]
    if artifacts is None:
        folders.append(tempfile.TemporaryDirectory(prefix="grader-artifacts-", ignore_cleanup_errors=True))
        artifacts = Path(folders[-1].name)
    try:
        place = scratch.prepare(Path(folders[0].name), artifacts, dict(settings.budget), settings.limits, settings.private,
                                settings.preload, dict(settings.compat))
        support = isolation.probe()
        km = AsyncKernelManager(
            kernel_name=scratch.KERNEL_NAME,
            kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(place.kernels)]),
            # Unix sockets where the system has them; else TCP on the loopback (no network namespace then).
            transport="ipc" if support.ipc else "tcp",
            ip=str(place.ipc) if support.ipc else "127.0.0.1",
            connection_file=str(place.connection_file),
        )
        environment = _environment()
        kernel = Kernel(settings, environment, place, artifacts, support, km, time.monotonic(), folders)
        if support.linux:
            provisioner.provision(km, settings.preload, environment, support, place.plan, only)
        # The kernel's own stdout/stderr (TensorFlow's C++ logs) never reach the terminal.
        run_sync(km.start_kernel)(extra_arguments=[HISTORY] if km.ipykernel else [], cwd=str(place.work),
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=scratch.base_env())
    except BaseException:
        for folder in folders:
            folder.cleanup()
        raise
    return kernel


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
    return kernel.settings == settings and kernel.environment == _environment()


def _wait(kernel: Kernel) -> None:
    """``kernel`` becomes the waiting one; one that waited before it (another thread's) is closed."""
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
    else a fresh one; raises only when a fresh one fails too (``RuntimeError``: it never answered)."""
    clock = time.monotonic()
    kernel = _WAITING.swap(None)
    if kernel is not None and not _fits(kernel, settings):
        kernel.close()
        kernel = None
    if kernel is not None:
        try:
            kernel.answer()
        except Exception:  # noqa: BLE001 - it died or hangs while waiting: a fresh one takes its place
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
        except Exception:  # noqa: BLE001 - the next take starts its own (and says what failed); this grading goes on
            pass
