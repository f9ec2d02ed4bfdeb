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
from dataclasses import dataclass
from typing import Any, Literal

System = Literal["canvas", "moodle"]

CANVAS = re.compile(
    r"^(?P<name>[^_]+)_(?:(?P<late>LATE)_)?(?P<user>\d+)_(?P<submission>\d+)_(?P<file>.+)$"
)
MOODLE = re.compile(
    r"^(?P<name>.+?)_(?P<user>\d+)_assignsubmission_(?P<plugin>[a-z]+)_(?P<file>.*)$"
)
RESUBMITTED = re.compile(r"^(?P<stem>.+)-(?P<attempt>\d+)(?P<suffix>\.[A-Za-z0-9]+)$")


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


def lms_mark(name: str) -> LmsMark | None:
    """The LMS's mark in a file or folder ``name``, or ``None`` when no LMS named it."""
    moodle = MOODLE.match(name)
    if moodle:
        return LmsMark("moodle", moodle["user"], moodle["name"], original=moodle["file"])
    canvas = CANVAS.match(name)
    if canvas:
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
    return None
