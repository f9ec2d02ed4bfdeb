"""What a check returns: an ``Outcome`` whose ``Message`` is a catalog key with parameters.

Plain data shared by the checks, the assignment's own checks and the record; rendering a
message into a sentence happens only in ``grader.messages``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

# "not_run": what it needs is missing because of another failure; "skipped": it cannot be
# judged on this machine (e.g. on generated data), worth no points either way.
CheckStatus = Literal["passed", "failed", "not_run", "skipped"]


@dataclass(frozen=True)
class Message:
    key: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Term:
    """A parameter that is a word of the catalog (``[term]`` in ``locales/``), not English text."""

    key: str


@dataclass(frozen=True)
class Outcome:
    status: CheckStatus
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
