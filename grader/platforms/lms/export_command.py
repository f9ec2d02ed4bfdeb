"""``grader export OUT --format canvas|moodle|csv``: an output folder's final scores for the LMS.

A front end of its own, registered by ``cli.parser``: it applies ``OUT/overrides.csv`` and
the assignment's late policy to the records (as every batch does), then writes
``OUT/canvas.csv`` (from the gradebook exported from Canvas), ``OUT/moodle.csv`` or
``OUT/gradebook.csv``.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from grader.atomic_write import write_atomic
from grader.course.assignment import AssignmentError, load_assignment
from grader.marks.late import LatePolicy, late_policy
from grader.marks.overrides import AdjustmentError
from grader.platforms.lms.gradebooks import canvas_csv, moodle_csv
from grader.record_data import RecordData
from grader.report.applied_marks import adjust_folder, late_without_time_note
from grader.report.folder import FEEDBACK_DIR, RecordFolder
from grader.report.gradebook import gradebook_csv

FORMATS = ("canvas", "moodle", "csv")
EXIT_OK, EXIT_USAGE = 0, 2


def _late(records: list[RecordData], assignments: list[Path]) -> LatePolicy | None:
    names = sorted({str(r.get("assignment")) for r in records})
    if len(names) > 1:
        raise AdjustmentError(
            f"the folder holds records of several assignments ({', '.join(names)})"
        )
    return late_policy(load_assignment(names[0], explicit=assignments).folder) if names else None


def _write(args: argparse.Namespace, out: Path, records: list[RecordData]) -> Path:
    gradebook = Path(args.gradebook).read_text(encoding="utf-8-sig") if args.gradebook else None
    if args.format == "canvas":
        if gradebook is None:
            raise AdjustmentError(
                "--format canvas fills the gradebook exported from Canvas: pass it with "
                "--gradebook EXPORT.csv"
            )
        assignment = str(records[0].get("assignment")) if records else ""
        return write_atomic(
            out / "canvas.csv", canvas_csv(gradebook, records, assignment, args.column)
        )
    if args.format == "moodle":
        return write_atomic(out / "moodle.csv", moodle_csv(records, gradebook))
    return write_atomic(out / "gradebook.csv", gradebook_csv(records))


def run(args: argparse.Namespace, console: Console) -> int:
    out = Path(args.out)
    try:
        records = RecordFolder(out).records()
        if not records:
            raise AdjustmentError(
                f"no records in {out} (grade into it with grader grade --out first)"
            )
        late = _late(records, args.assignments)
        adjusted = adjust_folder(out, records, late, FEEDBACK_DIR)
        path = _write(args, out, adjusted)
        note = late_without_time_note(out, adjusted, late, str(records[0].get("language", "en")))
    except (AdjustmentError, AssignmentError, OSError) as exc:
        console.print(f"[red]error:[/] {escape(str(exc))}", markup=True, highlight=False)
        return EXIT_USAGE
    if note:
        console.print(note, highlight=False, markup=False)
    console.print(f"→ {path}", highlight=False)
    return EXIT_OK


def register(commands: Any, course: argparse.ArgumentParser) -> None:
    """Add ``export`` to the ``grader`` command's subcommands."""
    e = commands.add_parser(
        "export",
        parents=[course],
        help="write an output folder's final scores for an LMS "
        "(overrides.csv and the late policy applied)",
    )
    e.add_argument("out", metavar="OUT", help="the folder grader grade --out wrote")
    e.add_argument(
        "--format",
        choices=FORMATS,
        default="csv",
        help="canvas: OUT/canvas.csv from --gradebook; moodle: OUT/moodle.csv; csv: "
        "OUT/gradebook.csv",
    )
    e.add_argument(
        "--gradebook",
        metavar="EXPORT.csv",
        help="the gradebook exported from Canvas, or Moodle's grading worksheet, to fill",
    )
    e.add_argument(
        "--column",
        help="the gradebook's column to fill (default: the one titled '<assignment> (N)')",
    )
    e.set_defaults(run=run)
