"""Kernel side: what a kernel's first process and launcher take for it before any student code
exists: its cgroup, a tmpfs for its folders, a keyring of its own.

- The cgroup (made by the grader, ``cgroups``): the first process writes itself into it before
  it forks anything, so the launcher, the kernel and everything they start are in it: CPU shared
  fairly with the other kernels, a hard ceiling on memory and on tasks.
- The tmpfs: in the kernel's own mount namespace (made private first, so nothing reaches the
  machine's), one tmpfs of the disk limit's size holds its working folder, HOME, TMPDIR and, where
  the grader asked, its evidence folder, each bind-mounted over the grader's empty folder of that
  name.  A write past the limit fails (``ENOSPC``) whatever wrote it; the memory is freed when the
  last process of the namespace, and the grader's descriptor of it, are gone.
- The keyring: a fresh anonymous session keyring (``keyctl(KEYCTL_JOIN_SESSION_KEYRING)``), so no
  key of the grader's session is the kernel's; the seccomp filter then refuses every key call.

Each returns what it took, or why not, for the launcher's report (``confine``); none raises.
"""

from __future__ import annotations

import ctypes
import errno
import os
import shutil
import sys
from typing import Any

from grader.sandbox.kernel import namespaces, seccomp

_MS_NOSUID, _MS_NODEV, _MS_BIND = 2, 4, 0x1000
_KEYCTL_JOIN_SESSION_KEYRING = 1
# Loaded before any fork: a forked child must not ``dlopen`` (another thread may hold the loader's
# lock).
_LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None


def _failure(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def join_cgroup(procs: list[str]) -> bool | str:
    """Move this process into the group whose ``cgroup.procs`` files are ``procs`` (one per
    hierarchy of cgroup v1, one for v2); ``True``, or why not."""
    try:
        for path in procs:
            with open(path, "w") as f:
                f.write("0")  # this process
    except OSError as exc:
        return _failure(exc)
    return True


def _mount(source: bytes, target: str, kind: bytes | None, flags: int, data: bytes | None) -> None:
    assert _LIBC is not None
    if _LIBC.mount(source, target.encode(), kind, flags, data) != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"mounting {target}: {os.strerror(code)}")


def mount_tmpfs(spec: dict[str, Any]) -> dict[str, Any] | str:
    """In a mount namespace of this process's own: one tmpfs of ``spec["size_mb"]`` MiB and
    ``spec["inodes"]`` files at ``spec["mount"]``, a folder of it bind-mounted over each folder
    ``spec["binds"]`` names (what the grader put in one is copied in first).  What was mounted,
    or why not."""
    try:
        namespaces.make_private()
        data = f"size={int(spec['size_mb'])}m,nr_inodes={int(spec['inodes'])},mode=700"
        _mount(b"tmpfs", spec["mount"], b"tmpfs", _MS_NOSUID | _MS_NODEV, data.encode())
        for name, target in spec["binds"]:
            inside = os.path.join(spec["mount"], name)
            shutil.copytree(target, inside, symlinks=True)
            _mount(inside.encode(), target, None, _MS_BIND, None)
    except (OSError, shutil.Error) as exc:
        return _failure(exc)
    return {"size_mb": int(spec["size_mb"]), "folders": [target for _, target in spec["binds"]]}


def own_session_keyring() -> dict[str, Any]:
    """Join a fresh session keyring: ``{"session": serial}``, ``{"none": why}`` where this Linux
    has no keyrings, or ``{"error": why}``."""
    number = seccomp.number("keyctl")
    if _LIBC is None or number is None:
        return {"error": "no keyctl system call known on this machine"}
    serial = _LIBC.syscall(
        ctypes.c_long(number), ctypes.c_long(_KEYCTL_JOIN_SESSION_KEYRING), ctypes.c_void_p(None)
    )
    if serial < 0:
        code = ctypes.get_errno()
        if code == errno.ENOSYS:
            return {"none": "this Linux has no keyrings"}
        return {"error": f"keyctl: {os.strerror(code)}"}
    return {"session": int(serial)}
