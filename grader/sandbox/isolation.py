"""Grader side: what isolation this machine offers, the plan each kernel is confined by, and
what held.

Four layers, each enforced by the Linux kernel and inherited by everything the student's
kernel starts (a shell, a second Python, a C call through ``ctypes``):

- file system: Landlock; the kernel reads the Python environment, the system's libraries
  and the dataset files, and writes only its scratch folders and the evidence folder;
- processes: a PID namespace with its own ``/proc`` (the grader and other submissions do
  not exist there), else Landlock's signal scoping (ABI 6) and the seccomp filter's
  refusal of signals to the grader's pids; ptrace is Landlock's and seccomp's;
- network: a network namespace with no interfaces, Landlock's TCP rules (ABI 4) and a
  seccomp filter allowing no socket but a Unix one, and no ``connect`` at all;
- privileges: ``no_new_privs`` and no capabilities, even for root.

Beside them, ``limits``: the watchdog (``/proc`` or psutil) and the kernel's own rlimits.
Off Linux (a student's macOS or Windows laptop) there is no launcher: the four layers are
reported missing, with why, and only the guard's refusals and the watchdog's limits apply;
where there are no Unix sockets the kernel talks over TCP on 127.0.0.1, so no network
namespace can apply (``host``).

``probe()`` asks the machine once per process; ``GRADER_SIMULATE`` takes mechanisms away
(``no-namespaces``, ``landlock-abi=N``, ``no-seccomp``, and ``host``'s ``not-linux``,
``no-proc``, ``no-ipc``, ``no-resource``) so each fallback can be tested on a machine that
has them all.
"""

from __future__ import annotations

import functools
import json
import os
import site
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grader
from grader.execution import Isolation, Layer
from grader.sandbox import host, landlock, seccomp

SIMULATE_ENV = host.SIMULATE_ENV
# Tried in order; the first that runs ``true`` is used (over TCP, the first without a network namespace).  The
# fork server makes the same namespaces for each kernel with ``unshare(2)`` (``namespaces``).
_NAMESPACES = (
    ("pid+net", ["unshare", "--net", "--pid", "--ipc", "--fork", "--kill-child", "--mount-proc", "--"]),
    ("pid+net", ["unshare", "--map-root-user", "--net", "--pid", "--ipc", "--fork", "--kill-child", "--mount-proc", "--"]),
    ("net", ["unshare", "--net", "--"]),
    ("net", ["unshare", "--map-root-user", "--net", "--"]),
    ("pid", ["unshare", "--pid", "--ipc", "--fork", "--kill-child", "--mount-proc", "--"]),
    ("pid", ["unshare", "--map-root-user", "--pid", "--ipc", "--fork", "--kill-child", "--mount-proc", "--"]),
)
SYSTEM_READ = ("/usr", "/lib", "/lib32", "/lib64", "/libx32", "/bin", "/sbin", "/proc", "/sys")
ETC_READ = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "timezone", "passwd", "group", "nsswitch.conf",
            "host.conf", "hosts", "gai.conf", "fonts", "mime.types", "os-release", "alternatives", "locale.alias",
            "matplotlibrc", "python3", "python3.11", "debian_version", "ssl/openssl.cnf")
DEVICES = (("/dev/null", landlock.READ_FILE | landlock.WRITE_FILE | landlock.TRUNCATE),
           ("/dev/zero", landlock.READ_FILE), ("/dev/full", landlock.READ_FILE | landlock.WRITE_FILE),
           ("/dev/random", landlock.READ_FILE), ("/dev/urandom", landlock.READ_FILE))
# What the kernel and the fork server import of the grader itself (the server's measurers rebuild and
# train with the grader's own training code); the rest of the package (and any data in it) stays hidden.
KERNEL_PACKAGE_PARTS = ("__init__.py", "sandbox", "datasets", "artifacts.py", "refusals.py", "legacy_paths.py",
                        "training.py", "architecture.py", "graph_config.py")
