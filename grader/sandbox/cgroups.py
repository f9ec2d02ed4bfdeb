"""Grader side: a cgroup per kernel, where this machine lets the grader make one.

Each kernel gets a group of its own, which its first process enters before it forks anything
(``kernel.resources.join_cgroup``), so everything the kernel starts is in it: CPU shared equally
with the other kernels, however many processes each runs (``cpu.weight``, v1 ``cpu.shares``); a
hard ceiling on memory (``memory.max``, v1 ``memory.limit_in_bytes``: the OOM killer then picks
a process of this kernel, never the grader or a classmate); a hard ceiling on tasks
(``pids.max``).  The groups live in one group per user, ``grader-<uid>``, whose CPU weight is
that of one busy process per CPU.

Where that group may be made: cgroup v2, the nearest group from the grader's own up whose
children get the ``cpu``, ``memory`` and ``pids`` controllers and in which this user may make
one (as root, the machine's or a container's own; as an ordinary user, a group of the user's
systemd manager: run the grader in ``systemd-run --user --scope``); cgroup v1, the grader's own
group in each of those three hierarchies (root).  Where none can, ``base`` says why and the
limits fall back to the watchdog (``watchdog``: time counted as the kernel's own CPU time).
``GRADER_SIMULATE=no-cgroups`` simulates that.

A group is named with its grader's tag (``owner``); the groups of a grader that is gone are
removed by the next one (``sweep``).
"""

from __future__ import annotations

import functools
import itertools
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

from grader.boundary.execution import Limits
from grader.sandbox import owner
from grader.sandbox.system import host

CONTROLLERS = ("cpu", "memory", "pids")
# Tasks (threads count) a kernel may have beyond ``max_processes``: TensorFlow starts a few
# threads per CPU.
TASKS_BASE, TASKS_PER_CPU = 64, 8
_WEIGHT = {1: ("cpu.shares", 1024, 262144), 2: ("cpu.weight", 100, 10000)}
_NUMBERS = itertools.count(1)


@dataclass(frozen=True)
class Base:
    """Where this process makes kernels' groups: one folder (v2), or one per controller (v1)."""

    version: int
    folders: tuple[tuple[str, Path], ...]


def _mounts() -> list[tuple[str, str, set[str]]]:
    """``(mount point, root in the hierarchy, options)`` of every cgroup mount."""
    found = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            dash = fields.index("-")
            kind, options = fields[dash + 1], set(fields[dash + 3].split(","))
            if kind in ("cgroup", "cgroup2"):
                options.add(kind)
                found.append((fields[4], fields[3], options))
    return found


def _own() -> dict[str, str]:
    """This process's group in each hierarchy: ``""`` for v2, each controller for v1."""
    own = {}
    with open("/proc/self/cgroup") as f:
        for line in f:
            _, names, path = line.rstrip("\n").split(":", 2)
            for name in names.split(",") if names else [""]:
                own[name] = path
    return own


def _inside(mount: str, root: str, path: str) -> Path:
    relative = os.path.relpath(path, root) if path.startswith(root) else path.lstrip("/")
    return Path(mount, "" if relative == "." else relative)


def _v2(mounts: list[tuple[str, str, set[str]]], own: dict[str, str]) -> Path | None:
    """The folder of the nearest v2 group, from this process's up, whose children get every
    controller and in which this user may make a group."""
    for mount, root, options in mounts:
        if "cgroup2" not in options or "" not in own:
            continue
        folder = _inside(mount, root, own[""])
        while True:
            try:
                enabled = set((folder / "cgroup.subtree_control").read_text().split())
            except OSError:
                enabled = set()
            if set(CONTROLLERS) <= enabled and os.access(folder, os.W_OK):
                return folder
            if folder == Path(mount):
                break
            folder = folder.parent
    return None


def _v1(mounts: list[tuple[str, str, set[str]]], own: dict[str, str]) -> dict[str, Path]:
    """This process's group in each v1 hierarchy of ``CONTROLLERS`` this user may write."""
    found = {}
    for controller in CONTROLLERS:
        for mount, root, options in mounts:
            if controller in options and controller in own:
                folder = _inside(mount, root, own[controller])
                if os.access(folder, os.W_OK):
                    found[controller] = folder
    return found


def _write(path: Path, value: str) -> None:
    path.write_text(value)


def _parent(folder: Path, version: int) -> Path:
    """``grader-<uid>`` in ``folder``, made if needed, weighing one busy process per CPU."""
    parent = folder / f"grader-{os.getuid()}"
    parent.mkdir(exist_ok=True)
    if version == 2:
        _write(parent / "cgroup.subtree_control", " ".join(f"+{c}" for c in CONTROLLERS))
    if version == 2 or (parent / _WEIGHT[1][0]).exists():
        name, default, most = _WEIGHT[version]
        _write(parent / name, str(min(most, default * (os.cpu_count() or 1))))
    return parent


@functools.cache
def _base(simulated: str) -> Base | str:
    if not host.is_linux():
        return "not Linux"
    if "no-cgroups" in host.simulated():
        return "no cgroups (simulated: GRADER_SIMULATE=no-cgroups)"
    try:
        mounts, own = _mounts(), _own()
        v2 = _v2(mounts, own)
        if v2 is not None:
            return Base(2, (("", _parent(v2, 2)),))
        v1 = _v1(mounts, own)
        if set(v1) == set(CONTROLLERS):
            return Base(1, tuple((c, _parent(v1[c], 1)) for c in CONTROLLERS))
    except (OSError, ValueError) as exc:
        return f"the cgroups could not be set up ({type(exc).__name__}: {exc})"
    return (
        "no cgroup in which this user may make groups with the cpu, memory and pids controllers "
        "(grade as root, or in a scope of your systemd user manager: systemd-run --user --scope)"
    )


