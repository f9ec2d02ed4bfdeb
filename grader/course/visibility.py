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
    """Checks graded after submission, that a self-check does not run: how many, for how many
    points."""

    checks: int = 0
    points: float = 0.0

    def plus(self, other: Withheld) -> Withheld:
        return Withheld(self.checks + other.checks, self.points + other.points)


def parse(table: Mapping[str, object], checks: Iterable[str], where: str) -> dict[str, Visibility]:
    """The ``[visibility]`` table as check id -> visibility, every name and value checked."""
    known = set(checks)
    unknown = sorted(str(k) for k in table if k not in known)
    if unknown:
        raise VisibilityError(
            f"{where}: [visibility] names checks the assignment does not have: {unknown}"
        )
    wrong = {str(k): v for k, v in table.items() if v not in VISIBILITIES}
    if wrong:
        raise VisibilityError(
            f"{where}: [visibility] values must be one of {list(VISIBILITIES)}, not {wrong}"
        )
    return {str(k): cast(Visibility, v) for k, v in table.items()}


def shown_to_student(visibility: Visibility, released: bool) -> bool:
    """Whether a student may read a check's result: visible ones always, ``after_due_date`` once
    released."""
    return visibility == "visible" or (visibility == "after_due_date" and released)


# What the student's feedback page shows beside their own work, and the checks whose expected
# values each part gives away: the expected model (its layers, output shapes and parameters),
# the reference curves (the budget's batch size and epochs, the history keys, the accuracy a
# correct model reaches, what the plots should show) and the grader's measured accuracy.
PARTS: dict[str, tuple[str, ...]] = {
    "model": ("model.layers", "model.output_shapes", "model.params"),
    "curves": (
        "plots.loss",
        "plots.accuracy",
        "fit.batch_size",
        "fit.epochs",
        "fit.history",
        "fit.validation",
        "results.accuracy",
    ),
    "measured": ("results.accuracy",),
}


@dataclass(frozen=True)
class Disclosure:
    """The parts of ``PARTS`` a student may not see: each gives away a check they may not read."""

    withheld: frozenset[str] = frozenset()

    def shows(self, part: str) -> bool:
        return part not in self.withheld


def disclosure(
    visibility: Mapping[str, Visibility], released: bool, withheld: Iterable[str] = ()
) -> Disclosure:
    """What the student may see of the expectation: not the parts that give away a check they may
    not read, nor the parts ``withheld`` already (those of the checks a self-check left out)."""
    unseen = {check for check, seen in visibility.items() if not shown_to_student(seen, released)}
    return Disclosure(
        frozenset(part for part, checks in PARTS.items() if unseen & set(checks))
        | frozenset(withheld)
    )
