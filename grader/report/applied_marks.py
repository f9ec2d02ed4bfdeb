"""Overrides and late deductions written into an output folder's records and pages.

Run by ``RecordFolder.finish`` (every batch, regrade and resumed run) and by ``grader
export``: each record gets ``final_score`` and ``marks.final_score`` (or loses them when the
overrides no longer apply), its feedback page the section between the page's markers.
The graded ``score`` stays as graded.
"""

from __future__ import annotations

from pathlib import Path

from grader.atomic_write import write_atomic
from grader.course.visibility import shown_to_student
from grader.marks.final_score import Adjustment, Final, adjust, late_by_name_only, submitted_at
from grader.marks.late import LatePolicy
from grader.marks.overrides import TOTAL, read_overrides, resolve
from grader.marks.submission_times import read_submitted
from grader.messages import text
from grader.record_data import RecordData
from grader.report import json_record
from grader.report.feedback_html import ADJUSTMENTS_END, ADJUSTMENTS_START
from grader.report.html_page import esc


def reason(adjustment: Adjustment, lang: str) -> str:
    """One adjustment as a sentence in ``lang``."""
    if adjustment.kind == "late":
        return text(
            lang,
            "adjust",
            "late",
            days=adjustment.days,
            percent=adjustment.percent,
            change=adjustment.change,
        )
    what = (
        text(lang, "adjust", "total", change=adjustment.change)
        if adjustment.check == TOTAL
        else text(lang, "adjust", "check", check=adjustment.check, change=adjustment.change)
    )
    return (
        text(lang, "adjust", "because", what=what, reason=adjustment.reason)
        if adjustment.reason
        else what
    )


def with_final(record: RecordData, final: Final) -> RecordData:
    """``record`` with its final score and adjustments (none: as graded)."""
    document = record.copy()
    # What an earlier run added: worked out again from the overrides and the policy as they are.
    document.pop("final_score", None)
    document.pop("adjustments", None)
    document.pop("submitted", None)
    if not final.adjustments:
        return document
    lang = str(record.get("language", "en"))
    document["final_score"] = final.score
    document["adjustments"] = [
        {
            "kind": a.kind,
            "check": a.check,
            "change": a.change,
            "reason": reason(a, lang),
            "days": a.days,
            "percent": a.percent,
        }
        for a in final.adjustments
    ]
    if final.submitted is not None:
        document["submitted"] = final.submitted.isoformat()
    return document


def section(record: RecordData) -> str:
    """The feedback page's section on the changes to the score ('' when there are none).

    The page is the student's: while a check's result is not theirs to read, neither is a change
    to that check, nor the graded and final totals (they hold its points); the page says why
    the final score is not shown."""
    if not record.get("adjustments"):
        return ""
    lang = str(record.get("language", "en"))
    released = bool(record.get("released"))
    unseen = {
        str(c.get("id"))
        for c in record.get("checks", [])
        if not shown_to_student(c.get("visibility", "visible"), released)
    }
    shown = [
        a
        for a in record["adjustments"]
        if a.get("kind") != "check" or str(a.get("check")) not in unseen
    ]
    items = "".join(f"<li>{esc(str(a.get('reason', '')))}</li>" for a in shown)
    totals = (
        f'<p class="muted" id="final-later">{esc(text(lang, "adjust", "final_later"))}</p>'
        if unseen
        else f"<p>{esc(text(lang, 'adjust', 'graded'))}: {record['score']:g} → "
        f'<strong id="final-score">{esc(text(lang, "adjust", "final"))}: {record["final_score"]:g} '
        f"/ {record['max_score']:g}</strong></p>"
    )
    return (
        f'<section id="adjustments"><h2>{esc(text(lang, "adjust", "heading"))}</h2>'
        f"<ul>{items}</ul>{totals}</section>"
    )


def splice(page: str, content: str) -> str:
    """``page`` with ``content`` between its adjustment markers (unchanged if it has none)."""
    start, end = page.find(ADJUSTMENTS_START), page.find(ADJUSTMENTS_END)
    if start < 0 or end < start:
        return page
    return page[: start + len(ADJUSTMENTS_START)] + content + page[end:]


def adjust_folder(
    directory: Path,
    records: list[RecordData],
    late: LatePolicy | None,
    feedback_dir: str = "feedback",
) -> list[RecordData]:
    """Apply ``directory``'s overrides and the late policy to ``records``; rewrite what changed."""
    overrides = resolve(read_overrides(directory), records, str(directory / "overrides.csv"))
    times = read_submitted(directory) if late is not None else {}
    adjusted = []
    for record in records:
        final = adjust(
            record, overrides.get(str(record["id"]), []), late, submitted_at(record, times)
        )
        document = with_final(record, final)
        if document != record:
            page = directory / feedback_dir / f"{record['id']}.html"
            if page.is_file():
                write_atomic(page, splice(page.read_text(encoding="utf-8"), section(document)))
            json_record.write(document, directory)
        adjusted.append(document)
    return adjusted


def late_without_time(
    directory: Path, records: list[RecordData], late: LatePolicy | None
) -> list[str]:
    """Under a late policy, the ids the LMS's file names marked late that ``submitted.csv`` gives
    no time for (so no deduction was made: the listing is what the deduction comes from)."""
    return late_by_name_only(records, read_submitted(directory)) if late is not None else []


def late_without_time_note(
    directory: Path, records: list[RecordData], late: LatePolicy | None, lang: str
) -> str | None:
    """What to tell the instructor about ``late_without_time``, or ``None``."""
    ids = late_without_time(directory, records, late)
    return text(lang, "ui", "late_without_time", ids=", ".join(ids)) if ids else None