def base() -> Base | str:
    """Where this process makes kernels' groups, or why it cannot (asked once per process and
    simulation setting)."""
    return _base(os.environ.get(host.SIMULATE_ENV, ""))


def tasks_allowed(limits: Limits) -> int:
    """``pids.max``: the kernel's processes and their threads."""
    return limits.max_processes + TASKS_BASE + TASKS_PER_CPU * (os.cpu_count() or 1)


@dataclass(frozen=True)
class Group:
    """One kernel's group: its folder in each hierarchy."""

    version: int
    folders: tuple[tuple[str, Path], ...]
    memory_mb: int
    tasks: int

    @property
    def procs(self) -> list[str]:
        """The files the kernel's first process writes itself into."""
        return [str(folder / "cgroup.procs") for _, folder in self.folders]

    def _file(self, controller: str, name: str) -> Path:
        return dict(self.folders).get(controller, self.folders[0][1]) / name

    def _count(self, controller: str, name: str, key: str) -> int:
        try:
            for line in self._file(controller, name).read_text().splitlines():
                field, _, value = line.partition(" ")
                if field == key:
                    return int(value)
        except (OSError, ValueError):
            pass
        return 0

    def holds(self, pid: int) -> bool:
        """Whether ``pid`` is in this group, in every hierarchy."""
        return all(str(pid) in self.members(folder) for _, folder in self.folders)

    @staticmethod
    def members(folder: Path) -> list[str]:
        try:
            return (folder / "cgroup.procs").read_text().split()
        except OSError:
            return []

    def out_of_memory(self) -> bool:
        """Whether the OOM killer has killed a process of this group."""
        events = ("memory.events", "oom_kill") if self.version == 2 else ("memory.oom_control",)
        return self._count("memory", events[0], "oom_kill") > 0

    def out_of_tasks(self) -> bool:
        """Whether a fork or a thread was refused for ``pids.max``."""
        return self._count("pids", "pids.events", "max") > 0

    def kill(self) -> None:
        """Kill every process in the group (v2's ``cgroup.kill`` first, where there is one)."""
        for _, folder in self.folders:
            try:
                _write(folder / "cgroup.kill", "1")
            except OSError:
                pass
            for pid in self.members(folder):
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (OSError, ValueError):
                    pass

    def remove(self, wait_s: float = 1.0) -> bool:
        """Kill what is left in the group and remove it; whether it is gone (one that is not is
        removed by a later ``sweep``)."""
        deadline = time.monotonic() + wait_s
        while True:
            self.kill()
            left = []
            for _, folder in self.folders:
                try:
                    folder.rmdir()
                except FileNotFoundError:
                    pass
                except OSError:
                    left.append(folder)
            if not left or time.monotonic() > deadline:
                return not left
            time.sleep(0.02)


def headroom_mb(memory_mb: int) -> int:
    """How far the group's memory ceiling lies above the kernel's memory limit.  The watchdog
    ends a kernel over its limit and says so (``resource_limit``, "memory"); a ceiling at the
    limit itself is reached first, and a kernel held there is not killed but reclaims its own
    code pages over and over until its cell times out.  The ceiling is the backstop, not the
    limit."""
    return max(256, memory_mb // 4)


def create(where: Base, limits: Limits, files_mb: int) -> Group:
    """A group for one kernel under ``limits``, whose files (a tmpfs, charged to its memory) may
    take ``files_mb`` more; raises ``OSError`` when it cannot be made."""
    name = f"k-{owner.tag()}-{next(_NUMBERS)}"
    folders = tuple((c, parent / name) for c, parent in where.folders)
    ceiling = limits.memory_mb + headroom_mb(limits.memory_mb) + files_mb
    group = Group(where.version, folders, ceiling, tasks_allowed(limits))
    memory = str(group.memory_mb * 2**20)
    try:
        for controller, folder in folders:
            folder.mkdir()
            if controller in ("", "cpu"):
                weight, default, _ = _WEIGHT[where.version]
                _write(folder / weight, str(default))
            if controller in ("", "memory"):
                limit = "memory.max" if where.version == 2 else "memory.limit_in_bytes"
                _write(folder / limit, memory)
                for swap in ("memory.swap.max", "memory.memsw.limit_in_bytes"):
                    if (folder / swap).exists():
                        _write(folder / swap, "0" if swap.endswith("max") else memory)
            if controller in ("", "pids"):
                _write(folder / "pids.max", str(group.tasks))
    except OSError:
        group.remove(0)
        raise
    return group


def sweep(where: Base) -> list[str]:
    """Remove the groups left by graders that are gone; their names."""
    removed = []
    for controller, parent in where.folders:
        try:
            names = [p.name for p in parent.iterdir() if p.is_dir() and p.name.startswith("k-")]
        except OSError:
            continue
        for name in names:
            if owner.gone(name):
                Group(where.version, ((controller, parent / name),), 0, 0).remove(0.2)
                removed.append(name)
    return removed
