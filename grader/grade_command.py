"""``grader grade``: grading submissions from the command line (its options are in
``grade_options.py``).

One submission is graded in this process, with a live status line and the full report; several
(or ``--scheduler``) on parallel workers, local or a Dask cluster's, with a progress bar, resuming
from the records already in ``--out``.  Either way the records, pages, gradebook and summary go to
``--out`` and ``--format`` writes a platform's own result.  The exit code is 0 whenever grading
worked, whatever the scores.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from concurrent.futures import Executor
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeRemainingColumn,
)

from grader.batch import (
    Settings,
    for_audience,
    grade_one,
    is_done,
    local_pool,
    run_batch,
    start_kernel_for,
)
from grader.course.assignment import (
    Assignment,
    AssignmentError,
    digest,
    load_assignment,
    with_limits,
)
from grader.exit_codes import EXIT_GRADER_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE
from grader.messages import default_language, text
from grader.platforms.classroom.result import write_classroom
from grader.platforms.gradescope.results import write_gradescope
from grader.record import GRADER_FAULTS
from grader.record_data import RecordData
from grader.report.applied_marks import late_without_time_note
from grader.report.folder import RecordFolder
from grader.report.graded import Graded, package
from grader.report.summary import summary_renderable
from grader.report.terminal import report, result_line
from grader.sandbox.isolation import expected as expected_isolation
from grader.submissions.finding import Job, find_submissions, one_submission, undecided
from grader.submissions.lms_names import LmsSettingError, assignment_lms

# One submission's results in a platform's own format: --format NAME.
FORMATS: dict[str, Callable[[RecordData, Path | None], Path]] = {
    "gradescope": write_gradescope,
    "classroom": write_classroom,
}


def run_grade(args: argparse.Namespace, console: Console) -> int:
    missing = expected_isolation().missing
    if args.require_isolation and missing:
        console.print(
            "[red]error:[/] --require-isolation: this machine cannot enforce every layer of "
            "isolation "
            f"(missing: {', '.join(missing)}); `grader doctor` says how to fix it",
            markup=True,
            highlight=False,
        )
        return EXIT_USAGE
    try:
        loaded = with_limits(
            load_assignment(args.assignment, explicit=args.assignments),
            args.cell_timeout,
            args.total_timeout,
        )
    except AssignmentError as exc:
        console.print(f"[red]error:[/] {escape(str(exc))}", markup=True)
        return EXIT_USAGE
    instructor = args.instructor or args.released
    assignment = for_audience(loaded, instructor)
    try:
        lms = args.lms or assignment_lms(assignment.folder)
    except LmsSettingError as exc:
        console.print(f"[red]error:[/] {escape(str(exc))}", markup=True)
        return EXIT_USAGE
    if args.format:
        if len(args.submissions) != 1:
            console.print(
                f"[red]error:[/] --format {args.format[0]} grades one submission (a file or the "
                "submission folder)",
                markup=True,
            )
            return EXIT_USAGE
        jobs = [one_submission(Path(args.submissions[0]), lms)]
    else:
        jobs = find_submissions([Path(p) for p in args.submissions], lms)
    if undecided(jobs):
        console.print(text(args.lang or default_language(), "ui", "lms_undecided"), highlight=False)
    settings = Settings(
        assignment=assignment.name,
        assignments_root=str(assignment.folder.parent),
        lang=args.lang or default_language(),
        max_score=assignment.max_score,
        cell_timeout_s=args.cell_timeout,
        total_timeout_s=args.total_timeout,
        assignment_digest=digest(assignment),
        instructor=instructor,
        released=args.released,
    )
    outputs = RecordFolder.for_assignment(Path(args.out), assignment.folder) if args.out else None
    results = (
        [_grade_here(jobs[0], assignment, settings, console, outputs)]
        if len(jobs) == 1 and not args.scheduler
        else _grade_batch(jobs, settings, args, console, outputs)
    )
    if results is None:
        return EXIT_INTERRUPTED
    if outputs is not None:
        outputs.compare(jobs, assignment.folder)
        outputs.finish(settings.lang)
        note = late_without_time_note(
            outputs.directory, outputs.records(), outputs.late, settings.lang
        )
        if note:
            console.print(note, highlight=False, markup=False)
        console.print(f"→ {outputs.directory}", highlight=False)
    for name in dict.fromkeys(args.format):
        console.print(
            f"→ {FORMATS[name](results[0], outputs.directory if outputs else None)}",
            highlight=False,
        )
    return EXIT_GRADER_FAILED if any(r["status"] in GRADER_FAULTS for r in results) else EXIT_OK


def _grade_here(
    job: Job,
    assignment: Assignment,
    settings: Settings,
    console: Console,
    outputs: RecordFolder | None,
) -> RecordData:
    """One submission, in this process, with a live status line and the full report."""
    start_kernel_for(job, assignment)
    if not console.is_interactive:  # a log or a pipe: no status line to redraw
        view = grade_one(job, assignment, settings)
    else:
        with console.status("", refresh_per_second=4) as status:

            def progress(number: int, total: int, seconds: float) -> None:
                running = dict(number=number, total=total, seconds=seconds)
                status.update(text(settings.lang, "ui", "running", **running))

            view = grade_one(job, assignment, settings, progress)
    console.print(report(view))
    graded = package(view, job)
    if outputs is not None:
        outputs.add(graded)
    return graded.record


def _grade_batch(
    jobs: list[Job],
    settings: Settings,
    args: argparse.Namespace,
    console: Console,
    outputs: RecordFolder | None,
) -> list[RecordData] | None:
    """Many submissions on parallel workers, with a progress bar; resumes from ``--out``."""
    done: list[RecordData] = []
    todo = jobs
    if outputs is not None and not args.regrade:
        existing = {job.id: outputs.existing(job) for job in jobs}
        todo = [job for job in jobs if not is_done(existing[job.id], job, settings)]
        done = [
            record for job in jobs if job not in todo and (record := existing[job.id]) is not None
        ]
        if done:
            console.print(
                text(settings.lang, "ui", "resumed", done=len(done), todo=len(todo)),
                highlight=False,
            )
    workers = max(1, min(args.jobs, len(todo)))
    columns = (
        SpinnerColumn(),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[counts]}"),
        TimeRemainingColumn(),
    )
    counts = {"graded": 0, "problems": 0}
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("", total=len(todo), counts="")

        def on_result(graded: Graded) -> None:
            if outputs is not None:
                outputs.add(graded)
            done.append(graded.record)
            counts["graded" if graded.record["status"] == "graded" else "problems"] += 1
            console.print(result_line(graded.record, settings.lang), highlight=False)
            bar.update(
                task,
                advance=1,
                counts=text(
                    settings.lang,
                    "ui",
                    "batch_counts",
                    left=len(todo) - sum(counts.values()),
                    **counts,
                ),
            )

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
