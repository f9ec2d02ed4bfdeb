"""Checks: small pure functions from ``Facts`` and ``Expected`` to an ``Outcome``.

A check never prints, renders or touches files.  A failed outcome carries a ``Message``:
a catalog key plus parameters, rendered later in the student's language as what was
expected, what was found and how to fix it (see ``grader.messages``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

AREAS = ("run", "data", "model", "compile", "fit", "results", "plots", "saving", "custom")


@dataclass(frozen=True)
class Message:
    key: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    # "passed", "failed", "not_run" (what it needs is missing because of another failure), or
    # "skipped" (it cannot be judged on this machine, e.g. on generated data: worth no points)
    status: str
    message: Message | None = None

    @property
    def passed(self) -> bool:
        return self.status == "passed"


PASSED = Outcome("passed")


def failed(key: str, **params: Any) -> Outcome:
    return Outcome("failed", Message(key, params))


def not_run(key: str, **params: Any) -> Outcome:
    return Outcome("not_run", Message(key, params))


def skipped(key: str, **params: Any) -> Outcome:
    return Outcome("skipped", Message(key, params))


@dataclass(frozen=True)
class Check:
    id: str
    area: str
    function: Callable[..., Outcome]


REGISTRY: dict[str, Check] = {}


def check(check_id: str) -> Callable[[Callable[..., Outcome]], Callable[..., Outcome]]:
    """Register a check under ``area.name``."""
    def register(function: Callable[..., Outcome]) -> Callable[..., Outcome]:
        REGISTRY[check_id] = Check(check_id, check_id.split(".", 1)[0], function)
        return function
    return register


def load_all() -> dict[str, Check]:
    from grader.checks import data, model, plots, predictions, results, run, saving, settings, visuals  # noqa: F401 - registration

    return REGISTRY
