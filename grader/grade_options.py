"""``grader grade``'s options: the assignment, where the records go, how many workers (or a Dask
scheduler), the platforms' formats, the language, time limits, isolation and the audience.

The command itself is ``grade_command.py``; ``cli.parser`` registers it beside the others.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from grader import options
from grader.grade_command import FORMATS, run_grade
from grader.submissions.lms_names import SYSTEMS


def add_grade_command(commands: Any, parents: list[argparse.ArgumentParser]) -> None:
    """``grader grade``, its options and its implementation, on the parser's ``commands``."""
    g = commands.add_parser(
        "grade",
        parents=parents,
        help=f"grade submissions ({options.KINDS}) and print a report",
    )
    options.ASSIGNMENT.add_to(g.add_argument, required=True)
    options.OUT.add_to(g.add_argument)
    g.add_argument(
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        metavar="N",
        help="parallel workers (default: the cores)",
    )
    g.add_argument(
        "--regrade", action="store_true", help="grade again submissions already recorded in --out"
    )
    g.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run the batch on a Dask cluster (e.g. tcp://host:8786)",
    )
    g.add_argument(
        "--format",
        action="append",
        default=[],
        choices=list(FORMATS),
        help="also write Gradescope's results.json (/autograder/results/ when run there) or GitHub "
        "Classroom's "
        "result ($GITHUB_OUTPUT)",
    )
    for option in (options.LANG, options.CELL_TIMEOUT, options.TOTAL_TIMEOUT):
        option.add_to(g.add_argument)
    g.add_argument(
        "--require-isolation",
        action="store_true",
        help="refuse to grade unless every layer of isolation holds on this machine (see: grader "
        "doctor)",
    )
    g.add_argument(
        "--instructor",
        action="store_true",
        help="run every check, hidden ones included (default: the visible ones, as a student's "
        "self-check)",
    )
    g.add_argument(
        "--released",
        action="store_true",
        help="with --instructor: the feedback pages show after_due_date checks (hidden ones stay "
        "the instructor's)",
    )
    g.add_argument(
        "--lms",
        choices=SYSTEMS,
        help="the LMS whose download the submissions are: its file names give each record the "
        "LMS's user id and late mark (default: the assignment's [lms] system, else the LMS the "
        "names agree on)",
    )
    g.add_argument(
        "submissions",
        nargs="+",
        help=f"notebooks and modules ({options.KINDS}), a folder per student, or a folder of them",
    )
    g.set_defaults(run=run_grade)
