"""Which failure follows from which: the cause of each failed check, from what the checks declare.

A check that did not pass (failed, or not run) is a *consequence* when one of the checks it rests
on for that very failure (``@check(..., after=...)``, ``registry.py``) did not pass either, or when
an earlier built-in check reported the very same finding (the same message and parameters: "no
``fit`` call" said by the batch size, the epochs and the validation checks is one fact).  Nothing
else makes a failure a consequence: two failures that merely occur together stay two causes, a
failure the check does not declare as explained by another is its own, and a dependency absent from
the grading explains nothing.  Its cause is the first failure of the chain, the one to fix first.

Pure: plain verdicts in, ``{check id: cause id}`` out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from grader.checks.registry import ANY, Check
from grader.outcome import CheckStatus

# Check id -> failure (message key, or ``ANY``) -> the checks that explain it.
Declared = Mapping[str, Mapping[str, tuple[str, ...]]]
UNPASSED: tuple[CheckStatus, ...] = ("failed", "not_run")


@dataclass(frozen=True)
class Verdict:
    """A check's result as the resolution sees it."""

    id: str
    status: CheckStatus
    # The message key and parameters of its outcome: the finding.
    key: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    # A built-in check (an assignment's own checks declare nothing and share no findings).
    builtin: bool = True

    @property
    def unpassed(self) -> bool:
        return self.status in UNPASSED


def declared(registry: Mapping[str, Check]) -> dict[str, Mapping[str, tuple[str, ...]]]:
    """What every registered check declares it rests on."""
    return {check_id: check.after for check_id, check in registry.items() if check.after}


def explaining(check_id: str, key: str | None, after: Declared) -> tuple[str, ...]:
    """The checks that explain the failure ``key`` of ``check_id``, likeliest first."""
    table = after.get(check_id, {})
    if key is not None and key in table:
        return table[key]
    return table.get(ANY, ())


def _link(
    verdict: Verdict, earlier: Sequence[Verdict], by_id: Mapping[str, Verdict], after: Declared
) -> str | None:
    """The failure that ``verdict``'s failure follows from directly, if any."""
    for dependency in explaining(verdict.id, verdict.key, after):
        found = by_id.get(dependency)
        if found is not None and found.id != verdict.id and found.unpassed:
            return found.id
    if verdict.builtin and verdict.key is not None:
        for other in earlier:
            same = other.key == verdict.key and dict(other.params) == dict(verdict.params)
            if other.builtin and other.unpassed and same:
                return other.id
    return None


def causes(verdicts: Sequence[Verdict], after: Declared) -> dict[str, str]:
    """Each consequence's id -> its cause's id (the first failure of its chain).

    A chain that turns back on itself (possible only when an assignment orders a check before
    one it rests on) ends at its earliest check, which is then a cause."""
    by_id = {v.id: v for v in verdicts}
    order = {v.id: index for index, v in enumerate(verdicts)}
    links = {
        v.id: link
        for index, v in enumerate(verdicts)
        if v.unpassed and (link := _link(v, verdicts[:index], by_id, after)) is not None
    }
    result: dict[str, str] = {}
    for check_id in links:
        chain = [check_id]
        while chain[-1] in links and links[chain[-1]] not in chain:
            chain.append(links[chain[-1]])
        root = chain[-1]
        if root in links:  # a loop: it ends at its earliest check
            loop = chain[chain.index(links[root]) :]
            root = min(loop, key=order.__getitem__)
        if root != check_id:
            result[check_id] = root
    return result
