"""What to fix first: the checks that did not pass, each cause with what follows from it under it.

A record names each consequence's cause (``CheckResult.caused_by``, ``checks/dependencies.py``);
every writer leads with the cause and shows its consequences under it ("because of this, 3 more
checks fail"), with the sentences made here, in the report's language.  The terminal report, the
feedback page and a pytest item group a view's checks (``cascades``); JUnit, which reads JSON
records, groups their checks the same way (``ordered``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from grader.messages import text
from grader.report.view import CheckView

UNPASSED = ("failed", "not_run")
Item = TypeVar("Item")


@dataclass(frozen=True)
class Cascade:
    cause: CheckView
    # The checks that fail because the cause failed, in the record's order.
    consequences: tuple[CheckView, ...] = ()


def ordered(
    items: Sequence[Item], id_of: Callable[[Item], str], cause_of: Callable[[Item], str | None]
) -> list[tuple[Item, list[Item]]]:
    """``items`` grouped under their causes: each item that is no other's consequence, in order,
    with the items whose cause it is.  A consequence whose cause is not among ``items`` (one the
    reader may not see) stands alone."""
    ids = {id_of(item) for item in items}
    under: dict[str, list[Item]] = {}
    for item in items:
        cause = cause_of(item)
        if cause is not None and cause in ids and cause != id_of(item):
            under.setdefault(cause, []).append(item)
    return [
        (item, under.get(id_of(item), []))
        for item in items
        if not (cause_of(item) in ids and cause_of(item) != id_of(item))
    ]


def cascades(checks: Sequence[CheckView]) -> tuple[Cascade, ...]:
    """The checks of ``checks`` that did not pass, each cause first with its consequences."""
    unpassed = [c for c in checks if c.result.status in UNPASSED]
    return tuple(
        Cascade(cause, tuple(consequences))
        for cause, consequences in ordered(
            unpassed, lambda c: c.result.id, lambda c: c.result.caused_by
        )
    )


def causing(checks: Sequence[CheckView]) -> dict[str, CheckView]:
    """Each consequence's id -> the check view of its cause, among ``checks``."""
    return {
        consequence.result.id: cascade.cause
        for cascade in cascades(checks)
        for consequence in cascade.consequences
    }


def because(cause_title: str, lang: str) -> str:
    """A consequence's first line: what it follows from."""
    return text(lang, "cause", "because_of", cause=cause_title)


def because_short(cause_title: str, lang: str) -> str:
    """A consequence's mark in a table of checks."""
    return text(lang, "cause", "short", cause=cause_title)


def following(titles: Sequence[str], waived: bool, lang: str) -> str:
    """A cause's last line: how many checks fail because of it, which, and what that costs."""
    many = len(titles) > 1
    checks = text(lang, "cause", "separator").join(titles)
    cost = text(lang, "cause", ("waived" if waived else "counted") + ("_many" if many else ""))
    key = "following_many" if many else "following_one"
    return text(lang, "cause", key, count=len(titles), checks=checks, cost=cost)


def following_cascade(cascade: Cascade, lang: str) -> str | None:
    """``following`` for a cascade, or ``None`` when nothing follows from its cause."""
    if not cascade.consequences:
        return None
    return following(
        [c.title for c in cascade.consequences],
        any(c.result.waived for c in cascade.consequences),
        lang,
    )


def around(
    check: CheckView, checks: Sequence[CheckView], lang: str
) -> tuple[str | None, str | None]:
    """What a check's message is led by (its cause, for a consequence) and followed by (what fails
    because of it, for a cause), among ``checks``."""
    for cascade in cascades(checks):
        if cascade.cause.result.id == check.result.id:
            return None, following_cascade(cascade, lang)
        if any(c.result.id == check.result.id for c in cascade.consequences):
            return because(cascade.cause.title, lang), None
    return None, None
