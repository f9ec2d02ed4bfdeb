"""Grader side: what one kernel gets besides its folders: a cgroup (``cgroups``) and a tmpfs for its
folders (``tmpfs``), each where this machine allows, and what happened to each.

``Resources.take`` makes the group and plans the tmpfs before the kernel is started (the plan
carries both to its first process); ``attach`` checks, once the kernel answers and before any
student code runs, that the first process is in the group and that the tmpfs is there, and keeps
a descriptor of the tmpfs; ``release`` removes the group and lets the tmpfs go.  The first kernel a
grader process starts first removes what graders that are gone left (``disk.sweep``,
``cgroups.sweep``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.boundary.execution import Limits
from grader.sandbox import cgroups, disk, tmpfs
from grader.sandbox.tmpfs import Mounted


@functools.cache
def sweep_once() -> None:
    """Remove the folders and groups of graders that are gone (once per process)."""
    disk.sweep()
    where = cgroups.base()
    if isinstance(where, cgroups.Base):
        cgroups.sweep(where)


@dataclass
class Resources:
    """One kernel's group and tmpfs, or why each is missing."""

    group: cgroups.Group | None
    group_missing: str
    tmpfs_plan: dict[str, Any] | None
    tmpfs_missing: str
    mounted: Mounted | None = None
    evidence_on_tmpfs: bool = False

    @staticmethod
    def take(
        root: Path, folders: list[Path], evidence: Path | None, limits: Limits, namespaces: str
    ) -> Resources:
        """A group under ``limits`` and the plan of a tmpfs over ``folders`` (and ``evidence``,
        the kernel's own evidence folder, if it has one) in ``root``; each where possible."""
        sweep_once()
        tmpfs_missing = tmpfs.unavailable(namespaces)
        plan = None if tmpfs_missing else tmpfs.spec(root, folders, evidence, limits)
        where = cgroups.base()
        group, group_missing = None, where if isinstance(where, str) else ""
        if isinstance(where, cgroups.Base):
            try:
                group = cgroups.create(where, limits, limits.disk_mb if plan else 0)
            except OSError as exc:
                group_missing = f"its cgroup could not be made ({exc.strerror or exc})"
        return Resources(group, group_missing, plan, tmpfs_missing, None, evidence is not None)

    def plan(self) -> dict[str, Any]:
        """What the kernel's first process is to take (``kernel.resources``)."""
        return {"cgroup": self.group.procs if self.group else [], "tmpfs": self.tmpfs_plan}

    def attach(self, pid: int, taken: dict[str, Any]) -> None:
        """Once the kernel (first process ``pid``) answered: check the group and the tmpfs from
        outside, given what the launcher reported (``taken``)."""
        if self.group is not None and not self.group_missing:
            joined = taken.get("cgroup")
            if joined is not True or not self.group.holds(pid):
                self.group_missing = (
                    f"the kernel could not enter its cgroup ({joined})"
                    if isinstance(joined, str)
                    else "the kernel is not in its cgroup"
                )
        if self.tmpfs_plan is not None and self.mounted is None and not self.tmpfs_missing:
            mounted = taken.get("tmpfs")
            if not isinstance(mounted, dict):
                self.tmpfs_missing = f"its tmpfs could not be mounted ({mounted})"
                return
            opened = Mounted.open(pid, self.tmpfs_plan["mount"], self.tmpfs_plan["size_mb"])
            if isinstance(opened, str):
                self.tmpfs_missing = opened
            else:
                self.mounted = opened

    @property
    def limited(self) -> bool:
        """Whether the kernel is in its cgroup (CPU shared fairly, memory and tasks capped)."""
        return self.group is not None and not self.group_missing

    def evidence(self) -> Path | None:
        """Where the grader reads the kernel's evidence when it is on the tmpfs."""
        if self.mounted is None or not self.evidence_on_tmpfs:
            return None
        return self.mounted.path(tmpfs.EVIDENCE)

    def release(self) -> None:
        """Remove the group (killing what is left in it) and let the tmpfs go."""
        if self.group is not None:
            self.group.remove()
        if self.mounted is not None:
            self.mounted.close()
