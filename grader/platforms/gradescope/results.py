"""Gradescope's ``results.json`` for one submission (the autograder specification's fields).

Inside a Gradescope autograder the file goes to ``<root>/results/results.json``, the root
being ``$GRADER_GRADESCOPE_ROOT`` (default ``/autograder``: a test lays out its own).
Its format and visibility rules: https://gradescope-autograders.readthedocs.io/en/latest/specs/
(docs/gradescope.md).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from grader.atomic_write import write_atomic
from grader.messages import text
from grader.record_data import CheckData, RecordData

ROOT_VARIABLE = "GRADER_GRADESCOPE_ROOT"
DEFAULT_ROOT = "/autograder"


def _test(number: int, check: CheckData) -> dict[str, Any]:
    return {
        "name": str(check.get("title") or check.get("id")),
        "number": str(number),
        "score": float(check.get("points", 0.0)),
        "max_score": float(check.get("max_points", 0.0)),
        "status": "passed" if check.get("passed") else "failed",
        "output": str(check.get("message") or ""),
        "output_format": "text",
        # Gradescope's own names: it hides a hidden test from the student, or shows it after the due
        # date.
        "visibility": str(check.get("visibility", "visible")),
    }


def gradescope_results(record: RecordData) -> dict[str, Any]:
    """The specification's document: a test per judged check, with its points and visibility.

    Gradescope shows the top-level ``output`` to the student, so it holds only what every student
    may read: the score of the visible tests, how many tests are not shown, and the notes of visible
    checks.  When a test is not ``visible`` there is no top-level ``score`` (it would override the
    tests' total, hidden points included): Gradescope totals the tests itself and, its specification
    says, does not show a student the total while tests are hidden."""
    checks = record.get("checks", [])
    # A check skipped on this machine is worth nothing either way: it is said in the output, not
    # scored.
    judged = [c for c in checks if c.get("status") != "skipped"]
    tests = [_test(number, check) for number, check in enumerate(judged, start=1)]
    seen = [c for c in judged if c.get("visibility", "visible") == "visible"]
    unseen = [c for c in judged if c.get("visibility", "visible") != "visible"]
    lang = str(record.get("language") or "en")
    score = float(sum(c["points"] for c in seen))
    max_score = float(sum(c["max_points"] for c in seen))
    output = [f"{record.get('status')}: {score:g}/{max_score:g}"]
    if unseen:
        output.append(
            text(
                lang,
                "note",
                "not_shown",
                checks=len(unseen),
                points=f"{sum(float(c.get('max_points', 0.0)) for c in unseen):g}",
            )
        )
    output += [str(record["error"])] if record.get("error") else []
    output += [str(note) for note in record.get("notes", [])]
    output += [
        str(c.get("message"))
        for c in checks
        if c.get("status") == "skipped" and c.get("visibility", "visible") == "visible"
    ]
    results: dict[str, Any] = {} if unseen else {"score": float(record.get("score", 0.0))}
    return results | {
        "execution_time": int(round(float(record.get("duration_s", 0.0)))),
        "output": "\n".join(output),
        "output_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    }


def default_results_path(out: Path | None) -> Path:
    """Gradescope's own path when running there (its root's ``results/`` exists), else
    ``OUT/results.json``."""
    results = Path(os.environ.get(ROOT_VARIABLE) or DEFAULT_ROOT) / "results"
    if results.is_dir():
        return results / "results.json"
    return (out or Path(".")) / "results.json"


def write_gradescope(record: RecordData, out: Path | None) -> Path:
    """Write the results of ``record`` where Gradescope reads them (``default_results_path``)."""
    return write_atomic(
        default_results_path(out),
        json.dumps(gradescope_results(record), ensure_ascii=False, indent=2),
    )
