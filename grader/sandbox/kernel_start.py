"""Grader side: one kernel, for one submission: what it is started with (``KernelSettings``,
``inherited_environment``), how it is started (``start``), and the ``Kernel`` that answers and is
closed with its whole tree.

Starting a kernel takes a while even when it is forked from a process that has imported
TensorFlow, Keras, numpy and matplotlib (``fork_client``: on Linux every kernel is): the
launcher confines it (``confine``), the hooks are installed and IPython starts (``boot``);
off Linux, the kernel imports everything itself, seconds of it.  Every kernel has a scratch folder
and an artifacts folder of its own, made when it starts and removed when it is closed; it runs one
submission and is then killed with its whole tree.  Which kernel a grading gets, started before
its submission was known, is ``kernels``'.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jupyter_client.asynchronous.client import AsyncKernelClient
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync

from grader.boundary.execution import Limits
from grader.datasets import cache_dir
from grader.sandbox import disk, isolation, owner, provisioner, scratch
from grader.sandbox.kernel_resources import Resources
from grader.sandbox.system.host import SIMULATE_ENV
from grader.sandbox.watchdog import kill_tree

STARTUP_TIMEOUT_S = 60
# How long closing a kernel waits for its fork server to say which process it is (then the server is
# ended).
CLOSE_WAIT_S = 5
# The kernel's IPython keeps no history file (nbclient's own default for IPython kernels).
HISTORY = "--HistoryManager.hist_file=:memory:"


@dataclass(frozen=True)
class KernelSettings:
    """What a kernel is started with, besides the environment: one assignment's."""

    limits: Limits
    budget: tuple[tuple[str, int], ...]
    private: tuple[Path, ...] = ()
    # Whether it imports TensorFlow, Keras, numpy and pyplot before it answers (``[kernel]
    # preload``).
    preload: bool = True
    # The assignment's ``[compat]`` switches (``legacy_paths.SWITCHES``; one not given is on).
    compat: tuple[tuple[str, bool], ...] = ()

    @staticmethod
    def of(
        limits: Limits,
        budget: dict[str, int],
        private: Sequence[Path] = (),
        preload: bool = True,
        compat: Mapping[str, bool] | None = None,
    ) -> KernelSettings:
        return KernelSettings(
            limits,
            tuple(sorted(budget.items())),
            tuple(private),
            preload,
            tuple(sorted((compat or {}).items())),
        )


def inherited_environment() -> tuple[Any, ...]:
    """What a kernel inherits from this process when it starts: a kernel started under
    another is not used (a test's simulated machine, another cache; another
    ``$GRADER_ASSIGNMENTS`` gives other ``KernelSettings.private``)."""
    return (
        tuple(sorted(scratch.base_env().items())),
        os.environ.get(SIMULATE_ENV),
        str(cache_dir()),
    )


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
    resources: Resources
    folders: list[disk.Folder] = field(default_factory=list)
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
        client.context.linger = 0  # see ``_sockets_closed``
        self.kc = client
        client.start_channels()
        run_sync(client.wait_for_ready)(timeout=timeout)
        client.allow_stdin = False
        if not self.alive():
            raise RuntimeError("the kernel stopped after it answered")
        # No student code has run yet: what the first process took is checked from outside now.
        report = scratch.read_report(self.place) or {}
        self.resources.attach(self.pid, report.get("taken") or {})
        self.artifacts = self.resources.evidence() or self.artifacts

    def close(self) -> None:
        """Kill the kernel's whole tree, release its sockets and remove its folders (once)."""
        if self.closed:
            return
        self.closed = True
        process = getattr(self.km.provisioner, "process", None)
        if process is not None:
            try:
                kill_tree(
                    process.pid_within(CLOSE_WAIT_S)
                    if isinstance(process, provisioner.ForkedKernel)
                    else process.pid
                )
                process.wait(timeout=5)  # no zombie left in a long-lived batch worker
            except (subprocess.TimeoutExpired, OSError):
                pass
            except RuntimeError:  # its fork server ended, or never said which process the kernel is
                process.abandon()
        try:
            if self.kc is not None:
                self.kc.stop_channels()
            run_sync(self.km.cleanup_resources)()
        except Exception:  # noqa: BLE001 - the sockets of a killed kernel
            pass
        _sockets_closed(self.km, self.kc)
        self.kc = None
        self.resources.release()
        for folder in self.folders:
            folder.cleanup()
        self.folders.clear()


