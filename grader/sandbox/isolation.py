"""Grader side: what isolation this machine offers and which layers held for each kernel (the
plan each kernel is confined by is ``filesystem_plan``'s).

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

Beside them, ``limits``: the watchdog (``/proc`` or psutil) and the kernel's own rlimits; and
what kept each kernel to its share (``resource_layers``: its cgroup, its tmpfs, its keyring).
Off Linux (a student's macOS or Windows laptop) there is no launcher: the four layers are
reported missing, with why, and only the guard's refusals and the watchdog's limits apply;
where there are no Unix sockets the kernel talks over TCP on 127.0.0.1, so no network
namespace can apply (``host``).

``probe()`` asks the machine once per process; ``GRADER_SIMULATE`` takes mechanisms away
(``no-namespaces``, ``landlock-abi=N``, ``no-seccomp``, ``no-cgroups``, ``no-tmpfs``, and
``host``'s ``not-linux``, ``no-proc``, ``no-ipc``, ``no-resource``) so each fallback can be tested
on a machine that has them all.
"""

from __future__ import annotations

import functools
import os
import subprocess
from dataclasses import dataclass
from typing import Any

from grader.boundary.execution import Isolation, Layer
from grader.sandbox import resource_layers
from grader.sandbox.kernel import landlock, seccomp
from grader.sandbox.kernel_resources import Resources
from grader.sandbox.system import host

SIMULATE_ENV = host.SIMULATE_ENV
# Tried in order; the first that runs ``true`` is used (over TCP, the first without a network
# namespace).  The fork server makes the same namespaces for each kernel with ``unshare(2)``
# (``namespaces``).  ``_PID``: a PID namespace, with an IPC namespace and a ``/proc`` of its own.
_PID = ("--pid", "--ipc", "--fork", "--kill-child", "--mount-proc")
_NAMESPACES = (
    ("pid+net", ["unshare", "--net", *_PID, "--"]),
    ("pid+net", ["unshare", "--map-root-user", "--net", *_PID, "--"]),
    ("net", ["unshare", "--net", "--"]),
    ("net", ["unshare", "--map-root-user", "--net", "--"]),
    ("pid", ["unshare", *_PID, "--"]),
    ("pid", ["unshare", "--map-root-user", *_PID, "--"]),
)
LAYERS = ("filesystem", "processes", "network", "privileges", "limits", *resource_layers.NAMES)
# Why each layer is missing on a system that is not Linux (there is no launcher there).
NOT_LINUX = {
    "filesystem": "not Linux, so no Landlock; only Python's own calls are refused (the guard)",
    "processes": "not Linux, so no PID namespace, Landlock or seccomp; only Python's own os.kill "
    "is refused",
    "network": "not Linux, so no network namespace or seccomp; only Python's own connections are "
    "refused",
    "privileges": "not Linux, so no no_new_privs or capability sets: the kernel has the rights of "
    "the user who runs it",
}
TCP_NOTE = (
    "no network namespace, since the kernel talks to the grader over TCP on 127.0.0.1 (no Unix "
    "sockets)"
)


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
    return Support(
        kind,
        tuple(prefix),
        abi,
        linux and seccomp.supported() and "no-seccomp" not in flags,
        linux,
        host.has_proc(),
        ipc,
        host.has_rlimits(),
    )


def probe() -> Support:
    """What this machine supports now (asked once per process and simulation setting)."""
    return _probe(os.environ.get(SIMULATE_ENV, ""))


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
    watchdog = (
        "the watchdog over /proc" if support.proc else "the watchdog through psutil (no /proc)"
    )
    if support.rlimits:
        return Layer("limits", True, f"{watchdog}; RLIMIT_DATA and RLIMIT_FSIZE in the kernel")
    return Layer(
        "limits",
        False,
        "missing: no `resource` module on this system, so no RLIMIT_DATA or RLIMIT_FSIZE; "
        f"memory and file sizes are bounded by polling only, {watchdog}",
    )


