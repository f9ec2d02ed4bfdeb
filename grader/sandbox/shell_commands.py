"""Kernel side: ``!command`` and ``x = !command`` through pipes, not a terminal.

IPython runs shell commands under ``pexpect``, which needs a pseudo-terminal; the
sandbox gives the kernel no terminal device (another user's terminal must not be
reachable), so the commands run with their output piped back into the cell's output,
as Colab shows them.
"""

from __future__ import annotations

import subprocess
import sys

SHELL = "/bin/sh"


def system(cmd: str) -> int:
    """Run ``cmd``, printing its output (stdout and stderr, in order) as it comes; its exit code."""
    process = subprocess.Popen([SHELL, "-c", cmd], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert process.stdout is not None
    for line in iter(process.stdout.readline, b""):
        sys.stdout.write(line.decode(errors="replace"))
        sys.stdout.flush()
    return process.wait()


def getoutput(cmd: str) -> str:
    """``cmd``'s output (stdout and stderr) as text."""
    done = subprocess.run([SHELL, "-c", cmd], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return done.stdout.decode(errors="replace")


def install() -> None:
    """Make IPython's and ipykernel's shells use these (they import ``system`` by name)."""
    from IPython.core import interactiveshell
    from ipykernel import zmqshell

    for module in (interactiveshell, zmqshell):
        setattr(module, "system", system)
    setattr(interactiveshell, "getoutput", getoutput)
