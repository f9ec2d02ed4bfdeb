"""Grader side: the limits enforced from outside the kernel, on its whole process tree.

The tree is rooted at the process the grader started (``unshare`` or the launcher, a child
subreaper, so nothing the kernel starts can leave it; off Linux, the kernel itself) and read
from ``/proc`` or through psutil (``processes``).  Five times a second the watchdog sums the
tree's memory and counts its processes, reads its cgroup's events (an OOM kill, a refused fork:
``cgroups``) and its tmpfs's use (``tmpfs``); once a second it scans what the kernel may write on
the machine's disk (``disk.scanned_mb``: what it cannot name counts as over).  Past the time for
the whole submission or any limit it stops, then kills, every member.

Time is the wall clock where the kernel has a cgroup (its share of the CPU is its own, whatever
its neighbours run).  Without one, a neighbour's busy processes could starve it into a timeout,
so each cell's time and the whole notebook's are the kernel's own: its tree's CPU time, never
more than the wall clock, with the wall clock as a backstop at ``BACKSTOP`` times the limit.  A
cell past its own time is interrupted as nbclient would (``SIGINT`` to the kernel's group); one
that goes on ``GRACE_S`` later is a timeout, and the tree is killed.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

from grader.boundary.execution import ExecutionStatus, Limits
from grader.sandbox import disk
from grader.sandbox.cgroups import Group
from grader.sandbox.system.processes import (
    cpu_seconds,
    kernel_of,
    living,
    memory_mb,
    process_tree,
    resident_mb,
    stop_then_kill,
)
from grader.sandbox.tmpfs import Mounted

DISK_SCAN_EVERY = 5
# Without a cgroup: the wall clock's limit is this many times the kernel's own time's.
BACKSTOP = 3.0
# Seconds of its own time a cell interrupted for its time may go on before the tree is killed.
GRACE_S = 5.0


class Watchdog(threading.Thread):
    """Kills the kernel's process tree when it runs too long or uses too much memory,
    too many processes or too much disk.  ``group``: its cgroup, if it is in one (time is then
    the wall clock's); ``mounted``: its tmpfs, if it has one."""

    def __init__(
        self,
        pid: int,
        limits: Limits,
        folders: list[Path],
        group: Group | None = None,
        mounted: Mounted | None = None,
        own_time: bool = False,
    ) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.limits = limits
        self.folders = folders
        self.group = group
        self.mounted = mounted
        self.own_time = own_time
        self.started_at = time.monotonic()
        self.cpu_at_start = cpu_seconds(process_tree(pid)) if own_time else 0.0
        # The cell running now: its number, and the wall clock and CPU time when it started.
        self.cell: tuple[int, float, float] | None = None
        self.interrupted: set[int] = set()
        self.breach: ExecutionStatus | None = None
        self.detail = ""
        self._finished = threading.Event()

    def run(self) -> None:
        ticks = 0
        while not self._finished.wait(0.2):
            ticks += 1
            self.check(slow=ticks % DISK_SCAN_EVERY == 0)
            if self.breach:
                kill_tree(self.pid)
                return

    def cell_started(self, number: int | None) -> None:
        """Cell ``number`` starts now (``None``: no student cell runs)."""
        if number is None:
            self.cell = None
            return
        cpu = cpu_seconds(process_tree(self.pid)) if self.own_time else 0.0
        self.cell = (number, time.monotonic(), cpu)

    def _own_s(self, wall_since: float, cpu_since: float, cpu: float) -> float:
        return min(time.monotonic() - wall_since, cpu - cpu_since)

    def _time(self, tree: list[int], running: bool) -> str:
        """Why the time is up, or ``""``."""
        limits = self.limits
        wall = time.monotonic() - self.started_at
        if not running:
            return ""
        if not self.own_time:
            if wall > limits.total_timeout_s:
                return f"the whole notebook ran longer than {limits.total_timeout_s:g} s"
            return ""
        if wall > BACKSTOP * limits.total_timeout_s:
            return (
                f"the whole notebook ran longer than {BACKSTOP * limits.total_timeout_s:g} s "
                "(the wall clock's backstop)"
            )
        cpu = cpu_seconds(tree)
        if self._own_s(self.started_at, self.cpu_at_start, cpu) > limits.total_timeout_s:
            return f"the whole notebook used more than {limits.total_timeout_s:g} s of its own time"
        if self.cell is not None:
            number, wall_at, cpu_at = self.cell
            own = self._own_s(wall_at, cpu_at, cpu)
            if own > limits.cell_timeout_s + GRACE_S and number in self.interrupted:
                return f"cell {number} ignored the interrupt"
            if own > limits.cell_timeout_s and number not in self.interrupted:
                self.interrupted.add(number)
                _interrupt(self.pid)
        return ""

    def check(self, slow: bool = True, running: bool = True) -> None:
        """Set ``breach`` and ``detail`` if a limit is exceeded now (time only while
        ``running``)."""
        tree = process_tree(self.pid)
        # Resident memory is read in microseconds and is never below PSS: the proportional count
        # (milliseconds per process, five times a second) only decides when that bound is over.
        used = resident_mb(tree)
        if used > self.limits.memory_mb:
            used = memory_mb(tree)
        scanned = disk.scanned_mb(self.folders) if slow else 0.0
        written = None if scanned is None else scanned + self._tmpfs_mb()
        if self.breach:
            return
        group = self.group
        why = self._time(tree, running)
        if used > self.limits.memory_mb or (group is not None and group.out_of_memory()):
            self.breach, self.detail = (
                "resource_limit",
                f"more than {self.limits.memory_mb} MB of memory",
            )
        elif len(tree) > self.limits.max_processes or (group is not None and group.out_of_tasks()):
            self.breach, self.detail = (
                "resource_limit",
                f"more than {self.limits.max_processes} processes",
            )
        elif written is None or written > self.limits.disk_mb or self._tmpfs_full():
            self.breach, self.detail = (
                "resource_limit",
                f"more than {self.limits.disk_mb} MB (or {disk.MAX_SCANNED_FILES} files) on disk",
            )
        elif why:
            self.breach, self.detail = "timeout", why

    def _tmpfs_mb(self) -> float:
        return self.mounted.used_mb() if self.mounted is not None else 0.0

    def _tmpfs_full(self) -> bool:
        return self.mounted is not None and self.mounted.full()

    def stop(self) -> None:
        self._finished.set()


def _interrupt(root: int) -> None:
    """What nbclient's interrupt does: ``SIGINT`` to the kernel's process group."""
    kernel = kernel_of(root)
    try:
        if hasattr(os, "killpg"):
            os.killpg(kernel, signal.SIGINT)
        else:
            os.kill(kernel, signal.SIGINT)
    except OSError:
        pass


def kill_tree(pid: int) -> None:
    """Stop, then kill, ``pid`` and every process below it, until none is left.

    Members are stopped first so that a fork loop cannot outpace the killing.
    """
    for _ in range(50):
        members = living(process_tree(pid))
        if not members:
            return
        stop_then_kill(members)
        time.sleep(0.02)