LAYERS = ("filesystem", "processes", "network", "privileges", "limits")
# Why each layer is missing on a system that is not Linux (there is no launcher there).
NOT_LINUX = {
    "filesystem": "not Linux, so no Landlock; only Python's own calls are refused (the guard)",
    "processes": "not Linux, so no PID namespace, Landlock or seccomp; only Python's own os.kill is refused",
    "network": "not Linux, so no network namespace or seccomp; only Python's own connections are refused",
    "privileges": "not Linux, so no no_new_privs or capability sets: the kernel has the rights of the user who runs it",
}
TCP_NOTE = "no network namespace, since the kernel talks to the grader over TCP on 127.0.0.1 (no Unix sockets)"


@dataclass(frozen=True)
class Support:
    """What this machine offers the kernels it starts."""

    namespaces: str  # "pid+net", "net" or ""
    prefix: tuple[str, ...]
    landlock_abi: int
    seccomp: bool
    # What the operating system offers besides (``host``); a Linux machine has them all.
    linux: bool = True
    proc: bool = True
    ipc: bool = True
    rlimits: bool = True


def _runs(prefix: list[str]) -> bool:
    try:
        return subprocess.run([*prefix, "true"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


@functools.cache
def _probe(simulated: str) -> Support:
    flags, linux, ipc = host.simulated(), host.is_linux(), host.has_ipc()
    kind, prefix = "", list[str]()
    if "no-namespaces" not in flags and linux:
        # Over TCP the grader must reach the kernel's ports: no network namespace then.
        usable = [(k, p) for k, p in _NAMESPACES if ipc or "net" not in k]
        kind, prefix = next(((k, p) for k, p in usable if _runs(p)), ("", []))
    abi = landlock.abi_version() if linux else 0
    if "landlock-abi" in flags:
        abi = min(abi, int(flags["landlock-abi"]))
    return Support(kind, tuple(prefix), abi, linux and seccomp.supported() and "no-seccomp" not in flags,
                   linux, host.has_proc(), ipc, host.has_rlimits())


def probe() -> Support:
    """What this machine supports now (asked once per process and simulation setting)."""
    return _probe(os.environ.get(SIMULATE_ENV, ""))


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


def hidden_paths(extra: list[Path]) -> list[Path]:
    """What no kernel may read, wherever it lies: the grader's package (but for what the
    kernel imports), the course's folders beside it, the cache, and ``extra``; when the grader
    runs from its source tree rather than an installed environment, the whole tree."""
    package = Path(grader.__file__).resolve().parent
    hidden = [package, package.parent / "reference", *extra]
    if package.parent not in {Path(p).resolve() for p in site.getsitepackages()}:
        hidden.append(package.parent)
    if os.environ.get("GRADER_ASSIGNMENTS"):
        hidden.append(Path(os.environ["GRADER_ASSIGNMENTS"]))
    return [h.resolve() for h in hidden]


def _python_roots() -> list[Path]:
    """The Python environment: its prefixes, site-packages, and the folders its ``.pth``
    files add (what the kernel's own ``site`` will add too); not ``PYTHONPATH`` or the
    current folder, which the kernel does not get."""
    own = {os.path.abspath(p) for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p} | {os.getcwd()}
    added = [p for p in sys.path if p and os.path.isdir(p) and os.path.abspath(p) not in own]
    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix, *site.getsitepackages(), *added}
    return [Path(r).resolve() for r in sorted(roots) if Path(r).exists()]


def read_only_paths(hidden: list[Path], datasets: list[Path]) -> tuple[list[str], list[tuple[str, int]]]:
    """Folders the kernel may read (and execute from), and single files it may read."""
    roots = _python_roots() + [Path(p) for p in SYSTEM_READ if Path(p).exists()]
    roots += [Path("/etc", name) for name in ETC_READ if Path("/etc", name).exists()]
    folders: list[str] = []
    for root in roots:
        folders += _beneath_except(root.resolve(), hidden)
    package = Path(grader.__file__).resolve().parent
    folders += [str(package / part) for part in KERNEL_PACKAGE_PARTS]
    files = [(str(d), landlock.READ_FILE) for d in datasets] + list(DEVICES)
    return sorted(set(folders)), files


def write_plan(path: Path, support: Support, *, read_write: list[Path], read_only: list[Path], readable: list[Path],
               report: Path, hidden: list[Path]) -> None:
    """The plan ``confine`` applies in the kernel's launcher: ``read_write`` and ``read_only``
    folders and ``readable`` files besides the Python environment and the system's."""
    folders, files = read_only_paths(hidden, readable)
    # Over TCP the kernel binds its ports: Landlock may not deny TCP then (seccomp still refuses connect).
    plan = {"landlock_abi": support.landlock_abi, "seccomp": support.seccomp, "deny_tcp": support.ipc,
            "read_only": folders + [str(p) for p in read_only],
            "read_write": [str(p) for p in read_write], "files": files, "report": str(report)}
    path.write_text(json.dumps(plan))


def _own_namespaces() -> dict[str, str | None]:
    """The grader's own PID and network namespaces (``None`` where they cannot be read)."""
    own: dict[str, str | None] = {}
    for kind in ("pid", "net"):
        try:
            own[kind] = os.readlink(f"/proc/self/ns/{kind}")
        except OSError:
            own[kind] = None
    return own


def _limits(support: Support) -> Layer:
    watchdog = "the watchdog over /proc" if support.proc else "the watchdog through psutil (no /proc)"
    if support.rlimits:
        return Layer("limits", True, f"{watchdog}; RLIMIT_DATA and RLIMIT_FSIZE in the kernel")
    return Layer("limits", False, "missing: no `resource` module on this system, so no RLIMIT_DATA or RLIMIT_FSIZE; "
                                  f"memory and file sizes are bounded by polling only, {watchdog}")


def assess(report: dict[str, Any] | None, support: Support) -> Isolation:
    """Which layers held for one kernel, from the launcher's report (written before any
    student code existed) and the namespaces it found itself in; off Linux, none of the
    four (there is no launcher) and the limits the watchdog and the kernel set."""
    if not support.linux:
        return Isolation((*(Layer(name, False, f"missing: {why}") for name, why in NOT_LINUX.items()), _limits(support)))
    report = report or {}
    own = _own_namespaces()
    spaces = report.get("namespaces", {})
    pid_ns = bool(spaces) and own["pid"] is not None and spaces.get("pid") != own["pid"]
    net_ns = bool(spaces) and own["net"] is not None and spaces.get("net") != own["net"]
    lock = report.get("landlock") or {}
    filtered = report.get("seccomp") is True
    fs = Layer("filesystem", bool(lock), f"Landlock ABI {lock['abi']}" if lock else
               "missing: no Landlock (Linux 5.13+ with landlock in the boot's lsm= list); only Python's own calls are refused")
    signals = [m for m, ok in (("PID namespace", pid_ns), ("Landlock signal scoping", lock.get("scoped")),
                               ("seccomp", filtered)) if ok]
    processes = Layer("processes", pid_ns or bool(lock.get("scoped")),
                      " + ".join(signals) if pid_ns or lock.get("scoped") else
                      "missing: no PID namespace and no Landlock ABI 6; " + (
                          "seccomp refuses signals to the grader's pids only" if filtered else "nothing stops signals"))
    net = [m for m, ok in (("network namespace", net_ns), ("Landlock TCP rules", lock.get("tcp")), ("seccomp", filtered)) if ok]
    tcp = "" if support.ipc else f"; {TCP_NOTE}"
    network = Layer("network", net_ns or filtered, " + ".join(net) + tcp if net_ns or filtered else
                    "missing: no network namespace and no seccomp; " + ("TCP only refused by Landlock" if net else "open") + tcp)
    privileged = bool(report.get("no_new_privs")) and bool(report.get("capabilities_dropped"))
    privileges = Layer("privileges", privileged, "no_new_privs, no capabilities" if privileged else
                       f"missing: {report.get('error', 'the launcher could not drop them')}")
    return Isolation((fs, processes, network, privileges, _limits(support)))


def expected() -> Isolation:
    """The isolation this machine would give a kernel now, without starting one."""
    support = probe()
    abi = support.landlock_abi
    own = _own_namespaces()
    spaces = {kind: "simulated" if kind in support.namespaces else own[kind] for kind in ("pid", "net")}
    report = {"namespaces": spaces if support.namespaces else {},
              "landlock": {"abi": abi, "tcp": abi >= 4 and support.ipc, "scoped": abi >= 6} if abi >= 1 else {},
              "seccomp": support.seccomp, "no_new_privs": True, "capabilities_dropped": True}
    return assess(report, support)
