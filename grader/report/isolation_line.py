"""One sentence on the isolation that held, for a record or a whole batch (from JSON data)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from grader.messages import text
from grader.record_data import RecordData


def _layers(data: Mapping[str, Any], lang: str) -> str:
    return "; ".join(f"{text(lang, 'layer', name)} ({layer['by']})" for name, layer in data.items())


def _missing(data: Mapping[str, Any]) -> list[str]:
    return [name for name, layer in data.items() if not layer.get("held")]


def record_line(data: Mapping[str, Any] | None, lang: str) -> tuple[str, bool] | None:
    """The sentence for one record's ``isolation`` and whether every layer held; ``None`` when
    the student's code never ran."""
    if not data:
        return None
    missing = _missing(data)
    if missing:
        return text(
            lang,
            "ui",
            "isolation_missing",
            missing=", ".join(text(lang, "layer", m) for m in missing),
        ), False
    return text(lang, "ui", "isolation_held", layers=_layers(data, lang)), True


def batch_line(records: Sequence[RecordData], lang: str) -> tuple[str, bool] | None:
    """The sentence for a batch: the layers of the first run if all held everywhere, else
    how many submissions ran with a layer missing, and which."""
    ran = [r["isolation"] for r in records if isinstance(r.get("isolation"), Mapping)]
    if not ran:
        return None
    short = [r for r in ran if _missing(r)]
    if not short:
        return text(lang, "ui", "isolation_held", layers=_layers(ran[0], lang)), True
    missing = sorted({m for r in short for m in _missing(r)})
    return text(
        lang,
        "summary",
        "isolation_missing",
        count=len(short),
        total=len(ran),
        missing=", ".join(text(lang, "layer", m) for m in missing),
    ), False
