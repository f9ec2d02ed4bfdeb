"""``python -m grader.notebook_grading``: the process a self-check in a notebook grades in.

``%grade`` and ``grader.check`` run in the student's own kernel and never grade there: they
start this module in a process of its own, which grades the saved file as ``pytest
--assignment`` does (the visible checks, the file run in a confined kernel forked from the
resident fork server) and writes one JSON file for its caller: the record as ``grader grade
--out`` writes it, the feedback page, and the terminal report as text.  Each cell run is said on
standard output as a line of JSON (``{"progress": ...}``), for the caller's status line.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
from pathlib import Path

from rich.console import Console

from grader.atomic_write import write_atomic
from grader.batch import Settings, for_audience, grade_one, start_kernel_for
from grader.boundary.execution import Progress
from grader.course.assignment import AssignmentError, digest, load_assignment
from grader.exit_codes import EXIT_OK, EXIT_USAGE
from grader.messages import LANGUAGES, text
from grader.report.graded import package
from grader.report.terminal import report
from grader.submissions.finding import one_submission

REPORT_WIDTH = 100


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m grader.notebook_grading")
    parser.add_argument("submission", type=Path)
    parser.add_argument("--assignment", required=True)
    parser.add_argument("--assignments", action="append", default=[], type=Path)
    parser.add_argument("--lang", choices=LANGUAGES, required=True)
    parser.add_argument("--result", type=Path, required=True, help="the JSON file to write")
    return parser


def _progress(lang: str) -> Progress:
    def said(number: int, total: int, seconds: float) -> None:
        line = text(lang, "ui", "running", number=number, total=total, seconds=seconds)
        print(json.dumps({"progress": line}, ensure_ascii=False), flush=True)

    return said


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    try:
        # A student's self-check: the visible checks only, as ``pytest --assignment``.
        assignment = for_audience(
            load_assignment(args.assignment, explicit=args.assignments), False
        )
    except AssignmentError as exc:
        write_atomic(args.result, json.dumps({"error": str(exc)}, ensure_ascii=False))
        return EXIT_USAGE
    job = one_submission(args.submission)
    start_kernel_for(job, assignment)
    settings = Settings(
        assignment.name,
        str(assignment.folder.parent),
        args.lang,
        assignment.max_score,
        assignment_digest=digest(assignment),
    )
    view = grade_one(job, assignment, settings, _progress(args.lang))
    graded = package(view, job)
    buffer = io.StringIO()
    Console(file=buffer, width=REPORT_WIDTH, color_system=None).print(report(view))
    result = {"record": graded.record, "page": graded.feedback, "text": buffer.getvalue()}
    write_atomic(args.result, json.dumps(result, ensure_ascii=False))
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
