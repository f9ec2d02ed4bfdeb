"""What a batch writes for the whole class, rebuilt from the records on disk each time.

``gradebook.csv`` and ``junit.xml`` in the output folder, plus the one-line result of
each submission and the class summary in the terminal.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from rich.console import RenderableType
from rich.markup import escape
from rich.table import Table

from grader.batch import Outputs
from grader.messages import text
from grader.report.files import write_atomic
from grader.report.gradebook import gradebook_csv
from grader.report.junit import junit_xml

MARKS = {"graded": "✔", "grader_error": "!"}


def result_line(record: dict[str, Any], lang: str) -> str:
    return text(lang, "ui", "result_line", mark=MARKS.get(record["status"], "✘"), id=escape(str(record["id"])),
                status=text(lang, "status", record["status"]), score=f"{record['score']:g}",
                max_score=f"{record['max_score']:g}", seconds=float(record.get("duration_s") or 0))


def class_summary(records: Sequence[dict[str, Any]], lang: str) -> RenderableType:
    table = Table(title=text(lang, "ui", "summary_title", count=len(records)))
    table.add_column(text(lang, "ui", "status"))
    table.add_column("n", justify="right")
    for status, count in sorted(Counter(r["status"] for r in records).items()):
        table.add_row(text(lang, "status", status), str(count))
    scored = [r["score"] for r in records if r["status"] != "grader_error"]
    if scored:
        table.add_section()
        table.add_row(text(lang, "ui", "mean_score"), f"{sum(scored) / len(scored):.1f}")
    return table


def write_class_reports(outputs: Outputs, lang: str) -> None:
    records = outputs.records()
    write_atomic(outputs.directory / "gradebook.csv", gradebook_csv(records))
    write_atomic(outputs.directory / "junit.xml", junit_xml(records))
