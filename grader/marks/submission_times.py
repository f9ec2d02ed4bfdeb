"""When each submission came in: ``OUT/submitted.csv``, or the LMS's own export of it.

``submitted.csv`` has the columns ``id`` (the record's id, or the LMS's user id) and
``submission_times`` (an ISO date-time).  Moodle's grading worksheet can be saved under that name
as it is: its ``Identifier`` (``Participant 123456``) and ``Last modified (submission)``
(``Monday, 1 June 2026, 11:59 PM``) columns are read the same way.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime
from pathlib import Path

from grader.marks.overrides import AdjustmentError

FILE = "submitted.csv"
ID_COLUMNS = ("id", "Identifier")
TIME_COLUMNS = ("submitted", "Last modified (submission)")
MOODLE_TIME = "%A, %d %B %Y, %I:%M %p"
PARTICIPANT = re.compile(r"^(?:Participant|参加者)\s*(\d+)$")
NO_TIME = {"", "-"}


def parse_time(value: str, where: str) -> datetime:
    for parse in (datetime.fromisoformat, lambda v: datetime.strptime(v, MOODLE_TIME)):
        try:
            return parse(value.strip())
        except ValueError:
            continue
    raise AdjustmentError(
        f"{where}: {value!r} is not a date-time (2026-06-01T23:59:00+09:00, or as Moodle writes it)"
    )


def parse_submitted(content: str, source: str = FILE) -> dict[str, datetime]:
    """The submission time by id (a record's id, or a Moodle participant's or LMS user's number)."""
    reader = csv.DictReader(io.StringIO(content))
    fields = reader.fieldnames or []
    id_column = next((c for c in ID_COLUMNS if c in fields), None)
    time_column = next((c for c in TIME_COLUMNS if c in fields), None)
    if id_column is None or time_column is None:
        raise AdjustmentError(
            f"{source}: needs the columns id and submitted (or Moodle's Identifier and Last "
            "modified (submission))"
        )
    times = {}
    for number, row in enumerate(reader, start=2):
        key, value = (row.get(id_column) or "").strip(), (row.get(time_column) or "").strip()
        if not key or value in NO_TIME:
            continue
        participant = PARTICIPANT.match(key)
        times[participant[1] if participant else key] = parse_time(value, f"{source} line {number}")
    return times


def read_submitted(directory: Path) -> dict[str, datetime]:
    path = directory / FILE
    return (
        parse_submitted(path.read_text(encoding="utf-8-sig"), str(path)) if path.is_file() else {}
    )
