"""Kernel side: fast, clear refusals for what a graded notebook must not do.

Installed by ``boot`` before any student code runs.  An audit hook (which cannot be
removed once added) refuses: starting more than a few processes, or any process from a
forked child (a fork bomb stops at once); signals to processes outside the kernel's own
tree (the grader); opening, listing or importing what the grader's side declares hidden
(``off_limits``: the reference solution, the assignment folders, the cache, the rest of the
grader's package); creating, changing or deleting files outside the notebook's own
scratch folders (the grader's output and dataset cache, other students' files).
Resource limits (where the system has the ``resource`` module: not Windows) make a huge
allocation raise ``MemoryError`` and a huge file raise ``OSError`` at once, and the
kernel's stdout/stderr stop forwarding text past a cap before a flood reaches the grader
(nor is it kept in IPython's history).

A process running as the grader's user can undo some of this (a shell command is not
Python, and root may raise its own limits), so none of it is what the verdict relies on:
the grader's watchdog (``runner``) bounds time, memory, processes and disk from outside.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from dataclasses import dataclass
from typing import Any

from grader.boundary.refusals import (
    PROCESS_MESSAGE,
    PROTECTED_MESSAGE,
    SIGNAL_MESSAGE,
    WRITE_MESSAGE,
)
from grader.sandbox.system import host
from grader.sandbox.system.processes import process_tree

OUTPUT_MARK = "\n[... output truncated by the grader ...]\n"
SPAWN_EVENTS = frozenset(
    {"os.fork", "os.forkpty", "subprocess.Popen", "os.posix_spawn", "os.system", "os.spawn"}
)
PATH_EVENTS = frozenset({"open", "os.listdir", "os.scandir"})
# Events that change the file system, with the positions of their path arguments.
CHANGE_EVENTS = {
    "os.remove": (0,),
    "os.rmdir": (0,),
    "os.mkdir": (0,),
    "os.rename": (0, 1),
    "os.link": (0, 1),
    "os.symlink": (1,),
    "os.truncate": (0,),
    "os.chmod": (0,),
    "os.chown": (0,),
    "os.utime": (0,),
    "os.setxattr": (0,),
    "os.removexattr": (0,),
    "shutil.rmtree": (0,),
    "shutil.move": (0, 1),
    "shutil.copyfile": (1,),
    "shutil.copytree": (1,),
}
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


@dataclass(frozen=True)
class GuardConfig:
    max_processes: int
    output_chars: int
    memory_mb: int
    file_mb: int
    # What may not be read (``off_limits.OffLimits``), but for the readable paths beneath it.
    protected_paths: tuple[str, ...]
    protected_modules: tuple[str, ...]
    # Where files may be created or changed; empty means anywhere.
    writable_paths: tuple[str, ...] = ()
    readable_paths: tuple[str, ...] = ()


class _Hook:
    def __init__(self, config: GuardConfig) -> None:
        self.config = config
        self.kernel_pid = os.getpid()
        self.started = 0
        # The grader (the kernel's parent) too: its environment and command line are its own.
        self.protected = tuple(os.path.realpath(p) for p in config.protected_paths) + (
            f"/proc/{os.getppid()}",
        )
        self.writable = tuple(os.path.realpath(p) for p in config.writable_paths)
        self.readable = tuple(os.path.realpath(p) for p in config.readable_paths)
        # Set while the hook itself reads /proc or resolves a path (those raise events too).
        self._local = threading.local()

    @property
    def busy(self) -> bool:
        return getattr(self._local, "busy", False)

    @busy.setter
    def busy(self, value: bool) -> None:
        self._local.busy = value

    def __call__(self, event: str, args: tuple[Any, ...]) -> None:
        if self.busy:
            return
        if event in SPAWN_EVENTS:
            self._spawn()
        elif event in PATH_EVENTS:
            self._path(args[0] if args else None)
            if event == "open" and len(args) >= 3 and _writes(args[1], args[2]):
                self._write(args[0])
        elif event in CHANGE_EVENTS:
            for index in CHANGE_EVENTS[event]:
                if index < len(args):
                    self._write(args[index])
        elif event in ("os.kill", "os.killpg"):
            self._signal(event, int(args[0]), int(args[1]))
        elif event == "import" and args and isinstance(args[0], str):
            if args[0].split(".", 1)[0] in self.config.protected_modules:
                raise ModuleNotFoundError(PROTECTED_MESSAGE, name=args[0])

    def _spawn(self) -> None:
        if os.getpid() != self.kernel_pid:
            # A forked copy of the kernel must not multiply; it shares the kernel's sockets.
            os._exit(70)
        self.started += 1
        if self.started > self.config.max_processes:
            raise PermissionError(PROCESS_MESSAGE.format(n=self.config.max_processes))

    def _resolve(self, path: Any) -> str | None:
        if isinstance(path, int) or path is None:
            return None
        self.busy = True
        try:
            return os.path.realpath(os.fsdecode(path))
        except (TypeError, ValueError, OSError):
            return None
        finally:
            self.busy = False

    def _path(self, path: Any) -> None:
        real = self._resolve(path)
        if real is None:
            return
        # The nearest folder above decides, as in Landlock's grant: a readable path beneath a
        # protected folder stays readable, a protected folder beneath a readable one does not.
        hidden = _nearest(real, self.protected)
        if hidden >= 0 and hidden >= _nearest(real, self.readable):
            raise PermissionError(PROTECTED_MESSAGE)

    def _write(self, path: Any) -> None:
        real = self._resolve(path) if self.writable else None
        if real is not None and real != os.devnull and not _under(real, self.writable):
            raise PermissionError(WRITE_MESSAGE)

    def _signal(self, event: str, target: int, signum: int) -> None:
        if signum == 0:
            return
        # Windows has no process groups (there, 0 is every process on the console): only the
        # kernel's own tree may be signalled.
        groups = (0, os.getpgid(0)) if hasattr(os, "getpgid") else ()
        if event == "os.killpg":
            allowed = target in groups
        elif target in groups[:1] or -target in groups[1:]:
            allowed = True
        elif target <= 0:
            allowed = False
        else:
            self.busy = True
            try:
                allowed = target in process_tree(self.kernel_pid)
            finally:
                self.busy = False
        if not allowed:
            raise PermissionError(SIGNAL_MESSAGE)


def _under(path: str, folders: tuple[str, ...]) -> bool:
    return any(path == f or path.startswith(f + os.sep) for f in folders)


def _nearest(path: str, folders: tuple[str, ...]) -> int:
    """How deep the nearest of ``folders`` at or above ``path`` is (its length), -1 if none."""
    return max((len(f) for f in folders if path == f or path.startswith(f + os.sep)), default=-1)


def _writes(mode: Any, flags: Any) -> bool:
    """Does an ``open`` audit event (mode for ``open()``, flags for ``os.open``) write?"""
    if isinstance(mode, str):
        return any(c in mode for c in "wax+")
    return isinstance(flags, int) and bool(flags & WRITE_FLAGS)


def _set_rlimits(config: GuardConfig) -> None:
    """Cap the kernel's data, file sizes and core dumps (where the system has ``resource``)."""
    import resource

    for kind, megabytes in (
        (resource.RLIMIT_DATA, config.memory_mb),
        (resource.RLIMIT_FSIZE, config.file_mb),
        (resource.RLIMIT_CORE, 0),
    ):
        value = megabytes * 2**20
        try:
            resource.setrlimit(kind, (value, value))
        except (ValueError, OSError):
            pass
    # A write past the file limit then fails with OSError(EFBIG) instead of killing the kernel.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def _cap_streams(chars: int) -> None:
    """Stop forwarding stdout/stderr text past ``chars`` characters per stream."""
    from ipykernel.iostream import OutStream

    original = OutStream.write
    used: dict[str, int] = {}

    def write(self: Any, string: str) -> int | None:
        if not isinstance(string, str):
            return original(self, string)
        name = getattr(self, "name", "stdout")
        room = chars - used.get(name, 0)
        used[name] = used.get(name, 0) + len(string)
        if room <= 0:
            return len(string)
        if len(string) > room:
            original(self, string[:room] + OUTPUT_MARK)
            return len(string)
        return original(self, string)

    OutStream.write = write  # type: ignore[method-assign]
    # IPython 9 also keeps every byte a cell prints in its history (memory without bound).
    from IPython.core.interactiveshell import InteractiveShell

    if hasattr(InteractiveShell, "_tee"):
        untee = lambda self, channel: contextlib.nullcontext()
        InteractiveShell._tee = untee  # type: ignore[method-assign, assignment]


def install(config: GuardConfig) -> None:
    """Apply every guard to this (the kernel's) process."""
    if host.has_rlimits():
        _set_rlimits(config)
    _cap_streams(config.output_chars)
    sys.addaudithook(_Hook(config))
