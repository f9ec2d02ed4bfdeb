"""What a batch writes for the whole class, rebuilt from the records on disk each time.

``gradebook.csv``, ``junit.xml`` and ``summary.html`` in the output folder, and the
one-line result of each submission in the terminal.
"""

from __future__ import annotations

from typing import Any

from rich.markup import escape

from grader.batch import Outputs
from grader.messages import text
from grader.report.files import write_atomic
from grader.report.gradebook import gradebook_csv
from grader.report.junit import junit_xml
from grader.report.summary import write_summary

MARKS = {"graded": "✔", "grader_error": "!"}


def result_line(record: dict[str, Any], lang: str) -> str:
    return text(lang, "ui", "result_line", mark=MARKS.get(record["status"], "✘"), id=escape(str(record["id"])),
                status=text(lang, "status", record["status"]), score=f"{record['score']:g}",
                max_score=f"{record['max_score']:g}", seconds=float(record.get("duration_s") or 0))


def write_class_reports(outputs: Outputs, lang: str) -> None:
    records = outputs.records()
    write_atomic(outputs.directory / "gradebook.csv", gradebook_csv(records))
    write_atomic(outputs.directory / "junit.xml", junit_xml(records))
    write_summary(records, lang, outputs.directory)
