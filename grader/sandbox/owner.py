"""Grader side: which grader process owns a kernel's folders and cgroup, and whether it still lives.

A grader killed with ``kill -9`` (or by ``SIGBUS``) runs no clean-up: its kernels die with it
(``confine.fork_tied``), but their folders and groups stay.  Each is named with its owner's tag,
the grader process's pid, start time and PID namespace, so that the next grader to start a
kernel removes those of an owner that is gone (``disk.sweep``, ``cgroups.sweep``) and never those
of one that runs (a pid reused since has another start time; a grader in another PID namespace is
left alone).
"""

from __future__ import annotations

import functools
import os
import re

# ``<pid namespace>.<pid>.<start time>``, in folder and group names.
TAG = re.compile(r"(\d+)\.(\d+)\.(\d+)")


def _start_time(pid: int) -> int | None:
    """``pid``'s start time in clock ticks since boot (``/proc/<pid>/stat``); ``None`` when it
    has ended."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return int(f.read().rsplit(b")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return None


def _pid_namespace() -> int:
    try:
        return os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        return 0


@functools.cache
def _tag_of(pid: int) -> str:
    return f"{_pid_namespace()}.{pid}.{_start_time(pid) or 0}"


def tag() -> str:
    """This process's tag (a forked child has its own)."""
    return _tag_of(os.getpid())


def gone(name: str) -> bool:
    """Whether the owner tagged in ``name`` has ended: a tag of this PID namespace whose pid no
    longer runs, or runs with another start time.  A name with no tag, or a tag of another
    namespace, is never gone."""
    found = TAG.search(name)
    if found is None:
        return False
    namespace, pid, started = (int(part) for part in found.groups())
    if namespace != _pid_namespace():
        return False
    return _start_time(pid) != started
