"""Kernel side: ``!command`` and ``x = !command`` through pipes, not a terminal; ``pip install``
answered from the grading environment.

IPython runs shell commands under ``pexpect``, which needs a pseudo-terminal; the
sandbox gives the kernel no terminal device (another user's terminal must not be
reachable), so the commands run with their output piped back into the cell's output,
as Colab shows them.  ``!pip install`` and ``%pip install`` (Colab's usual first cell)
install nothing: a package the environment has is a quick no-op with a note, one it lacks
a clear message; each is recorded for the report.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from importlib import metadata

from grader.boundary.legacy_paths import PACKAGE_NAME

SHELL = "/bin/sh"
PIP_INSTALL = re.compile(r"^\s*(?:\S*python[0-9.]*\s+-m\s+)?pip[0-9.]*\s+install\s+(?P<args>.*)$")
HAS_NOTE = "[grader] {package} is already in the grading environment: nothing to install."
MISSING_NOTE = (
    "[grader] {package} is not part of the course's grading environment, and the grader cannot "
    "install packages."
)
Record = Callable[..., None]


def _run(cmd: str) -> int:
    # Windows has no /bin/sh: there the command goes to its own shell (cmd.exe), as IPython does.
    posix = os.name == "posix"
    process = subprocess.Popen(
        [SHELL, "-c", cmd] if posix else cmd,
        shell=not posix,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    assert process.stdout is not None
    for line in iter(process.stdout.readline, b""):
        sys.stdout.write(line.decode(errors="replace"))
        sys.stdout.flush()
    return process.wait()


def _installed(package: str) -> bool:
    try:
        metadata.distribution(package)
        return True
    except metadata.PackageNotFoundError:
        return False


def _pip_install(args: str, record: Record) -> int:
    """Answer ``pip install ARGS`` without installing: 0 when every package is present."""
    words = args.split()
    packages = [
        w
        for i, w in enumerate(words)
        if not w.startswith("-") and (i == 0 or words[i - 1] not in ("-r", "-c", "-e", "-t"))
    ]
    missing = 0
    for spec in packages:
        match = PACKAGE_NAME.match(spec)
        if match is None:
            continue
        package = match.group(0)
        present = _installed(package)
        missing += not present
        record("pip", package=package, installed=present)
        print((HAS_NOTE if present else MISSING_NOTE).format(package=package))
    return 1 if missing else 0


def make_system(record: Record) -> Callable[[str], int]:
    def system(cmd: str) -> int:
        """Run ``cmd``, printing its output as it comes; its exit code."""
        pip = PIP_INSTALL.match(cmd)
        return _pip_install(pip.group("args"), record) if pip else _run(cmd)

    return system


def getoutput(cmd: str) -> str:
    """``cmd``'s output (stdout and stderr) as text."""
    done = subprocess.run(
        [SHELL, "-c", cmd],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    return done.stdout.decode(errors="replace")


def install(record: Record) -> None:
    """Make IPython's and ipykernel's shells use these (they import ``system`` by name)."""
    from ipykernel import zmqshell
    from IPython.core import interactiveshell

    system = make_system(record)
    for module in (interactiveshell, zmqshell):
        setattr(module, "system", system)
    setattr(interactiveshell, "getoutput", getoutput)
