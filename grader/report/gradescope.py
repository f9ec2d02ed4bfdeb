"""Gradescope's ``results.json`` for one submission (the autograder specification's fields).

Inside a Gradescope autograder the file goes to ``<root>/results/results.json``, the root
being ``$GRADER_GRADESCOPE_ROOT`` (default ``/autograder``: a test lays out its own).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from grader.files import write_atomic

ROOT_VARIABLE = "GRADER_GRADESCOPE_ROOT"
DEFAULT_ROOT = "/autograder"


def gradescope_results(record: dict[str, Any]) -> dict[str, Any]:
    tests = []
    # A check skipped on this machine is worth nothing either way: it is said in the output, not scored.
    judged = [c for c in record.get("checks", []) if c.get("status") != "skipped"]
    skipped = [str(c.get("message")) for c in record.get("checks", []) if c.get("status") == "skipped"]
    for number, check in enumerate(judged, start=1):
        tests.append({
            "name": str(check.get("title") or check.get("id")),
            "number": str(number),
            "score": float(check.get("points", 0.0)),
            "max_score": float(check.get("max_points", 0.0)),
            "status": "passed" if check.get("passed") else "failed",
            "output": str(check.get("message") or ""),
            "output_format": "text",
            # Gradescope's own names: it hides a hidden test from the student, or shows it after the due date.
            "visibility": str(check.get("visibility", "visible")),
        })
    output = [f"{record.get('status')}: {record.get('score'):g}/{record.get('max_score'):g}"]
    output += [str(record["error"])] if record.get("error") else []
    output += [str(note) for note in record.get("notes", [])] + skipped
    return {
        "score": float(record.get("score", 0.0)),
        "execution_time": int(round(float(record.get("duration_s", 0.0)))),
        "output": "\n".join(output),
        "output_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    }


def default_results_path(out: Path | None) -> Path:
    """Gradescope's own path when running there (its root's ``results/`` exists), else ``OUT/results.json``."""
    results = Path(os.environ.get(ROOT_VARIABLE) or DEFAULT_ROOT) / "results"
    if results.is_dir():
        return results / "results.json"
    return (out or Path(".")) / "results.json"


def write_gradescope(record: dict[str, Any], out: Path | None) -> Path:
    """Write the results of ``record`` where Gradescope reads them (``default_results_path``)."""
    return write_atomic(default_results_path(out), json.dumps(gradescope_results(record), ensure_ascii=False, indent=2))
