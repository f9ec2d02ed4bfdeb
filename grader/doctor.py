"""``grader doctor``: what isolation this machine gives student code, and how to get the rest;
and which packages a notebook finds in the grading kernel.

Asks the same probe a grading does (``sandbox.isolation``) and turns each missing
mechanism into the step that would add it on this kind of machine.
"""

from __future__ import annotations

import platform
from dataclasses import dataclass
from importlib import metadata

from grader.boundary.execution import Isolation
from grader.sandbox import isolation
from grader.sandbox.isolation import Support
from grader.sandbox.kernel import seccomp
from grader.sandbox.system import host

LANDLOCK_LINUX = {1: "5.13", 4: "6.7", 6: "6.12"}
# What students' notebooks import (the kernel runs in the grader's own environment).
STUDENT_PACKAGES = (
    "tensorflow",
    "keras",
    "numpy",
    "matplotlib",
    "scikit-learn",
    "pandas",
    "seaborn",
    "scipy",
    "pillow",
    "scikit-image",
)


@dataclass(frozen=True)
class Diagnosis:
    # The operating system and its release ("Linux 6.8.0-45-generic", "Darwin 24.1.0", "Windows
    # 11").
    system: str
    support: Support
    isolation: Isolation
    # Steps that would add a missing mechanism, most important first.
    advice: tuple[str, ...]
    # Each package a notebook may import, with its version (None: not installed).
    packages: tuple[tuple[str, str | None], ...]


def _host_advice(support: Support) -> list[str]:
    """What a student's laptop lacks (macOS, Windows): enough to check one's own work, not to
    grade."""
    steps = []
    if not support.linux:
        steps.append(
            "This is not Linux: there is no launcher, Landlock, namespace or seccomp here, so "
            "student code runs "
            "with Python's own refusals (the guard) and the watchdog's limits only. Enough for a "
            "self-check; "
            "grade for marks on Linux."
        )
    if not support.ipc:
        steps.append(
            "Transport: no Unix sockets here, so the kernel talks to the grader over TCP on "
            "127.0.0.1 "
            "and no network namespace can apply."
        )
    if not support.proc:
        steps.append(
            "Processes: no /proc here, so the watchdog reads the kernel's process tree and memory "
            "through psutil."
        )
    if not support.rlimits:
        steps.append(
            "Limits: no `resource` module here, so the kernel sets no RLIMIT_DATA or RLIMIT_FSIZE; "
            "memory and "
            "file sizes are bounded by the watchdog's polling only."
        )
    return steps


def _advice(support: Support) -> list[str]:
    steps = _host_advice(support)
    if not support.linux:
        return steps
    if support.landlock_abi == 0:
        steps.append(
            "File system: Landlock is not available. It needs Linux 5.13 or newer with `landlock` "
            "in the "
            "kernel's LSM list (`cat /sys/kernel/security/lsm`; add it with the boot parameter "
            "`lsm=...,landlock`)."
        )
    if "pid" not in support.namespaces:
        steps.append(
            "Processes and network: `unshare` cannot create PID and network namespaces here. As an "
            "ordinary "
            "user this needs unprivileged user namespaces; on Ubuntu 23.10 and later they are "
            "blocked by AppArmor "
            "(`sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0`, or grade as root or "
            "in a container). "
            "Without them the grader falls back to Landlock's signal scoping and the seccomp "
            "filter."
        )
    if 1 <= support.landlock_abi < 4:
        steps.append(
            f"Network: Landlock ABI {support.landlock_abi} has no TCP rules (Linux "
            f"{LANDLOCK_LINUX[4]}+); "
            "the network namespace and the seccomp filter still apply where available."
        )
    if 1 <= support.landlock_abi < 6:
        steps.append(
            f"Processes: Landlock ABI {support.landlock_abi} cannot scope signals (Linux "
            f"{LANDLOCK_LINUX[6]}+); "
            "the PID namespace covers this where available."
        )
    if not support.seccomp:
        steps.append(
            "Network: the seccomp filter is written for x86_64 and aarch64 only"
            + ("" if seccomp.supported() else f" (this machine is {platform.machine()})")
            + "."
        )
    return steps


RESOURCE_ADVICE = {
    "resources": "CPU, memory and processes: no cgroup per kernel here, so time limits count "
    "each kernel's own CPU time and memory and processes are bounded by polling. Grade as root, "
    "or as an ordinary user in a scope of your systemd user manager: `systemd-run --user --scope "
    "grader grade ...`.",
    "disk": "Disk: no tmpfs per kernel (it needs the mount namespace above), so the watchdog scans "
    "the kernel's folders.",
    "keyring": "Keyring: without the seccomp filter, keys a kernel adds to the user's keyring stay "
    "for the next.",
}


def diagnose() -> Diagnosis:
    support = isolation.probe()
    expected = isolation.expected()
    missing = [RESOURCE_ADVICE[name] for name in expected.missing if name in RESOURCE_ADVICE]
    return Diagnosis(
        f"{platform.system()} {platform.release()}",
        support,
        expected,
        tuple(_advice(support) + (missing if support.linux else [])),
        tuple((name, _version(name)) for name in STUDENT_PACKAGES),
    )


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def lines(diagnosis: Diagnosis) -> list[str]:
    """The report as plain lines (the CLI prints them)."""
    support = diagnosis.support
    simulated = ",".join(host.simulated())
    out = [
        diagnosis.system + (f" (simulated: {simulated})" if simulated else ""),
        f"Landlock ABI: {support.landlock_abi or 'none'}",
        f"namespaces: {support.namespaces or 'none'}"
        + (f" ({' '.join(support.prefix[:-1])})" if support.prefix else ""),
        f"seccomp filter: {'yes' if support.seccomp else 'no'}",
        f"kernel transport: {'Unix sockets' if support.ipc else 'TCP on 127.0.0.1'}; "
        f"process tree: {'/proc' if support.proc else 'psutil'}; rlimits: "
        f"{'yes' if support.rlimits else 'no'}",
        "",
    ]
    for layer in diagnosis.isolation.layers:
        out.append(f"{'✔' if layer.held else '✘'} {layer.name:<11} {layer.by}")
    if diagnosis.advice:
        out += [
            "",
            "To isolate student code fully on this machine:",
            *(f"- {step}" for step in diagnosis.advice),
        ]
    else:
        out += [
            "",
            "Every layer of isolation is available: student code cannot reach the grader, the "
            "class or this machine.",
        ]
    out += [
        "",
        "Packages a graded notebook can import:",
        "  " + ", ".join(f"{name} {version or 'MISSING'}" for name, version in diagnosis.packages),
    ]
    return out
