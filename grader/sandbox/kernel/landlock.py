"""Kernel side: Landlock, the Linux kernel's unprivileged sandbox, through its three system calls.

A process restricts itself (and every process it starts, for good) to the file hierarchies
it names, optionally to no TCP at all, and to signalling and reaching abstract sockets of
its own sandbox only.  The running kernel says which version of the interface (ABI) it
offers; each version adds rights, and a right the kernel does not know is simply not
asked for, so the same code runs on Linux 5.13 (ABI 1) through today's ABI 7.

There is a PyPI package named ``landlock``, but only as pre-releases that know neither
the TCP rules (ABI 4) nor the scoping (ABI 6); the interface is three system calls and
two structures, written out here against ``include/uapi/linux/landlock.h``.
"""

from __future__ import annotations

import ctypes
import os
import stat
from dataclasses import dataclass

# System call numbers: the same on every architecture (added after the tables were unified).
_CREATE_RULESET, _ADD_RULE, _RESTRICT_SELF = 444, 445, 446
_CREATE_RULESET_VERSION = 1
_RULE_PATH_BENEATH, _RULE_NET_PORT = 1, 2

EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
_CHANGE_TREE = sum(
    1 << bit for bit in range(4, 13)
)  # remove, make dir/file/socket/fifo/device/symlink
REFER, TRUNCATE, IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
CONNECT_TCP, BIND_TCP = 1 << 1, 1 << 0
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1 << 0, 1 << 1

READ_ONLY = EXECUTE | READ_FILE | READ_DIR
FILE_RIGHTS = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV


class _RulesetAttr(ctypes.Structure):
    _fields_ = [
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),
        ("scoped", ctypes.c_uint64),
    ]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


class LandlockError(OSError):
    """A Landlock system call failed (the reason is in ``strerror``)."""


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def abi_version() -> int:
    """The Landlock ABI this kernel offers; 0 when it has none (too old, or disabled at boot)."""
    version = _libc().syscall(
        _CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(_CREATE_RULESET_VERSION)
    )
    return max(int(version), 0)


def fs_rights(abi: int) -> int:
    """Every file-system right ABI ``abi`` knows: all of them are handled, so all are denied
    unless a rule grants them."""
    rights = EXECUTE | WRITE_FILE | READ_FILE | READ_DIR | _CHANGE_TREE
    if abi >= 2:
        rights |= REFER
    if abi >= 3:
        rights |= TRUNCATE
    if abi >= 5:
        rights |= IOCTL_DEV
    return rights


@dataclass(frozen=True)
class Policy:
    """What the restricted process may still do."""

    read_only: tuple[str, ...]
    read_write: tuple[str, ...]
    # Single files (device nodes, dataset files) with the file rights they keep.
    files: tuple[tuple[str, int], ...] = ()
    # ABI 4: no TCP connect or bind at all.
    deny_tcp: bool = True
    # ABI 6: no signals to, or abstract sockets of, processes outside the sandbox.
    scope: bool = True


@dataclass(frozen=True)
class Applied:
    abi: int
    tcp_denied: bool
    scoped: bool


def _check(result: int, what: str) -> int:
    if result < 0:
        errno = ctypes.get_errno()
        raise LandlockError(errno, f"{what}: {os.strerror(errno)}")
    return result


def restrict_self(policy: Policy, abi: int) -> Applied:
    """Restrict this process to ``policy`` using what ABI ``abi`` offers.

    ``no_new_privs`` must be set first (the caller's job: it also matters for seccomp).
    Only the calling thread is restricted, so call this before any thread starts; every
    process started afterwards inherits the restriction.
    """
    libc = _libc()
    handled_fs = fs_rights(abi)
    attr = _RulesetAttr(
        handled_fs,
        CONNECT_TCP | BIND_TCP if policy.deny_tcp and abi >= 4 else 0,
        SCOPE_SIGNAL | SCOPE_ABSTRACT_UNIX_SOCKET if policy.scope and abi >= 6 else 0,
    )
    size = 24 if abi >= 6 else 16 if abi >= 4 else 8
    ruleset = _check(
        libc.syscall(
            _CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0)
        ),
        "landlock_create_ruleset",
    )
    try:
        grants = [(p, READ_ONLY) for p in policy.read_only] + [
            (p, handled_fs) for p in policy.read_write
        ]
        grants += list(policy.files)
        for path, rights in grants:
            try:
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except OSError:  # a path of the policy that does not exist: nothing to grant
                continue
            try:
                if not stat.S_ISDIR(os.fstat(fd).st_mode):
                    rights &= FILE_RIGHTS  # a rule on a file may only carry file rights
                rule = _PathBeneathAttr(rights & handled_fs, fd)
                _check(
                    libc.syscall(
                        _ADD_RULE,
                        ctypes.c_int(ruleset),
                        ctypes.c_int(_RULE_PATH_BENEATH),
                        ctypes.byref(rule),
                        ctypes.c_uint32(0),
                    ),
                    f"landlock_add_rule({path})",
                )
            finally:
                os.close(fd)
        _check(
            libc.syscall(_RESTRICT_SELF, ctypes.c_int(ruleset), ctypes.c_uint32(0)),
            "landlock_restrict_self",
        )
    finally:
        os.close(ruleset)
    return Applied(abi, bool(attr.handled_access_net), bool(attr.scoped))
