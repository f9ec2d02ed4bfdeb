"""Both sides: what this operating system offers the sandbox beyond Linux's isolation layers.

A student's self-check runs on Linux, Colab, macOS and Windows.  The sandbox reads the
kernel's process tree from ``/proc`` (Linux), talks to the kernel over Unix sockets (not
on Windows), confines it with Linux's launcher, and sets resource limits through the
``resource`` module (not on Windows).  Each question here says whether one of these is
available; where it is not, the caller takes its fallback (psutil, TCP on 127.0.0.1, no
launcher, no rlimits) and the missing piece is reported.  ``GRADER_SIMULATE`` takes each
away (``not-linux``, ``no-proc``, ``no-ipc``, ``no-resource``) so that every fallback runs
for real on a Linux machine.
"""

from __future__ import annotations

import importlib.util
import os
import sys

SIMULATE_ENV = "GRADER_SIMULATE"


def simulated() -> dict[str, str]:
    """The mechanisms ``GRADER_SIMULATE`` takes away (``name`` or ``name=value``,
    comma-separated)."""
    flags: dict[str, str] = {}
    for item in os.environ.get(SIMULATE_ENV, "").split(","):
        name, _, value = item.strip().partition("=")
        if name:
            flags[name] = value
    return flags


def is_linux() -> bool:
    """Linux (Colab included): the launcher, Landlock, namespaces and seccomp may apply."""
    return sys.platform.startswith("linux") and "not-linux" not in simulated()


def has_proc() -> bool:
    """Whether the process tree and memory can be read from ``/proc`` (else through psutil)."""
    return is_linux() and os.path.isdir("/proc/self/task") and "no-proc" not in simulated()


def has_ipc() -> bool:
    """Whether the kernel can talk to the grader over Unix sockets (else TCP on 127.0.0.1)."""
    return os.name == "posix" and "no-ipc" not in simulated()


def has_rlimits() -> bool:
    """Whether the kernel can cap its own memory and file sizes (the ``resource`` module)."""
    return importlib.util.find_spec("resource") is not None and "no-resource" not in simulated()
