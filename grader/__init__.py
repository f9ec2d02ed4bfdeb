"""grader: a pytest-style grader for Keras course notebooks.

The public face of the package; the modules behind it are listed in ARCHITECTURE.md.  In a
notebook: ``%load_ext grader`` then ``%grade week8``, or ``grader.check("week8")``
(``notebook_magic.py``); both are imported only when used, so ``import grader`` stays cheap.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from grader.notebook_result import SelfCheck

__version__ = "0.1.0"


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext grader``: the ``%grade`` magic."""
    from grader.notebook_magic import register

    register(ipython)


def check(
    assignment: str,
    path: str | os.PathLike[str] | None = None,
    lang: str | None = None,
    assignments: str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None = None,
) -> SelfCheck:
    """Check the saved notebook against ``assignment`` as ``pytest --assignment`` does, in a
    kernel of its own; the score and the checks as data (shown as the report in a notebook).
    ``path``: the notebook (default: the one this kernel runs); ``lang``: ``"ja"`` or ``"en"``;
    ``assignments``: a course's folder(s) of assignments, e.g. the student pack."""
    from grader.notebook_magic import check as check_here

    return check_here(assignment, path, lang, assignments)
