"""Kernel side: the namespaces ``unshare(1)`` would make, made by a forked process for itself.

The fork server (``forkserver.server``) cannot ``exec`` ``unshare``: its kernels keep the TensorFlow
it imported.  So each kernel's first process does what ``unshare --map-root-user --net --pid --ipc
--fork --kill-child --mount-proc`` does, with the options the machine's probe chose
(``isolation.probe``: the first form that ran ``true`` here): ``unshare(2)`` for the user, network,
IPC, mount and PID namespaces, the user namespace's maps, then, in the child that is the PID
namespace's first process, a private ``/proc``.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass

CLONE_NEWNS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = (
    0x20000,
    0x8000000,
    0x10000000,
    0x20000000,
    0x40000000,
)
MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REC, MS_PRIVATE = 2, 4, 8, 0x4000, 0x40000
# ``unshare(1)``'s options as the probe names them, and the namespaces each makes.
OPTIONS = {
    "--map-root-user": CLONE_NEWUSER,
    "--net": CLONE_NEWNET,
    "--ipc": CLONE_NEWIPC,
    "--pid": CLONE_NEWPID,
    "--mount-proc": CLONE_NEWNS,
}
# Loaded before any fork: a forked child must not ``dlopen`` (another thread may hold the loader's
# lock).
_LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None


@dataclass(frozen=True)
class Unshare:
    """The namespaces one kernel gets: ``unshare(2)``'s flags."""

    flags: int = 0

    @staticmethod
    def of(prefix: Sequence[str]) -> Unshare:
        """From the probe's ``unshare`` command line (empty: no namespace on this machine)."""
        flags = 0
        for option in prefix:
            flags |= OPTIONS.get(option, 0)
        return Unshare(flags)

    @property
    def pid(self) -> bool:
        return bool(self.flags & CLONE_NEWPID)

    @property
    def proc(self) -> bool:
        return bool(self.flags & CLONE_NEWNS)


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def _write(path: str, text: str) -> None:
    with open(path, "w") as f:
        f.write(text)


def enter(spaces: Unshare) -> None:
    """Move this (single-threaded, just forked) process into new namespaces; a PID namespace
    applies to the children it forks next.  Raises ``OSError`` when the kernel refuses."""
    if not spaces.flags:
        return
    uid, gid = os.getuid(), os.getgid()
    assert _LIBC is not None
    _check(_LIBC.unshare(spaces.flags), "unshare")
    if spaces.flags & CLONE_NEWUSER:
        # Root inside, this user outside: what ``--map-root-user`` writes.
        _write("/proc/self/setgroups", "deny")
        _write("/proc/self/uid_map", f"0 {uid} 1")
        _write("/proc/self/gid_map", f"0 {gid} 1")


def make_private() -> None:
    """In a mount namespace of this process's own: no mount made from now on reaches the
    machine's (nor one of the machine's this one)."""
    assert _LIBC is not None
    _check(_LIBC.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None), "making / private")


def mount_proc() -> None:
    """In the PID namespace's first process: its own ``/proc``, on mounts no longer shared with
    the machine's (``--mount-proc``)."""
    assert _LIBC is not None
    make_private()
    _check(
        _LIBC.mount(b"proc", b"/proc", b"proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, None),
        "mounting /proc",
    )
