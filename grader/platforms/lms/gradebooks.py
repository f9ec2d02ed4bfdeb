"""Gradebooks an LMS imports, filled from the records' final scores.

Canvas: the gradebook exported from Canvas (``Student, ID, SIS User ID, SIS Login ID, Section``,
assignment columns such as ``week8 (4242)``, a ``Points Possible`` row) comes back in the same shape
with the assignment's column filled by Canvas user id (scaled to its points possible).  Moodle: its
grading worksheet with the ``Grade`` column filled by ``Participant N``, or, without one, an
``Identifier, Full name, Grade`` file.  A student without a usable record keeps the cell as the LMS
gave it (blank), never 0; a grader error is never a score.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence

from grader.marks.overrides import AdjustmentError
from grader.record import GRADER_FAULTS
from grader.record_data import RecordData
from grader.report.gradebook import final_score, spreadsheet_safe

ASSIGNMENT_COLUMN = re.compile(r"^(?P<name>.+) \((?P<id>\d+)\)$")
CANVAS_ID, POINTS_POSSIBLE = "ID", "Points Possible"
MOODLE_ID, MOODLE_GRADE = "Identifier", "Grade"
PARTICIPANT = "Participant {}"


def scores_by_user(
    records: Sequence[RecordData], system: str, possible: float | None = None
) -> dict[str, float]:
    """Each LMS user's final score (out of ``possible`` when given): from their latest
    resubmission, then the best of their files."""
    chosen: dict[str, tuple[tuple[int, float], float]] = {}
    for record in records:
        lms = record.get("lms")
        if (
            not isinstance(lms, dict)
            or lms.get("system") != system
            or record.get("status") in GRADER_FAULTS
        ):
            continue
        score = float(final_score(record) or 0.0)
        maximum = float(record.get("max_score") or 0.0)
        if possible is not None and maximum > 0:
            score = round(score * possible / maximum, 2)
        rank = (int(lms.get("attempt") or 0), score)
        user = str(lms.get("user_id"))
        if user not in chosen or rank > chosen[user][0]:
            chosen[user] = (rank, score)
    return {user: score for user, (_, score) in chosen.items()}


def _points_possible(rows: Sequence[Sequence[str]], target: int) -> float | None:
    """What Canvas says the column is out of (its "Points Possible" row), if it says."""
    for row in rows:
        if row and row[0].strip() == POINTS_POSSIBLE and len(row) > target:
            try:
                return float(row[target])
            except ValueError:
                return None
    return None


def _cell(score: float) -> str:
    return f"{score:g}"


def assignment_column(header: Sequence[str], assignment: str, column: str | None) -> str:
    """The column to fill: ``column`` if given, else the one titled ``assignment (N)``."""
    if column is not None:
        if column not in header:
            raise AdjustmentError(f"the gradebook has no column {column!r}")
        return column
    candidates = [
        h for h in header if (m := ASSIGNMENT_COLUMN.match(h)) and m["name"].strip() == assignment
    ]
    if len(candidates) != 1:
        known = [h for h in header if ASSIGNMENT_COLUMN.match(h)]
        raise AdjustmentError(
            f"cannot tell which column is {assignment!r} (found {len(candidates)} matching among "
            f"{', '.join(known) or 'no assignment columns'}); name it with --column"
        )
    return candidates[0]


def canvas_csv(
    export: str, records: Sequence[RecordData], assignment: str, column: str | None = None
) -> str:
    """Canvas's exported gradebook ``export`` with ``assignment``'s column filled from
    ``records``."""
    rows = list(csv.reader(io.StringIO(export)))
    if not rows or CANVAS_ID not in rows[0]:
        raise AdjustmentError(
            f"not a Canvas gradebook export: no {CANVAS_ID!r} column in its first row"
        )
    header = rows[0]
    target, id_at = (
        header.index(assignment_column(header, assignment, column)),
        header.index(CANVAS_ID),
    )
    scores = scores_by_user(records, "canvas", _points_possible(rows, target))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows[1:]:
        row = row + [""] * (len(header) - len(row))
        user = row[id_at].strip()
        if user in scores:
            row[target] = _cell(scores[user])
        writer.writerow([spreadsheet_safe(v) for v in row])
    return out.getvalue()


def moodle_csv(records: Sequence[RecordData], worksheet: str | None = None) -> str:
    """Moodle's grading worksheet with its Grade column filled, or a new one from the records."""
    scores = scores_by_user(records, "moodle")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if worksheet is None:
        writer.writerow([MOODLE_ID, "Full name", MOODLE_GRADE])
        for record in sorted(records, key=lambda r: str(r.get("id"))):
            lms = record.get("lms")
            if (
                isinstance(lms, dict)
                and lms.get("system") == "moodle"
                and str(lms.get("user_id")) in scores
            ):
                user = str(lms.get("user_id"))
                writer.writerow(
                    [
                        PARTICIPANT.format(user),
                        spreadsheet_safe(str(lms.get("name", ""))),
                        _cell(scores.pop(user)),
                    ]
                )
        return out.getvalue()
    reader = csv.DictReader(io.StringIO(worksheet))
    fields = list(reader.fieldnames or [])
    if MOODLE_ID not in fields or MOODLE_GRADE not in fields:
        raise AdjustmentError(
            f"not a Moodle grading worksheet: it needs the columns {MOODLE_ID} and {MOODLE_GRADE}"
        )
    writer.writerow(fields)
    for row in reader:
        user = (row.get(MOODLE_ID) or "").removeprefix("Participant").strip()
        if user in scores:
            row[MOODLE_GRADE] = _cell(scores[user])
        writer.writerow([spreadsheet_safe(row.get(f) or "") for f in fields])
    return out.getvalue()
