"""Grader side: the plan each kernel's launcher (``confine``) applies, chiefly which files the
kernel may read and write (Landlock).

It may read the Python environment, the system's libraries, a few files in ``/etc``, the
devices, the part of the grader's own package it imports and the dataset files, and write only
its scratch folders and the evidence folder; what it may not read or write is declared once, in
``off_limits`` (the hidden folders are never granted, nor any folder above one).  ``write_plan``
writes the plan as JSON, with the Landlock ABI, seccomp and TCP switches this machine's
``isolation.Support`` allows.
"""

from __future__ import annotations

import json
import os
import site
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from grader.sandbox import off_limits
from grader.sandbox.kernel import landlock

if TYPE_CHECKING:
    from grader.sandbox.isolation import Support

SYSTEM_READ = ("/usr", "/lib", "/lib32", "/lib64", "/libx32", "/bin", "/sbin", "/proc", "/sys")
ETC_READ = (
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "localtime",
    "timezone",
    "passwd",
    "group",
    "nsswitch.conf",
    "host.conf",
    "hosts",
    "gai.conf",
    "fonts",
    "mime.types",
    "os-release",
    "alternatives",
    "locale.alias",
    "matplotlibrc",
    "python3",
    "python3.11",
    "debian_version",
    "ssl/openssl.cnf",
)
DEVICES = (
    ("/dev/null", landlock.READ_FILE | landlock.WRITE_FILE | landlock.TRUNCATE),
    ("/dev/zero", landlock.READ_FILE),
    ("/dev/full", landlock.READ_FILE | landlock.WRITE_FILE),
    ("/dev/random", landlock.READ_FILE),
    ("/dev/urandom", landlock.READ_FILE),
)


def _under(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def _beneath_except(root: Path, hidden: list[Path]) -> list[str]:
    """``root`` as Landlock rules, leaving out every hidden folder beneath it: each folder
    on the way down is granted by its other entries."""
    inside = [h for h in hidden if _under(h, root)]
    if not inside:
        return [str(root)]
    if root in inside:
        return []
    granted = []
    try:
        entries = sorted(root.iterdir())
    except OSError:
        return []
    for entry in entries:
        granted += _beneath_except(entry, inside)
    return granted


def _python_roots() -> list[Path]:
    """The Python environment: its prefixes, site-packages, and the folders its ``.pth``
    files add (what the kernel's own ``site`` will add too); not ``PYTHONPATH`` or the
    current folder, which the kernel does not get."""
    own = {os.path.abspath(p) for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p} | {
        os.getcwd()
    }
    added = [p for p in sys.path if p and os.path.isdir(p) and os.path.abspath(p) not in own]
    roots = {
        sys.prefix,
        sys.base_prefix,
        sys.exec_prefix,
        sys.base_exec_prefix,
        *site.getsitepackages(),
        *added,
    }
    return [Path(r).resolve() for r in sorted(roots) if Path(r).exists()]


def read_only_paths(
    hidden: list[Path], datasets: list[Path]
) -> tuple[list[str], list[tuple[str, int]]]:
    """Folders the kernel may read (and execute from), and single files it may read."""
    roots = _python_roots() + [Path(p) for p in SYSTEM_READ if Path(p).exists()]
    roots += [Path("/etc", name) for name in ETC_READ if Path("/etc", name).exists()]
    folders: list[str] = []
    for root in roots:
        folders += _beneath_except(root.resolve(), hidden)
    folders += [str(off_limits.package() / part) for part in off_limits.KERNEL_PACKAGE_PARTS]
    files = [(str(d), landlock.READ_FILE) for d in datasets] + list(DEVICES)
    return sorted(set(folders)), files


def write_plan(
    path: Path,
    support: Support,
    off: off_limits.OffLimits,
    *,
    read_only: list[Path],
    readable: list[Path],
    report: Path,
    resources: Mapping[str, Any] | None = None,
) -> list[str]:
    """The plan ``confine`` applies in the kernel's launcher: ``read_only`` folders and
    ``readable`` files besides the Python environment and the system's, the writable folders of
    ``off``, nothing ``off`` hides; and ``resources``, what the kernel's first process takes
    (``kernel.resources``: its cgroup's ``cgroup.procs`` files, its folders' tmpfs).  Returns
    every path it grants for reading (``OffLimits.guard`` takes them)."""
    folders, files = read_only_paths(list(off.hidden), readable)
    folders += [str(p) for p in read_only]
    writable = [str(p) for p in off.writable]
    # Over TCP the kernel binds its ports: Landlock may not deny TCP then (seccomp still refuses
    # connect).
    plan = {
        "landlock_abi": support.landlock_abi,
        "seccomp": support.seccomp,
        "deny_tcp": support.ipc,
        "read_only": folders,
        "read_write": writable,
        "files": files,
        "report": str(report),
        "resources": dict(resources or {}),
    }
    path.write_text(json.dumps(plan))
    return folders + writable + [name for name, _ in files]
