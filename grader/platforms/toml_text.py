"""TOML text for the flat descriptions the grader writes (``assignment.toml`` of a pack).

The standard library reads TOML but does not write it; an assignment's description is only
top-level scalars and tables of scalars (or lists of scalars), which this writes, every key quoted.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any


def _value(value: Any, where: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_value(v, where) for v in value) + "]"
    raise TypeError(
        f"{where}: only strings, numbers, booleans and lists of them are written, not "
        f"{type(value).__name__}"
    )


def dumps(data: Mapping[str, Any], header: str = "") -> str:
    """``data`` (scalars, then tables of scalars) as TOML text, after the comment lines
    ``header``."""
    lines = [f"# {line}" for line in header.splitlines()]
    lines += [
        f"{json.dumps(key)} = {_value(value, key)}"
        for key, value in data.items()
        if not isinstance(value, Mapping)
    ]
    for name, table in data.items():
        if isinstance(table, Mapping):
            lines += ["", f"[{json.dumps(name)}]"]
            lines += [
                f"{json.dumps(str(k))} = {_value(v, f'{name}.{k}')}" for k, v in table.items()
            ]
    return "\n".join(lines) + "\n"
