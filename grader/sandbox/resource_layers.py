"""Grader side: three entries of a record's ``isolation`` beside the four layers and the limits
(``isolation``): what kept one kernel from taking what its classmates need.

- ``resources``: CPU, memory and tasks, by a cgroup of its own (``cgroups``); else the limits
  count the kernel's own time (``watchdog``) and memory and processes are the watchdog's.
- ``disk``: a tmpfs of the disk limit's size for its folders (``tmpfs``); else the watchdog's scan,
  which counts what it cannot name as over the limit.
- ``keyring``: a session keyring of its own, and the seccomp filter refusing every key call; the
  user's keyring (``@u``) is shared by every process of the user, so without the filter a key a
  kernel adds stays for the next.

Each says which mechanism held, or what is missing and why, from what the grader checked itself
(``kernel_resources.Resources.attach``) and the launcher's report.
"""

from __future__ import annotations

import os
from typing import Any

from grader.boundary.execution import Layer
from grader.sandbox import cgroups, tmpfs
from grader.sandbox.kernel_resources import Resources
from grader.sandbox.watchdog import BACKSTOP

NAMES = ("resources", "disk", "keyring")
OWN_TIME = (
    "the time limits count the kernel's own CPU time (never more than the wall clock), with the "
    f"wall clock as a backstop at {BACKSTOP:g} times the limit; memory and processes are bounded "
    "by the watchdog's polling"
)
SCANNED = "the watchdog scans its folders; what it cannot name counts as over the limit"
KEY_CALLS = "seccomp refuses add_key, request_key and keyctl"
NOT_LINUX = {
    "resources": f"missing: not Linux, so no cgroups; {OWN_TIME}",
    "disk": f"missing: not Linux, so no tmpfs; {SCANNED}",
    "keyring": "missing: not Linux; nothing keeps the kernel from the user's keys",
}


def _resources(held: Resources, filesystem: bool) -> Layer:
    group = held.group
    if group is None or held.group_missing:
        return Layer("resources", False, f"missing: {held.group_missing}; {OWN_TIME}")
    by = (
        f"cgroup v{group.version} of its own: an equal share of the CPU, {group.memory_mb} MB of "
        f"memory (files on its tmpfs included), {group.tasks} tasks"
    )
    if not filesystem and os.geteuid() == 0:
        # Without Landlock a kernel run by root may write ``cgroup.procs`` and leave its group.
        return Layer(
            "resources", False, f"missing: without Landlock, root's kernel can leave its {by}"
        )
    return Layer("resources", True, by)


def _disk(held: Resources) -> Layer:
    if held.mounted is None:
        why = held.tmpfs_missing or "its tmpfs was not checked"
        return Layer("disk", False, f"missing: {why}; {SCANNED}")
    return Layer("disk", True, f"a tmpfs of {held.mounted.size_mb} MB for its folders")


def keyring(report: dict[str, Any]) -> Layer:
    """From the launcher's report: its session keyring, and whether seccomp refuses key calls."""
    joined = (report.get("taken") or {}).get("keyring") or {}
    filtered = report.get("seccomp") is True
    if "none" in joined:
        return Layer("keyring", True, "this Linux has no keyrings")
    if not filtered:
        session = "a session keyring of its own" if "session" in joined else "the grader's keyring"
        return Layer(
            "keyring", False, f"missing: no seccomp filter; {session}, and the user's is shared"
        )
    if "session" in joined:
        return Layer("keyring", True, f"a session keyring of its own; {KEY_CALLS}")
    return Layer("keyring", True, KEY_CALLS)


def layers(report: dict[str, Any], held: Resources, filesystem: bool) -> tuple[Layer, ...]:
    """The three entries for one kernel; ``filesystem``: whether Landlock held for it."""
    return (_resources(held, filesystem), _disk(held), keyring(report))


def expected(namespaces: str, seccomp: bool, filesystem: bool) -> tuple[Layer, ...]:
    """The three entries a kernel started now would get, without starting one."""
    where = cgroups.base()
    if isinstance(where, str):
        resources = Layer("resources", False, f"missing: {where}; {OWN_TIME}")
    elif not filesystem and os.geteuid() == 0:
        resources = Layer(
            "resources", False, "missing: without Landlock, root's kernel can leave its cgroup"
        )
    else:
        resources = Layer("resources", True, f"cgroup v{where.version} per kernel")
    missing = tmpfs.unavailable(namespaces)
    disk = (
        Layer("disk", False, f"missing: {missing}; {SCANNED}")
        if missing
        else Layer("disk", True, "a tmpfs per kernel for its folders")
    )
    report = {"seccomp": seccomp, "taken": {"keyring": {"session": 0}}}
    return resources, disk, keyring(report)
