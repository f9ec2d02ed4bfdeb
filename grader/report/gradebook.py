"""``gradebook.csv``: one row per submission, one column per check, safe in a spreadsheet.

Built from the per-submission JSON records alone, so a resumed batch rebuilds it from
disk.  Any cell a spreadsheet could read as a formula (``=``, ``+``, ``-``, ``@``, a tab
or a carriage return first) is prefixed with ``'``: a file named ``=HYPERLINK(...)``
stays text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from grader.record_data import RecordData

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
FIXED_COLUMNS = ("id", "submission", "status", "score", "final_score", "max_score", "duration_s")
# After the checks: why the final score differs from the graded one (overrides, late days).
REASONS = "reasons"


def spreadsheet_safe(value: Any) -> Any:
    """``value`` unchanged, unless it is text a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def final_score(record: RecordData) -> Any:
    """The score after overrides and late deductions (the graded score when there are none)."""
    return record.get("final_score", record.get("score"))


def check_ids(records: Sequence[RecordData]) -> list[str]:
    """Every check id, in the order the records list them."""
    ids: dict[str, None] = {}
    for record in records:
        for check in record.get("checks", []):
            ids.setdefault(str(check.get("id")), None)
    return list(ids)


def gradebook_csv(records: Sequence[RecordData]) -> str:
    columns = check_ids(records)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*FIXED_COLUMNS, *columns, REASONS])
    for record in sorted(records, key=lambda r: str(r.get("id"))):
        points = {str(c.get("id")): c.get("points") for c in record.get("checks", [])}
        values = {**record, "final_score": final_score(record)}
        reasons = "; ".join(str(a.get("reason", "")) for a in record.get("adjustments", []))
        row = (
            [values.get(column) for column in FIXED_COLUMNS]
            + [points.get(column, "") for column in columns]
            + [reasons]
        )
        writer.writerow([spreadsheet_safe(v) for v in row])
    return out.getvalue()
