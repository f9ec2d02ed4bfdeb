"""Kernel side: a seccomp filter, the system calls a graded notebook may not make at all.

Landlock (``landlock``) decides which files and TCP ports a process may use; some doors are not
files: a UDP or raw socket, a connection to a Unix socket such as a container engine's, an
``io_uring`` that would carry the same calls past the filter, ``ptrace``, the keyrings that every
process of the user shares (``add_key``, ``request_key``, ``keyctl``). (TCP sockets may be made,
never connected.)  This filter refuses them with an error number (never a crash), for the process
and every process it starts, and cannot be lifted.  Where no PID namespace hides the grader, it also
refuses signals aimed at the grader's own processes (their pids are known before the filter is
installed), which Landlock does only from ABI 6.

The filter is a dozen classic-BPF instructions over ``struct seccomp_data``.  Bindings
exist (``pyseccomp``), but they need the system's ``libseccomp``, which slim containers
lack; the program is small enough to write out and test.
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
import struct
from dataclasses import dataclass

_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER = 22, 2
_LD_W_ABS, _AND, _JEQ, _JGE, _RET = 0x20, 0x54, 0x15, 0x35, 0x06
_ALLOW = 0x7FFF0000
_ERRNO = 0x00050000
_AF_UNIX, _AF_INET, _AF_INET6, _AF_NETLINK = 1, 2, 10, 16
_NETLINK_ROUTE = 0
_SOCK_STREAM, _SOCK_TYPE_MASK = 1, 0xF
_X32_BIT = 0x40000000

# AUDIT_ARCH value and the numbers of the calls filtered, per machine.
_ARCHES = {
    "x86_64": (
        0xC000003E,
        {
            "socket": 41,
            "connect": 42,
            "ptrace": 101,
            "process_vm_readv": 310,
            "process_vm_writev": 311,
            "io_uring_setup": 425,
            "kill": 62,
            "tkill": 200,
            "tgkill": 234,
            "rt_sigqueueinfo": 129,
            "rt_tgsigqueueinfo": 297,
            "pidfd_open": 434,
            "add_key": 248,
            "request_key": 249,
            "keyctl": 250,
        },
    ),
    "aarch64": (
        0xC00000B7,
        {
            "socket": 198,
            "connect": 203,
            "ptrace": 117,
            "process_vm_readv": 270,
            "process_vm_writev": 271,
            "io_uring_setup": 425,
            "kill": 129,
            "tkill": 130,
            "tgkill": 131,
            "rt_sigqueueinfo": 138,
            "rt_tgsigqueueinfo": 240,
            "pidfd_open": 434,
            "add_key": 217,
            "request_key": 218,
            "keyctl": 219,
        },
    ),
}
_REFUSED = {
    "connect": errno.EACCES,
    "ptrace": errno.EPERM,
    "process_vm_readv": errno.EPERM,
    "process_vm_writev": errno.EPERM,
    "io_uring_setup": errno.ENOSYS,
    # Keyrings are shared by every process of the user (root's ``@u``): refused as on a Linux
    # built without them.
    "add_key": errno.ENOSYS,
    "request_key": errno.ENOSYS,
    "keyctl": errno.ENOSYS,
}
_SIGNALS = ("kill", "tkill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo", "pidfd_open")


def supported() -> bool:
    """Whether this machine's architecture is one the filter is written for."""
    return platform.machine() in _ARCHES


def number(name: str) -> int | None:
    """The number of the system call ``name`` on this machine (one the filter knows), if known."""
    return _ARCHES.get(platform.machine(), (0, {}))[1].get(name)


@dataclass(frozen=True)
class _Op:
    code: int
    k: int
    # Jump targets by label; None means the next instruction.
    true: str | None = None
    false: str | None = None
    label: str | None = None


def _program(protected_targets: tuple[int, ...]) -> list[_Op]:
    arch, numbers = _ARCHES[platform.machine()]
    ops = [_Op(_LD_W_ABS, 4), _Op(_JEQ, arch, false="enosys"), _Op(_LD_W_ABS, 0)]
    if platform.machine() == "x86_64":
        ops.append(
            _Op(_JGE, _X32_BIT, true="enosys")
        )  # the x32 ABI's numbers would miss every rule
    ops.append(_Op(_JEQ, numbers["socket"], true="socket"))
    for name in _REFUSED:
        ops.append(_Op(_JEQ, numbers[name], true=f"refuse_{name}"))
    if protected_targets:
        for name in _SIGNALS:
            ops.append(_Op(_JEQ, numbers[name], true="signal"))
    ops.append(_Op(_RET, _ALLOW))
    # Unix sockets; TCP sockets may exist (ZeroMQ makes one) but connect is refused above and
    # bind by Landlock or the empty network namespace; a route netlink socket (glibc's
    # getaddrinfo asks it which address families exist; changing anything needs a capability);
    # no UDP, raw, packet or other netlink socket.
    ops += [
        _Op(_LD_W_ABS, 16, label="socket"),
        _Op(_JEQ, _AF_UNIX, true="allow"),
        _Op(_JEQ, _AF_INET, true="inet"),
        _Op(_JEQ, _AF_INET6, true="inet"),
        _Op(_JEQ, _AF_NETLINK, true="netlink"),
        _Op(_RET, _ERRNO | errno.EAFNOSUPPORT),
        _Op(_LD_W_ABS, 32, label="netlink"),
        _Op(_JEQ, _NETLINK_ROUTE, true="allow"),
        _Op(_RET, _ERRNO | errno.EAFNOSUPPORT),
        _Op(_LD_W_ABS, 24, label="inet"),
        _Op(_AND, _SOCK_TYPE_MASK),
        _Op(_JEQ, _SOCK_STREAM, true="allow"),
        _Op(_RET, _ERRNO | errno.EACCES),
    ]
    for name, code in _REFUSED.items():
        ops.append(_Op(_RET, _ERRNO | code, label=f"refuse_{name}"))
    if protected_targets:
        ops.append(_Op(_LD_W_ABS, 16, label="signal"))
        ops += [_Op(_JEQ, target & 0xFFFFFFFF, true="eperm") for target in protected_targets]
        ops.append(_Op(_RET, _ALLOW))
        ops.append(_Op(_RET, _ERRNO | errno.EPERM, label="eperm"))
    ops += [_Op(_RET, _ALLOW, label="allow"), _Op(_RET, _ERRNO | errno.ENOSYS, label="enosys")]
    return ops


def assemble(protected_targets: tuple[int, ...] = ()) -> bytes:
    """The filter as ``struct sock_filter`` entries; ``protected_targets`` are the first
    arguments (pids, negated process groups, -1) that signal calls may not carry."""
    ops = _program(protected_targets)
    where = {op.label: index for index, op in enumerate(ops) if op.label}
    out = b""
    for index, op in enumerate(ops):
        jt = where[op.true] - index - 1 if op.true else 0
        jf = where[op.false] - index - 1 if op.false else 0
        if not (0 <= jt < 256 and 0 <= jf < 256):
            raise ValueError("seccomp program too long for a jump")
        out += struct.pack("=HBBI", op.code, jt, jf, op.k)
    return out


class _Fprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_char_p)]


def install(protected_targets: tuple[int, ...] = ()) -> None:
    """Install the filter on this thread (inherited by every process started after).

    ``no_new_privs`` must already be set.  Raises ``OSError`` if the kernel refuses it.
    """
    program = assemble(protected_targets)
    prog = _Fprog(len(program) // 8, program)
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0) != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"seccomp: {os.strerror(code)}")