def assess(
    report: dict[str, Any] | None, support: Support, resources: Resources | None = None
) -> Isolation:
    """Which layers held for one kernel, from the launcher's report (written before any
    student code existed) and the namespaces it found itself in; off Linux, none of the
    four (there is no launcher), the limits the watchdog and the kernel set, and none of the
    ``resource_layers``.  On Linux, with the kernel's ``resources``, its ``resource_layers``
    too."""
    if not support.linux:
        return Isolation(
            (
                *(Layer(name, False, f"missing: {why}") for name, why in NOT_LINUX.items()),
                _limits(support),
                *(Layer(name, False, why) for name, why in resource_layers.NOT_LINUX.items()),
            )
        )
    layers = _assess_linux(report or {}, support)
    if resources is not None:
        layers += resource_layers.layers(report or {}, resources, layers[0].held)
    return Isolation(layers)


def _assess_linux(report: dict[str, Any], support: Support) -> tuple[Layer, ...]:
    own = _own_namespaces()
    spaces = report.get("namespaces", {})
    pid_ns = bool(spaces) and own["pid"] is not None and spaces.get("pid") != own["pid"]
    net_ns = bool(spaces) and own["net"] is not None and spaces.get("net") != own["net"]
    lock = report.get("landlock") or {}
    filtered = report.get("seccomp") is True
    fs = Layer(
        "filesystem",
        bool(lock),
        f"Landlock ABI {lock['abi']}"
        if lock
        else "missing: no Landlock (Linux 5.13+ with landlock in the boot's lsm= list); only "
        "Python's own calls are refused",
    )
    signals = [
        m
        for m, ok in (
            ("PID namespace", pid_ns),
            ("Landlock signal scoping", lock.get("scoped")),
            ("seccomp", filtered),
        )
        if ok
    ]
    processes = Layer(
        "processes",
        pid_ns or bool(lock.get("scoped")),
        " + ".join(signals)
        if pid_ns or lock.get("scoped")
        else "missing: no PID namespace and no Landlock ABI 6; "
        + (
            "seccomp refuses signals to the grader's pids only"
            if filtered
            else "nothing stops signals"
        ),
    )
    net = [
        m
        for m, ok in (
            ("network namespace", net_ns),
            ("Landlock TCP rules", lock.get("tcp")),
            ("seccomp", filtered),
        )
        if ok
    ]
    tcp = "" if support.ipc else f"; {TCP_NOTE}"
    network = Layer(
        "network",
        net_ns or filtered,
        " + ".join(net) + tcp
        if net_ns or filtered
        else "missing: no network namespace and no seccomp; "
        + ("TCP only refused by Landlock" if net else "open")
        + tcp,
    )
    privileged = bool(report.get("no_new_privs")) and bool(report.get("capabilities_dropped"))
    privileges = Layer(
        "privileges",
        privileged,
        "no_new_privs, no capabilities"
        if privileged
        else f"missing: {report.get('error', 'the launcher could not drop them')}",
    )
    return fs, processes, network, privileges, _limits(support)


def expected() -> Isolation:
    """The isolation this machine would give a kernel now, without starting one."""
    support = probe()
    abi = support.landlock_abi
    own = _own_namespaces()
    spaces = {
        kind: "simulated" if kind in support.namespaces else own[kind] for kind in ("pid", "net")
    }
    report = {
        "namespaces": spaces if support.namespaces else {},
        "landlock": {"abi": abi, "tcp": abi >= 4 and support.ipc, "scoped": abi >= 6}
        if abi >= 1
        else {},
        "seccomp": support.seccomp,
        "no_new_privs": True,
        "capabilities_dropped": True,
    }
    held = assess(report, support)
    if not support.linux:
        return held
    extra = resource_layers.expected(support.namespaces, support.seccomp, held.layers[0].held)
    return Isolation((*held.layers, *extra))
