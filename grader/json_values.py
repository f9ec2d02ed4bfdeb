"""Values as JSON data, by one rule for both sides: the kernel's compile events, the grader's records.

Strings, numbers, booleans and ``None`` stay as they are, lists and tuples become lists, a
dict's keys become strings; what is left (an optimizer object, a message parameter the
catalog holds as a ``Path``) is the caller's to say.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def as_json(value: Any, other: Callable[[Any], Any]) -> Any:
    """``value`` as JSON data; each value that is not JSON already (at any depth) becomes ``other(value)``."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (list, tuple)):
        return [as_json(v, other) for v in value]
    if isinstance(value, dict):
        return {str(k): as_json(v, other) for k, v in value.items()}
    return other(value)
