"""An assignment's late policy (``[late]`` in ``assignment.toml``) and what it deducts.

    [late]
    due = 2026-06-01T23:59:00+09:00   # a TOML date-time; without an offset, in `timezone`
    timezone = "Asia/Tokyo"           # default UTC
    per_day = 10                      # percent of the maximum score per started day late
    table = [5, 20, 50]               # or: percent for day 1, 2, 3 and every later day
    cap = 50                          # percent at most (default 100)
    grace_minutes = 10                # default 0

Read here, beside ``assignment.py`` rather than in it: the assignment's digest already
covers the file, and nothing about grading a notebook depends on it.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from grader.marks.overrides import AdjustmentError

KEYS = {"due", "timezone", "per_day", "table", "cap", "grace_minutes"}


@dataclass(frozen=True)
class LatePolicy:
    due: datetime
    per_day: float = 0.0
    table: tuple[float, ...] = ()
    cap: float = 100.0
    grace_minutes: float = 0.0
    zone: tzinfo = timezone.utc

    def aware(self, moment: datetime) -> datetime:
        """``moment`` with the policy's time zone when it has none."""
        return moment if moment.tzinfo is not None else moment.replace(tzinfo=self.zone)

    def days_late(self, submitted: datetime) -> int:
        """Started days past the due time (and its grace), 0 when on time."""
        late = self.aware(submitted) - self.due - timedelta(minutes=self.grace_minutes)
        return max(0, math.ceil(late / timedelta(days=1)))

    def percent(self, days: int) -> float:
        """The share of the maximum score deducted for ``days`` days late, capped."""
        if days <= 0:
            return 0.0
        deduction = (
            self.table[min(days, len(self.table)) - 1] if self.table else self.per_day * days
        )
        return min(float(deduction), self.cap)


def _number(data: dict[str, Any], key: str, default: float, source: str) -> float:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise AdjustmentError(
            f"{source}: [late] {key} must be a number of at least 0, not {value!r}"
        )
    return float(value)


def parse_policy(data: dict[str, Any], source: str) -> LatePolicy:
    unknown = sorted(set(data) - KEYS)
    if unknown:
        raise AdjustmentError(
            f"{source}: [late] has unknown key(s) {', '.join(unknown)} (known: "
            f"{', '.join(sorted(KEYS))})"
        )
    try:
        zone: tzinfo = ZoneInfo(str(data.get("timezone", "UTC")))
    except (ZoneInfoNotFoundError, ValueError):
        raise AdjustmentError(
            f"{source}: [late] timezone {data.get('timezone')!r} is not a known time zone"
        ) from None
    due = data.get("due")
    if not isinstance(due, datetime):
        raise AdjustmentError(
            f"{source}: [late] due must be a date-time such as 2026-06-01T23:59:00+09:00, not "
            f"{due!r}"
        )
    table = data.get("table", [])
    if not isinstance(table, list) or not all(
        isinstance(v, (int, float)) and v >= 0 for v in table
    ):
        raise AdjustmentError(
            f"{source}: [late] table must list percents (day 1, day 2, ...), not {table!r}"
        )
    return LatePolicy(
        due if due.tzinfo else due.replace(tzinfo=zone),
        _number(data, "per_day", 0, source),
        tuple(float(v) for v in table),
        _number(data, "cap", 100, source),
        _number(data, "grace_minutes", 0, source),
        zone,
    )


def late_policy(folder: Path) -> LatePolicy | None:
    """The ``[late]`` policy of the assignment in ``folder``, or ``None`` when it has none."""
    path = folder / "assignment.toml"
    if not path.is_file():
        return None
    data = tomllib.loads(path.read_text(encoding="utf-8")).get("late")
    return parse_policy(data, str(path)) if isinstance(data, dict) else None
