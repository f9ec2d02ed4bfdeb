"""Where checks register: ``@check("area.name", after=...)`` on a pure function
``(Facts, Expected) -> Outcome``.

``after`` declares what the check's verdict rests on: the checks that judge its inputs, the
likeliest cause first (``dependencies.py`` decides from them which failure follows from which).
A tuple applies to every failure of the check; a mapping names, per failure (the message key the
check returns), the checks that explain it, and a failure it does not name is the check's own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from grader.outcome import Outcome

AREAS = ("run", "data", "method", "model", "compile", "fit", "results", "plots", "saving", "custom")
CheckFunction = Callable[..., Outcome]
# The key of ``Check.after`` that stands for every failure of the check.
ANY = "*"
After = Sequence[str] | Mapping[str, Sequence[str]]


@dataclass(frozen=True)
class Check:
    id: str
    area: str
    function: CheckFunction
    # Failure (message key, or ``ANY``) -> the checks that explain it, likeliest first.
    after: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


REGISTRY: dict[str, Check] = {}


def _table(after: After) -> dict[str, tuple[str, ...]]:
    if isinstance(after, Mapping):
        return {str(key): tuple(ids) for key, ids in after.items()}
    return {ANY: tuple(after)} if after else {}


def check(check_id: str, after: After = ()) -> Callable[[CheckFunction], CheckFunction]:
    """Register a check under ``area.name``, resting on the checks ``after`` names."""

    def register(function: CheckFunction) -> CheckFunction:
        REGISTRY[check_id] = Check(check_id, check_id.split(".", 1)[0], function, _table(after))
        return function

    return register
