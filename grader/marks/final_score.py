"""From the graded score to the final one: an instructor's overrides and the late penalty.

Plain data in, a frozen ``Final`` out.  In order: overrides of a check (its points set or
changed), then the late deduction (a share of the maximum score, never below 0), then
overrides of the total (the instructor's last word).  The graded score is never changed:
the record keeps both.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from grader.marks.late import LatePolicy
from grader.marks.overrides import TOTAL, Override
from grader.record_data import RecordData


@dataclass(frozen=True)
class Adjustment:
    kind: Literal["override", "late"]
    check: str
    change: float
    # The instructor's reason (overrides); a late deduction's is said from days and percent.
    reason: str = ""
    days: int = 0
    percent: float = 0.0


@dataclass(frozen=True)
class Final:
    graded: float
    score: float
    adjustments: tuple[Adjustment, ...]
    submitted: datetime | None = None


def submitted_at(record: RecordData, times: Mapping[str, datetime]) -> datetime | None:
    """When ``record``'s submission came in: by its id, else by the LMS's user id."""
    if str(record.get("id")) in times:
        return times[str(record.get("id"))]
    lms = record.get("lms")
    user = str(lms.get("user_id")) if isinstance(lms, dict) else None
    return times.get(user) if user else None


def late_by_name_only(records: Sequence[RecordData], times: Mapping[str, datetime]) -> list[str]:
    """The ids of records whose LMS marked them late in the file's name (Canvas's ``_LATE_``) but
    for which no submission time is listed: the late deduction needs the LMS's own time."""
    return [
        str(record.get("id"))
        for record in records
        if isinstance(record.get("lms"), dict)
        and record["lms"].get("late")
        and submitted_at(record, times) is None
    ]


def _changed(current: float, override: Override) -> float:
    return override.points if override.relative else override.points - current


def adjust(
    record: RecordData,
    overrides: Sequence[Override],
    late: LatePolicy | None,
    submitted: datetime | None,
) -> Final:
    """The final score of ``record`` under ``overrides`` (its own) and the late policy."""
    graded = float(record.get("score") or 0.0)
    points = {str(c.get("id")): float(c.get("points") or 0.0) for c in record.get("checks", [])}
    adjustments: list[Adjustment] = []
    score = graded
    for override in (o for o in overrides if o.check != TOTAL):
        change = _changed(points[override.check], override)
        points[override.check] += change
        score += change
        adjustments.append(
            Adjustment("override", override.check, round(change, 2), override.reason)
        )
    if late is not None and submitted is not None:
        days = late.days_late(submitted)
        percent = late.percent(days)
        if percent > 0:
            deduction = min(score, float(record.get("max_score") or 0.0) * percent / 100)
            score -= deduction
            adjustments.append(
                Adjustment("late", TOTAL, round(-deduction, 2), days=days, percent=percent)
            )
    for override in (o for o in overrides if o.check == TOTAL):
        change = _changed(score, override)
        score += change
        adjustments.append(Adjustment("override", TOTAL, round(change, 2), override.reason))
    return Final(graded, round(score, 2), tuple(adjustments), submitted)
