"""An instructor's overrides (``OUT/overrides.csv``): the last word on a check or a total.

Columns ``id, check, points, reason``: ``id`` as in ``gradebook.csv``; ``check`` a check id
or ``total``; ``points`` a number (the points given) or a signed change (``+2``, ``-1.5``).
Every later batch, regrade and export applies them (``final_score.py``).  A line naming an
id or a check no record has is an error that names it: a typo must not pass silently.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from grader.record_data import RecordData

FILE = "overrides.csv"
TOTAL = "total"
COLUMNS = ("id", "check", "points", "reason")


class AdjustmentError(ValueError):
    """An overrides file, a late policy or a submission time is wrong; the message says where."""


@dataclass(frozen=True)
class Override:
    id: str
    check: str
    points: float
    # ``+2``: a change to the points graded; ``2``: the points given.
    relative: bool
    reason: str
    line: int


def _points(value: str, where: str) -> tuple[float, bool]:
    cleaned = value.strip().lstrip("'")
    try:
        return float(cleaned), cleaned.startswith(("+", "-"))
    except ValueError:
        raise AdjustmentError(
            f"{where}: points {value!r} is neither a number nor a change such as +2"
        ) from None


def parse_overrides(content: str, source: str = FILE) -> list[Override]:
    """The overrides in a CSV text (``source`` names it in errors)."""
    reader = csv.DictReader(io.StringIO(content))
    missing = [c for c in COLUMNS[:3] if c not in (reader.fieldnames or [])]
    if missing:
        raise AdjustmentError(
            f"{source}: missing column(s) {', '.join(missing)} (expected: {', '.join(COLUMNS)})"
        )
    found = []
    for number, row in enumerate(reader, start=2):
        if not any((value or "").strip() for value in row.values() if isinstance(value, str)):
            continue
        where = f"{source} line {number}"
        points, relative = _points(row.get("points") or "", where)
        found.append(
            Override(
                (row.get("id") or "").strip(),
                (row.get("check") or "").strip() or TOTAL,
                points,
                relative,
                (row.get("reason") or "").strip(),
                number,
            )
        )
    return found


def read_overrides(directory: Path) -> list[Override]:
    """``directory/overrides.csv``, or no overrides when there is none."""
    path = directory / FILE
    return (
        parse_overrides(path.read_text(encoding="utf-8-sig"), str(path)) if path.is_file() else []
    )


def resolve(
    overrides: Sequence[Override], records: Sequence[RecordData], source: str = FILE
) -> dict[str, list[Override]]:
    """The overrides by record id; an unknown id or check is an error naming it and its line."""
    by_id = {str(r.get("id")): r for r in records}
    resolved: dict[str, list[Override]] = {}
    for override in overrides:
        # An id copied from gradebook.csv keeps the ' that kept it from running as a formula.
        key = override.id if override.id in by_id else override.id.removeprefix("'")
        record = by_id.get(key)
        if record is None:
            raise AdjustmentError(
                f"{source} line {override.line}: unknown id {override.id!r} (no record {key}.json)"
            )
        checks = {str(c.get("id")) for c in record.get("checks", [])}
        if override.check != TOTAL and override.check not in checks:
            raise AdjustmentError(
                f"{source} line {override.line}: {key} has no check {override.check!r} "
                f"(a check id of gradebook.csv's columns, or {TOTAL})"
            )
        resolved.setdefault(key, []).append(override)
    return resolved
