"""Grader side: a kernel's folders on a tmpfs in its own mount namespace, of the disk limit's size.

The kernel's first process mounts it (``kernel.resources.mount_tmpfs``) before anything of the
kernel exists: its working folder, HOME, TMPDIR and, when the kernel owns its evidence folder,
that one too, each a folder of one tmpfs bind-mounted over the grader's empty folder of that name.
The grader sees the tmpfs through the kernel's first process (``/proc/<pid>/root``) and keeps a
descriptor of it (``Mounted``): the evidence is read through it (``/proc/self/fd/<fd>/evidence``),
after the kernel is gone too, and its use is one ``fstatvfs`` away.  When the kernel is gone and the
descriptor closed, the memory is freed: nothing of it was ever on the machine's disk.

It needs a mount namespace (the namespaces the probe found, ``isolation.Support``); where there is
none, or ``GRADER_SIMULATE=no-tmpfs``, the folders stay on the disk, measured by the watchdog's
scan (``disk.scanned_mb``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.boundary.execution import Limits
from grader.sandbox import disk
from grader.sandbox.system import host

MOUNT = "disk"
EVIDENCE = "evidence"


def unavailable(namespaces: str) -> str:
    """Why a kernel started with ``namespaces`` (the probe's) gets no tmpfs; ``""`` if it does."""
    if "no-tmpfs" in host.simulated():
        return "no tmpfs (simulated: GRADER_SIMULATE=no-tmpfs)"
    if "pid" not in namespaces:
        return "no mount namespace on this machine, so no tmpfs of its own"
    return ""


def spec(root: Path, folders: list[Path], evidence: Path | None, limits: Limits) -> dict[str, Any]:
    """The plan's ``tmpfs``: mounted at ``root/disk``, over ``folders`` and ``evidence``."""
    (root / MOUNT).mkdir()
    binds = [[folder.name, str(folder)] for folder in folders]
    if evidence is not None:
        binds.append([EVIDENCE, str(evidence)])
    return {
        "mount": str(root / MOUNT),
        "size_mb": limits.disk_mb,
        "inodes": disk.MAX_SCANNED_FILES,
        "binds": binds,
    }


@dataclass
class Mounted:
    """The grader's descriptor of one kernel's tmpfs."""

    fd: int
    size_mb: int

    @staticmethod
    def open(pid: int, mount: str, size_mb: int) -> Mounted | str:
        """The tmpfs ``pid``'s mount namespace has at ``mount``; why not, when it is not there
        (not a filesystem of its own, or not of that size)."""
        try:
            fd = os.open(
                f"/proc/{pid}/root{mount}",
                os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC,
            )
        except OSError as exc:
            return f"its folders could not be opened ({exc.strerror})"
        mounted = Mounted(fd, size_mb)
        try:
            beneath = os.stat(os.path.dirname(mount)).st_dev
        except OSError:
            beneath = None
        if os.fstat(fd).st_dev == beneath or abs(mounted.total_mb() - size_mb) > 1:
            mounted.close()
            return "the kernel's folders are not on a tmpfs of their own"
        return mounted

    def path(self, name: str) -> Path:
        """A folder of the tmpfs, as a path this process can open (after the kernel is gone too)."""
        return Path(f"/proc/self/fd/{self.fd}", name)

    def total_mb(self) -> float:
        info = os.fstatvfs(self.fd)
        return info.f_blocks * info.f_frsize / 2**20

    def used_mb(self) -> float:
        info = os.fstatvfs(self.fd)
        return (info.f_blocks - info.f_bfree) * info.f_frsize / 2**20

    def full(self) -> bool:
        """No byte or no file left: a write has failed, or the next will."""
        info = os.fstatvfs(self.fd)
        return info.f_bavail == 0 or info.f_favail == 0

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
