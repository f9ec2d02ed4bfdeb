"""Who sees a check: ``visible``, ``hidden`` or ``after_due_date`` (Gradescope's names).

An assignment's ``[visibility]`` table names a visibility per check (built-in or custom;
unnamed: ``visible``).  A student's self-check runs only the visible checks and is told how
many checks and points are graded after submission (``Withheld``); an instructor's grading
runs them all, and the student's feedback page shows a hidden check's message only once
it is released.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal, cast

Visibility = Literal["visible", "hidden", "after_due_date"]
VISIBILITIES: tuple[Visibility, ...] = ("visible", "hidden", "after_due_date")


class VisibilityError(Exception):
    """The ``[visibility]`` table names an unknown check or visibility; the message says which."""


@dataclass(frozen=True)
class Withheld:
    """Checks graded after submission, that a self-check does not run: how many, for how many points."""

    checks: int = 0
    points: float = 0.0

    def plus(self, other: Withheld) -> Withheld:
        return Withheld(self.checks + other.checks, self.points + other.points)


def parse(table: Mapping[str, object], checks: Iterable[str], where: str) -> dict[str, Visibility]:
    """The ``[visibility]`` table as check id -> visibility, every name and value checked."""
    known = set(checks)
    unknown = sorted(str(k) for k in table if k not in known)
    if unknown:
        raise VisibilityError(f"{where}: [visibility] names checks the assignment does not have: {unknown}")
    wrong = {str(k): v for k, v in table.items() if v not in VISIBILITIES}
    if wrong:
        raise VisibilityError(f"{where}: [visibility] values must be one of {list(VISIBILITIES)}, not {wrong}")
    return {str(k): cast(Visibility, v) for k, v in table.items()}


def shown_to_student(visibility: Visibility, released: bool) -> bool:
    """Whether a student may read a check's result: visible ones always, ``after_due_date`` once released."""
    return visibility == "visible" or (visibility == "after_due_date" and released)
