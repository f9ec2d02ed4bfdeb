"""``grader pack NAME --student DIR | --gradescope FILE.zip``: the command line's packing.

What students receive (``student_pack.py``) and a Gradescope autograder (``gradescope/pack.py``).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from grader.course.assignment import AssignmentError, load_assignment
from grader.exit_codes import EXIT_OK, EXIT_USAGE
from grader.messages import LANGUAGES, default_language
from grader.platforms.gradescope.pack import pack_for_gradescope
from grader.platforms.student_pack import PackError, pack_for_students


def run_pack(args: argparse.Namespace, console: Console) -> int:
    try:
        assignment = load_assignment(args.name, explicit=args.assignments)
        if args.student is not None:
            written = pack_for_students(assignment, args.student)
            console.print(
                f"{assignment.name}: the student pack is in {args.student} ({len(written)} files)",
                highlight=False,
            )
        else:
            if args.wheel is None:
                raise PackError(
                    "--gradescope needs --wheel: the grader's wheel (`pip wheel --no-deps . -w "
                    "dist`)"
                )
            path = pack_for_gradescope(
                assignment, args.gradescope, args.wheel, args.lang or default_language(), args.data
            )
            console.print(
                f"{assignment.name}: the Gradescope autograder is {path}", highlight=False
            )
    except (AssignmentError, PackError) as exc:
        console.print(f"[red]error:[/] {escape(str(exc))}", markup=True, highlight=False)
        return EXIT_USAGE
    return EXIT_OK


def add_pack_command(commands: Any, parents: list[argparse.ArgumentParser]) -> None:
    """``grader pack`` on the command line's sub-commands ``commands``."""
    p = commands.add_parser(
        "pack",
        parents=parents,
        help="what students receive (--student DIR), or a Gradescope autograder "
        "(--gradescope FILE.zip); neither holds the solution",
    )
    p.add_argument("name", help="assignment name")
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument(
        "--student",
        type=Path,
        metavar="DIR",
        help="a new folder: starters, visible checks, a README",
    )
    where.add_argument(
        "--gradescope",
        type=Path,
        metavar="FILE.zip",
        help="the autograder zip: setup.sh, run_autograder, "
        "the wheel, the assignment with its hidden checks",
    )
    p.add_argument(
        "--wheel",
        type=Path,
        help="with --gradescope: the grader's wheel (pip wheel --no-deps . -w dist)",
    )
    p.add_argument(
        "--data",
        type=Path,
        metavar="ARCHIVE",
        help="with --gradescope: the dataset's archive, provisioned by setup.sh",
    )
    p.add_argument(
        "--lang",
        choices=LANGUAGES,
        help="with --gradescope: the report's language (default: from the locale)",
    )
    p.set_defaults(run=run_pack)
