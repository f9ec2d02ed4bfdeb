"""``[scoring]`` in ``assignment.toml``: what a check that fails because an earlier one failed
costs (``checks/dependencies.py`` says which do).

``consequences = "counted"`` (the default): it loses its points like any failure, and the report
shows it under its cause.  ``"waived"``: it keeps its points; only the cause costs.
"""

from __future__ import annotations

from typing import Any, Literal, get_args

Consequences = Literal["counted", "waived"]
POLICIES: tuple[Consequences, ...] = get_args(Consequences)
KEY = "consequences"


class ScoringError(Exception):
    """``[scoring]`` is wrong; the message says where and what it accepts."""


def parse(table: Any, where: str) -> Consequences:
    """The policy ``[scoring]`` declares (``where`` names it in an error)."""
    if not isinstance(table, dict):
        raise ScoringError(f"{where}: must be a table")
    unknown = sorted(str(k) for k in table if k != KEY)
    value = table.get(KEY, "counted")
    if unknown or value not in POLICIES:
        raise ScoringError(
            f"{where}: expected {KEY} = {' or '.join(repr(p) for p in POLICIES)}, "
            f"not {unknown or repr(value)}"
        )
    policy: Consequences = value
    return policy
