"""Kernel side: a notebook's own self-check does nothing while the notebook is graded.

A student's notebook may hold ``%load_ext grader`` and ``%grade week8``, or
``grader.check("week8")``.  Run here, each would grade the notebook again from inside its own
grading (and the package's notebook front end is not even readable here: a cell would fail).
``install`` serves stand-ins that print a note and do nothing: the ``grade`` magic, and the
package's ``load_ipython_extension`` and ``check``.
"""

from __future__ import annotations

import sys
from typing import Any

NOTE = "[grader] {call} does nothing while grading: this notebook is the one being graded."


def _grade(line: str = "") -> None:
    print(NOTE.format(call="%grade"))


def _load_ipython_extension(ipython: Any) -> None:
    ipython.register_magic_function(_grade, "line", "grade")


def _check(*args: Any, **kwargs: Any) -> None:
    print(NOTE.format(call="grader.check()"))


def install(shell: Any) -> None:
    """The stand-ins, in ``shell`` and in the ``grader`` package (already imported: this module is
    part of it)."""
    package = sys.modules["grader"]
    setattr(package, "load_ipython_extension", _load_ipython_extension)
    setattr(package, "check", _check)
    shell.register_magic_function(_grade, "line", "grade")
