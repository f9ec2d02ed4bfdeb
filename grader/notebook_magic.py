"""``%load_ext grader``, then ``%grade week8``: the self-check as a line magic of the notebook.

The magic takes the command line's options (``%grade week8 [PATH] [--lang ja|en] [--assignments
DIR]``), shows a status line while the file is graded, and returns the result
(``notebook_result.SelfCheck``), which the cell shows as the report.  ``check`` is
``grader.check`` with the same status line; the grading itself is ``notebook_check``'s.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from IPython.core.magic_arguments import argument, magic_arguments
from IPython.display import Pretty, display
from IPython.utils.process import arg_split  # type: ignore[attr-defined]  # (per platform)

from grader.messages import LANGUAGES
from grader.notebook_check import PathLike, current_shell
from grader.notebook_check import check as check_file
from grader.notebook_result import SelfCheck


def status_line() -> Callable[[str], None] | None:
    """A line of the cell's output that each call replaces, emptied by ``""`` (``None`` outside a
    kernel)."""
    if getattr(current_shell(), "kernel", None) is None:
        return None
    handle: Any = None

    def show(line: str) -> None:
        nonlocal handle
        if handle is None:
            if line:
                handle = display(Pretty(line), display_id=True)
        else:
            handle.update(Pretty(line))

    return show


def check(
    assignment: str,
    path: PathLike | None = None,
    lang: str | None = None,
    assignments: PathLike | Sequence[PathLike] | None = None,
) -> SelfCheck:
    """``notebook_check.check`` with a status line in the cell while it grades."""
    progress = status_line()
    try:
        return check_file(assignment, path, lang, assignments, progress)
    finally:
        if progress is not None:
            progress("")


def arguments(line: str) -> list[str]:
    """The magic's line split as a shell would, quotes removed, backslashes kept (a Windows
    path)."""
    return [
        word[1:-1] if len(word) > 1 and word[0] == word[-1] and word[0] in "\"'" else word
        for word in arg_split(line, posix=False)
    ]


@magic_arguments()
@argument("assignment", help="the assignment to check against (e.g. week8)")
@argument(
    "path",
    nargs="?",
    help="the notebook (default: the one this kernel runs, as Jupyter, VS Code or Colab says)",
)
@argument("--lang", choices=LANGUAGES, help="the report's language (default: from the locale)")
@argument(
    "--assignments",
    action="append",
    default=[],
    metavar="DIR",
    help="a course's folder of assignments, e.g. the student pack (repeatable)",
)
def grade(line: str) -> SelfCheck:
    """Check the saved notebook against an assignment, as ``pytest --assignment`` does, in a
    kernel of its own: the cell's result is the report (``result = %grade week8``: its data)."""
    args = grade.parser.parse_args(arguments(line))
    return check(args.assignment, args.path, args.lang, args.assignments or None)


def register(ipython: Any) -> None:
    """``%load_ext grader``: the ``%grade`` line magic."""
    ipython.register_magic_function(grade, "line", "grade")
