"""Records as ``grader grade`` writes them, made without running a notebook: what the
after-grading tests (overrides, late penalties, exports) start from."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

CHECKS = (("run.cells", 1.0), ("model.layers", 4.0), ("fit.epochs", 5.0))


def record(
    id: str,
    points: dict[str, float] | None = None,
    *,
    lms: dict[str, Any] | None = None,
    status: str = "graded",
    language: str = "en",
) -> dict[str, Any]:
    """A record of week8 with three checks; ``points`` by check (default: full marks)."""
    given = {check: points.get(check, maximum) if points else maximum for check, maximum in CHECKS}
    data: dict[str, Any] = {
        "id": id,
        "assignment": "week8",
        "submission": f"{id}.ipynb",
        "status": status,
        "score": sum(given.values()),
        "max_score": sum(m for _, m in CHECKS),
        "duration_s": 1.0,
        "language": language,
        "checks": [
            {"id": c, "points": given[c], "max_points": m, "passed": given[c] == m}
            for c, m in CHECKS
        ],
    }
    if lms is not None:
        data["lms"] = lms
    return data


def canvas(user: str, name: str, *, late: bool = False, attempt: int = 0) -> dict[str, Any]:
    return {
        "system": "canvas",
        "user_id": user,
        "name": name,
        "late": late,
        "submission_id": "9" + user,
        "attempt": attempt,
        "original": "week8.ipynb",
    }


def write_records(out: Path, *records: dict[str, Any]) -> Path:
    """``out/<id>.json`` for each record, and a feedback page with the markers the grader writes."""
    (out / "feedback").mkdir(parents=True, exist_ok=True)
    for data in records:
        (out / f"{data['id']}.json").write_text(json.dumps(data), encoding="utf-8")
        (out / "feedback" / f"{data['id']}.html").write_text(
            "<html><body><header>h</header><!--adjustments--><!--/adjustments--><p>checks</p></body></html>"
        )
    return out


def read(out: Path, id: str) -> dict[str, Any]:
    return json.loads((out / f"{id}.json").read_text(encoding="utf-8"))
