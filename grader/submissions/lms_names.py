"""What an LMS's download says about a submission, read from the names it gives files.

Canvas's "Download submissions" names each file
``lastnamefirstname_USERID_SUBMISSIONID_file.ipynb`` (``_LATE_`` after the name when it
came in late, ``-1``, ``-2`` before the suffix when a resubmitted file kept its name);
Moodle's assignment download names each student's folder (or file)
``Full Name_123456_assignsubmission_file_...``.  The grader's ids stay the file and folder
names; the LMS's user id and late mark travel beside them into the record, so a gradebook
for the LMS can be written back (``export.py``).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

System = Literal["canvas", "moodle"]
SYSTEMS: tuple[System, ...] = ("canvas", "moodle")

CANVAS = re.compile(
    r"^(?P<name>[^_]+)_(?:(?P<late>LATE)_)?(?P<user>\d+)_(?P<submission>\d+)_(?P<file>.+)$"
)
MOODLE = re.compile(
    r"^(?P<name>.+?)_(?P<user>\d+)_assignsubmission_(?P<plugin>[a-z]+)_(?P<file>.*)$"
)
RESUBMITTED = re.compile(r"^(?P<stem>.+)-(?P<attempt>\d+)(?P<suffix>\.[A-Za-z0-9]+)$")
PATTERNS: dict[System, re.Pattern[str]] = {"canvas": CANVAS, "moodle": MOODLE}


@dataclass(frozen=True)
class LmsMark:
    """Who the LMS says submitted a file, and whether it said late."""

    system: System
    user_id: str
    name: str
    late: bool = False
    submission_id: str | None = None
    # Canvas's ``-N`` before the suffix: the N-th resubmission of a file of the same name.
    attempt: int = 0
    # The file's name as the student uploaded it (Canvas), or what followed Moodle's prefix.
    original: str = ""

    def to_data(self) -> dict[str, Any]:
        return {
            "system": self.system,
            "user_id": self.user_id,
            "name": self.name,
            "late": self.late,
            "submission_id": self.submission_id,
            "attempt": self.attempt,
            "original": self.original,
        }


def from_data(data: Any) -> LmsMark | None:
    """The mark a record carries (``to_data``), or ``None`` when it has none."""
    if not isinstance(data, dict) or data.get("system") not in ("canvas", "moodle"):
        return None
    return LmsMark(
        data["system"],
        str(data.get("user_id", "")),
        str(data.get("name", "")),
        bool(data.get("late")),
        data.get("submission_id"),
        int(data.get("attempt") or 0),
        str(data.get("original", "")),
    )


class LmsSettingError(ValueError):
    """The assignment's ``[lms]`` table is wrong; the message says where."""


def assignment_lms(folder: Path) -> System | None:
    """The LMS the assignment in ``folder`` names (``[lms] system = "canvas"`` in its
    ``assignment.toml``), or ``None`` when it names none."""
    path = folder / "assignment.toml"
    table = tomllib.loads(path.read_text(encoding="utf-8")).get("lms") if path.is_file() else None
    if table is None:
        return None
    system = table.get("system") if isinstance(table, dict) else table
    if system not in SYSTEMS or (isinstance(table, dict) and set(table) != {"system"}):
        raise LmsSettingError(
            f"{path}: [lms] must be system = one of {', '.join(map(repr, SYSTEMS))}, not {table!r}"
        )
    return system


def systems_matching(name: str) -> tuple[System, ...]:
    """The LMSs whose download pattern ``name`` matches (two when it matches both)."""
    return tuple(system for system in SYSTEMS if PATTERNS[system].match(name))


def choose_system(names: Iterable[str]) -> System | None:
    """The LMS a command's names come from, when no one named it: the one LMS that the names
    matching a single pattern agree on.  A name matching both decides nothing; names of both
    LMSs, or none but ambiguous ones, decide nothing either (``--lms`` must say)."""
    votes = {found[0] for found in map(systems_matching, names) if len(found) == 1}
    return next(iter(votes)) if len(votes) == 1 else None


def lms_mark(name: str, system: System) -> LmsMark | None:
    """The mark ``system``'s download put in a file or folder ``name``, or ``None`` when its
    pattern does not match (another LMS's pattern is never tried)."""
    if system == "moodle":
        moodle = MOODLE.match(name)
        return (
            LmsMark("moodle", moodle["user"], moodle["name"], original=moodle["file"])
            if moodle
            else None
        )
    canvas = CANVAS.match(name)
    if canvas is None:
        return None
    original, attempt = canvas["file"], 0
    resubmitted = RESUBMITTED.match(original)
    if resubmitted:
        original, attempt = (
            resubmitted["stem"] + resubmitted["suffix"],
            int(resubmitted["attempt"]),
        )
    return LmsMark(
        "canvas",
        canvas["user"],
        canvas["name"],
        canvas["late"] is not None,
        canvas["submission"],
        attempt,
        original,
    )
