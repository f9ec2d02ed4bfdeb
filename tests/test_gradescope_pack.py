"""``grader pack NAME --gradescope FILE.zip``: setup.sh and run_autograder at the zip's root, the
wheel, the assignment with its hidden checks and no solution; run_autograder, unpacked into a
folder laid out as Gradescope lays out /autograder, writes a valid results.json."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import jsonschema
import pytest

from grader.assignment import load_assignment
from grader.gradescope_pack import pack_for_gradescope
from grader.student_pack import PackError
from tests.conftest import WEEK8, cli_env, grader_cli, one_thread
from tests.test_batch import GRADESCOPE_SCHEMA
from tests.test_visibility import course_with_hidden


def fake_wheel(folder: Path, *extra: str) -> Path:
    """A file shaped as the grader's wheel (the simulated root uses the ``grader`` on PATH instead)."""
    wheel = folder / "grader-0.1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for name in ("grader/__init__.py", *extra):
            archive.writestr(name, "")
    return wheel


@pytest.fixture(scope="module")
def autograder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("gradescope")
    made = grader_cli("pack", "week8", "--assignments", str(course_with_hidden(tmp)), "--gradescope", str(tmp / "week8.zip"),
                      "--wheel", str(fake_wheel(tmp)), "--lang", "en")
    assert made.returncode == 0, made.stdout + made.stderr
    return tmp / "week8.zip"


def test_the_zip_holds_the_scripts_the_wheel_and_the_hidden_checks_but_no_solution(autograder: Path) -> None:
    archive = zipfile.ZipFile(autograder)
    names = sorted(archive.namelist())
    assert names == ["assignments/week8/assignment.toml", "assignments/week8/expected.json",
                     "assignments/week8/reference_curves.json", "assignments/week8/test_hidden.py",
                     "grader-0.1.0-py3-none-any.whl", "run_autograder", "setup.sh"]
    for script in ("setup.sh", "run_autograder"):
        assert stat.S_IMODE(archive.getinfo(script).external_attr >> 16) == 0o755
    setup = archive.read("setup.sh").decode()
    assert "pip install \"$SOURCE\"/grader-0.1.0-py3-none-any.whl" in setup and "grader data mnist" in setup
    assert "--instructor" in archive.read("run_autograder").decode()


def test_the_scripts_are_valid_bash(autograder: Path, tmp_path: Path) -> None:
    zipfile.ZipFile(autograder).extractall(tmp_path)
    for script in ("setup.sh", "run_autograder"):
        checked = subprocess.run(["bash", "-n", str(tmp_path / script)], capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr


def test_a_wheel_holding_the_solution_is_refused(tmp_path: Path) -> None:
    wheel = fake_wheel(tmp_path, "grader/assignments/week8/solution.ipynb")
    with pytest.raises(PackError, match="holds solution files"):
        pack_for_gradescope(load_assignment("week8"), tmp_path / "x.zip", wheel, "en")


def test_the_dataset_archive_travels_in_the_zip(tmp_path: Path) -> None:
    archive = tmp_path / "cifar-10-python.tar.gz"
    archive.write_bytes(b"data")
    made = pack_for_gradescope(load_assignment("cifar10"), tmp_path / "c.zip", fake_wheel(tmp_path), "en", archive)
    names = zipfile.ZipFile(made).namelist()
    assert "data/cifar-10-python.tar.gz" in names
    assert 'grader data cifar10 --from "$SOURCE"/data/cifar-10-python.tar.gz' in zipfile.ZipFile(made).read("setup.sh").decode()


@pytest.mark.slow
def test_run_autograder_grades_in_a_simulated_gradescope_root(autograder: Path, tmp_path: Path) -> None:
    root = tmp_path / "autograder"
    zipfile.ZipFile(autograder).extractall(root / "source")
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    (root / "run_autograder").chmod(0o755)
    (root / "submission").mkdir()
    (root / "results").mkdir()
    shutil.copy(WEEK8 / "examples" / "student.ipynb", root / "submission" / "alice.ipynb")
    (root / "submission_metadata.json").write_text(json.dumps({"id": 1, "created_at": "2026-01-01T00:00:00Z"}))
    bin_folder = tmp_path / "bin"
    bin_folder.mkdir()
    (bin_folder / "grader").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m grader "$@"\n')
    (bin_folder / "grader").chmod(0o755)
    env = cli_env(**one_thread(), GRADER_GRADESCOPE_ROOT=str(root))
    env["PATH"] = f"{bin_folder}{os.pathsep}{env.get('PATH', '')}"
    done = subprocess.run([str(root / "run_autograder")], capture_output=True, text=True, env=env, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    results = json.loads((root / "results" / "results.json").read_text())
    jsonschema.validate(results, GRADESCOPE_SCHEMA)
    assert results["output"].startswith("graded:"), results["output"]
    assert results["score"] == pytest.approx(sum(t["score"] for t in results["tests"]))
    visibility = {t["name"]: t["visibility"] for t in results["tests"]}
    assert visibility["a hidden custom check"] == "hidden"
    assert sorted(visibility.values()).count("hidden") == 2 and list(visibility.values()).count("after_due_date") == 1
