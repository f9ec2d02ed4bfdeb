"""A record as the JSON document instructors and CI consume (``DIR/<submission>.json``)."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from grader.engine import Record
from grader.hints import hint_for
from grader.messages import check_title, one_line, text


def to_data(record: Record, lang: str) -> dict[str, Any]:
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
        }
        for c in record.checks
    ]
    data: dict[str, Any] = {
        "assignment": record.assignment,
        "submission": record.submission,
        "status": record.status,
        "score": record.score,
        "max_score": record.max_score,
        "duration_s": record.duration_s,
        "language": lang,
        "checks": checks,
        "notes": [text(lang, "note", n.key.split(".", 1)[1], **n.params) for n in record.notes],
    }
    if record.error is not None:
        data["error"] = one_line(record.error, lang)
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
    if record.grader_traceback:
        data["grader_traceback"] = record.grader_traceback
    return data


def write(record: Record, lang: str, directory: Path) -> Path:
    """Write ``<submission>.json`` atomically (a reader never sees half a file)."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"{Path(record.submission).stem}.json"
    with tempfile.NamedTemporaryFile("w", dir=directory, suffix=".json.tmp", delete=False, encoding="utf-8") as tmp:
        json.dump(to_data(record, lang), tmp, ensure_ascii=False, indent=2)
    os.replace(tmp.name, target)
    return target
