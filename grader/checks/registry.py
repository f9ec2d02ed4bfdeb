"""Where checks register: ``@check("area.name")`` on a pure function
``(Facts, Expected) -> Outcome``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from grader.outcome import Outcome

AREAS = ("run", "data", "model", "compile", "fit", "results", "plots", "saving", "custom")
CheckFunction = Callable[..., Outcome]


@dataclass(frozen=True)
class Check:
    id: str
    area: str
    function: CheckFunction


REGISTRY: dict[str, Check] = {}


def check(check_id: str) -> Callable[[CheckFunction], CheckFunction]:
    """Register a check under ``area.name``."""

    def register(function: CheckFunction) -> CheckFunction:
        REGISTRY[check_id] = Check(check_id, check_id.split(".", 1)[0], function)
        return function

    return register