def _sockets_below_base() -> int:
    """How long a kernel's socket path runs below the folder its run folder is made in:
    ``/grader-run-<tag>-<8 random>/ipc/kernel-<port number>`` (``scratch.Scratch.ipc``)."""
    return len(f"/{disk.RUN_PREFIX}{owner.tag()}-12345678/ipc/kernel-99")


def _sockets_closed(km: AsyncKernelManager, kc: AsyncKernelClient | None) -> None:
    """Close the zmq contexts of ``km`` and ``kc`` at once, whatever their clean-up did.

    A context left open is closed by the garbage collector, at any later moment, with each socket's
    linger: a message still queued for a killed kernel then blocks that moment for ever (a batch
    worker hung so, loading the next classmate's dataset).  Every socket lingers 0 s, and the
    contexts are closed here, where the kernel is."""
    for context in (km.context, kc.context if kc is not None else None):
        if context is not None and not context.closed:
            context.destroy(linger=0)


def start(settings: KernelSettings, artifacts: Path | None = None, only: bool = False) -> Kernel:
    """Launch a kernel for ``settings`` in fresh folders; returns at once (it boots meanwhile).
    ``artifacts``: the folder its evidence goes to (default: a fresh one of its own); ``only``: the
    one kernel this process will need (a front end grading one submission), so its handler in the
    fork server becomes the kernel's first process rather than keeping a copy for others."""
    folders = [disk.Folder(disk.RUN_PREFIX, disk.base_for_sockets(_sockets_below_base()))]
    own = artifacts is None
    if artifacts is None:
        folders.append(disk.Folder("grader-artifacts-"))
        artifacts = Path(folders[-1].name)
    resources: Resources | None = None
    km: AsyncKernelManager | None = None
    try:
        support = isolation.probe()
        root = Path(folders[0].name)
        # Its working folder, HOME and TMPDIR on a tmpfs, and its evidence folder if it is its own.
        resources = Resources.take(
            root,
            [root / "work", root / "home", root / "tmp"],
            artifacts if own else None,
            settings.limits,
            support.namespaces,
        )
        place = scratch.prepare(
            root,
            artifacts,
            dict(settings.budget),
            settings.limits,
            settings.private,
            settings.preload,
            dict(settings.compat),
            resources.plan(),
        )
        km = AsyncKernelManager(
            kernel_name=scratch.KERNEL_NAME,
            kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(place.kernels)]),
            # Unix sockets where the system has them; else TCP on the loopback (no network namespace
            # then).
            transport="ipc" if support.ipc else "tcp",
            ip=str(place.ipc) if support.ipc else "127.0.0.1",
            connection_file=str(place.connection_file),
        )
        km.context.linger = 0  # see ``_sockets_closed``
        environment = inherited_environment()
        kernel = Kernel(
            settings,
            environment,
            place,
            artifacts,
            support,
            km,
            time.monotonic(),
            resources,
            folders,
        )
        if support.linux:
            provisioner.provision(km, settings.preload, environment, support, place.plan, only)
        # The kernel's own stdout/stderr (TensorFlow's C++ logs) never reach the terminal.
        run_sync(km.start_kernel)(
            extra_arguments=[HISTORY] if km.ipykernel else [],
            cwd=str(place.work),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=scratch.base_env(),
        )
    except BaseException:
        if km is not None:
            _sockets_closed(km, None)
        if resources is not None:
            resources.release()
        for folder in folders:
            folder.cleanup()
        raise
    return kernel
