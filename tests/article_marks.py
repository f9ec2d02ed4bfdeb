"""The seed articles' transcriptions (``tests/articles/``) and what grading one must give.

Each assignment's article rides along in the batch its own test module grades anyway
(``test_assignments``, ``test_save_load``, ``test_articles`` for week 8), so it costs one kernel
run and shares the solution's measurement.
"""

from __future__ import annotations

from pathlib import Path

from tests.conftest import LECTURE, ROOT

FOLDER = ROOT / "tests" / "articles"
# What each assignment asks beyond its article: not graded by default, named in a note.
EXTRAS = {
    "mlp": {"plots.loss", "plots.accuracy"},
    "mnist-cnn": {"plots.accuracy", "plots.feature_maps_layers"},
}


def article(name: str) -> Path:
    """The article of assignment ``name``: week 8's is its lecture notebook."""
    return LECTURE if name == "week8" else FOLDER / f"{name}.ipynb"


def assert_full_marks(name: str, record: dict) -> None:
    """Every check that is not an extra passes; only accuracy on generated data is skipped;
    the extras are not graded, and the report says so."""
    assert record["status"] == "graded", record.get("error")
    checks = {c["id"]: c for c in record["checks"]}
    failed = {
        i: c["message"] for i, c in checks.items() if c["status"] not in ("passed", "skipped")
    }
    assert not failed
    assert record["score"] == record["max_score"] > 0
    assert {i for i, c in checks.items() if c["status"] == "skipped"} <= (
        {"results.accuracy"} if record["synthetic_data"] else set()
    )
    assert not set(checks) & EXTRAS.get(name, set())
    named = any(note.startswith("Not graded in this course: ") for note in record["notes"])
    assert named == (name in EXTRAS), record["notes"]
