"""Grading needs no solution code: what a correct solution is lives in each assignment's
``expected.json``, compiled by ``grader build`` from the reference and kept up to date here."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from grader.checks import expected_file
from grader.course.assignment import AssignmentError, load_assignment
from grader.course.compiling import compiled_text, expected_from_reference
from grader.course.locations import BUILT_IN

NAMES = sorted(p.parent.name for p in BUILT_IN.glob("*/assignment.toml"))


@pytest.mark.parametrize("name", NAMES)
def test_the_committed_expected_data_is_compiled_from_the_reference(name: str) -> None:
    assignment = load_assignment(name)
    committed = (assignment.folder / expected_file.FILE_NAME).read_text(encoding="utf-8")
    assert compiled_text(assignment) == committed, f"stale: run `grader build {name}`"


@pytest.mark.parametrize("name", NAMES)
def test_grading_reads_what_the_reference_says(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assignment = load_assignment(name)
    from_reference = expected_from_reference(assignment)
    graded = load_assignment(name)
    # Without the reference importable at all, the same expectations come from the file alone.
    monkeypatch.setitem(sys.modules, "reference", None)
    assert graded.expected == from_reference


def test_a_missing_or_damaged_file_says_to_build(tmp_path: Path) -> None:
    shutil.copytree(BUILT_IN / "week8", tmp_path / "week8")
    (tmp_path / "week8" / expected_file.FILE_NAME).unlink()
    with pytest.raises(AssignmentError, match="expected.json is missing: run `grader build week8`"):
        load_assignment("week8", explicit=[tmp_path]).expected
    (tmp_path / "week8" / expected_file.FILE_NAME).write_text('{"format": 1}')
    with pytest.raises(AssignmentError, match="KeyError.*run `grader build week8`"):
        load_assignment("week8", explicit=[tmp_path]).expected
