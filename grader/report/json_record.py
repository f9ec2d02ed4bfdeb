"""A record as the JSON document instructors and CI consume (``DIR/<submission>.json``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import grader
from grader.engine import Record
from grader.hints import hint_for
from grader.messages import check_title, one_line, text
from grader.report.files import write_atomic


def _plain(value: Any) -> Any:
    """Message parameters as JSON values (tuples become lists, anything else its text)."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return str(value)


def to_data(record: Record, lang: str, student: str | None = None, fingerprint: str | None = None) -> dict[str, Any]:
    """The record as plain JSON data; ``student`` is the id (default: the file's stem)."""
    checks = [
        {
            "id": c.id,
            "title": check_title(c, lang),
            "area": c.area,
            "status": c.status,
            "passed": c.passed,
            "points": c.points,
            "max_points": c.max_points,
            "message": one_line(c.message, lang) if c.message and not c.passed else "",
            # The catalog key and its parameters: what the class summary groups mistakes by.
            "key": c.message.key if c.message and not c.passed else None,
            "params": _plain(c.message.params) if c.message and not c.passed else {},
        }
        for c in record.checks
    ]
    data: dict[str, Any] = {
        "id": student or Path(record.submission).stem,
        "assignment": record.assignment,
        "submission": record.submission,
        "status": record.status,
        "score": record.score,
        "max_score": record.max_score,
        "duration_s": record.duration_s,
        "timings": record.timings,
        "submission_sha256": fingerprint,
        "grader_version": grader.__version__,
        "language": lang,
        "checks": checks,
        "notes": [text(lang, "note", n.key.split(".", 1)[1], **n.params) for n in record.notes],
    }
    if record.error is not None:
        data["error"] = one_line(record.error, lang)
        data["error_key"] = record.error.key
        data["error_params"] = _plain(record.error.params)
    facts = record.facts
    if facts is not None:
        data["cells"] = [
            {
                "cell": c.number,
                "outcome": c.outcome,
                "duration_s": round(c.duration_s, 2),
                "error": f"{c.error.name}: {c.error.value}" if c.error else None,
                "hint": text(lang, "hint", h) if (h := hint_for(c)) else None,
            }
            for c in facts.execution.cells
        ]
        if facts.training is not None:
            data["measured"] = {
                "accuracy": facts.training.accuracy,
                "samples": facts.training.samples,
                "epochs": facts.training.epochs,
                "test_samples": facts.training.test_samples,
                "error": facts.training.error,
            }
        data["synthetic_data"] = facts.synthetic_data
    if record.isolation is not None:
        data["isolation"] = record.isolation.to_data()
    if record.grader_traceback:
        data["grader_traceback"] = record.grader_traceback
    return data


def write(data: dict[str, Any], directory: Path) -> Path:
    """Write ``<directory>/<id>.json`` atomically (a reader never sees half a file)."""
    return write_atomic(directory / f"{data['id']}.json", json.dumps(data, ensure_ascii=False, indent=2))


def read(path: Path) -> dict[str, Any] | None:
    """A record written by ``write``; ``None`` when it is missing or not one of ours."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("id"), str) and "status" in data else None
