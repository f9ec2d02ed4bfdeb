"""``grader new NAME`` writes an assignment that loads, with a working reference and custom
checks."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import nbformat
import pytest

from grader.course.assignment import load_assignment
from grader.course.scaffold import ScaffoldError, scaffold
from tests.conftest import grader_cli


@pytest.mark.slow
def test_grader_new_writes_an_assignment_that_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GRADER_ASSIGNMENTS", str(tmp_path / "assignments"))
    done = grader_cli("new", "dense-demo")
    assert done.returncode == 0, done.stdout + done.stderr
    said = " ".join(done.stdout.split())
    assert "created" in said and "reference/__init__.py" in said
    assignment = load_assignment("dense-demo")
    assert assignment.reference == "reference.dense_demo" and assignment.dataset == "mnist"
    assert {c.id: c.points for c in assignment.custom} == {
        "custom.flat_images": 1.0,
        "custom.one_hidden_layer": 2.0,
    }
    assert assignment.max_score == sum(assignment.points.values()) + 3
    nbformat.validate(
        nbformat.read(tmp_path / "assignments" / "dense-demo" / "starter.ipynb", as_version=4)
    )

    again = grader_cli("new", "dense-demo")
    assert again.returncode == 2 and "already exists" in " ".join(again.stdout.split())


@pytest.mark.slow
def test_the_reference_stub_is_a_working_reference(tmp_path: Path) -> None:
    made = scaffold("stub-check", tmp_path / "assignments")
    path = next(p for p in made.written if p.parent.name == "reference")
    spec = importlib.util.spec_from_file_location("stub_check", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.build_model().count_params() == module.PARAMS


@pytest.mark.parametrize("name", ["Week9", "9lives", "class", "a/b", ""])
def test_unusable_names_are_refused(name: str, tmp_path: Path) -> None:
    with pytest.raises(ScaffoldError):
        scaffold(name, tmp_path / "assignments")
