"""Grader side: the limits enforced from outside the kernel, on its whole process tree.

The tree is rooted at the process the grader started (``unshare`` or the launcher, a child
subreaper, so nothing the kernel starts can leave it; off Linux, the kernel itself) and read
from ``/proc`` or through psutil (``processes``).  Five times a second the watchdog
sums the tree's memory and counts its processes; once a second it sums the scratch
folders on disk; past the time for the whole submission or any limit it stops, then
kills, every member.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from grader.boundary.execution import ExecutionStatus, Limits
from grader.sandbox.system.processes import (
    living,
    memory_mb,
    process_tree,
    resident_mb,
    stop_then_kill,
)

DISK_SCAN_EVERY = 5
MAX_SCANNED_FILES = 20_000


def _size(info: os.stat_result) -> int:
    """Bytes a file takes on disk (Windows reports no blocks: its length there)."""
    blocks = getattr(info, "st_blocks", None)
    return info.st_size if blocks is None else blocks * 512


def _disk_mb(folders: list[Path]) -> float | None:
    """Bytes under ``folders`` in MiB; ``None`` when they hold too many files to count."""
    total, seen, todo = 0, 0, [str(f) for f in folders]
    while todo:
        try:
            with os.scandir(todo.pop()) as entries:
                for entry in entries:
                    seen += 1
                    if seen > MAX_SCANNED_FILES:
                        return None
                    if entry.is_dir(follow_symlinks=False):
                        todo.append(entry.path)
                    elif entry.is_file(follow_symlinks=False):
                        total += _size(entry.stat(follow_symlinks=False))
        except OSError:
            continue
    return total / 2**20


class Watchdog(threading.Thread):
    """Kills the kernel's process tree when it runs too long or uses too much memory,
    too many processes or too much disk."""

    def __init__(self, pid: int, limits: Limits, folders: list[Path]) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.limits = limits
        self.folders = folders
        self.started_at = time.monotonic()
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

    def check(self, slow: bool = True, running: bool = True) -> None:
        """Set ``breach`` and ``detail`` if a limit is exceeded now (time only while
        ``running``)."""
        tree = process_tree(self.pid)
        # Resident memory is read in microseconds and is never below PSS: the proportional count
        # (milliseconds per process, five times a second) only decides when that bound is over.
        used = resident_mb(tree)
        if used > self.limits.memory_mb:
            used = memory_mb(tree)
        disk = _disk_mb(self.folders) if slow else 0.0
        if not self.breach:
            if used > self.limits.memory_mb:
                self.breach, self.detail = (
                    "resource_limit",
                    f"more than {self.limits.memory_mb} MB of memory",
                )
            elif len(tree) > self.limits.max_processes:
                self.breach, self.detail = (
                    "resource_limit",
                    f"more than {self.limits.max_processes} processes",
                )
            elif disk is None or disk > self.limits.disk_mb:
                self.breach, self.detail = (
                    "resource_limit",
                    f"more than {self.limits.disk_mb} MB (or {MAX_SCANNED_FILES} files) on disk",
                )
            elif running and time.monotonic() - self.started_at > self.limits.total_timeout_s:
                self.breach, self.detail = (
                    "timeout",
                    f"the whole notebook ran longer than {self.limits.total_timeout_s:g} s",
                )

    def stop(self) -> None:
        self._finished.set()


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
