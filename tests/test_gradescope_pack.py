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

from grader.course.assignment import load_assignment
from grader.platforms.gradescope.pack import pack_for_gradescope
from grader.platforms.student_pack import PackError
from tests.conftest import WEEK8, cli_env, grader_cli
from tests.test_batch import GRADESCOPE_SCHEMA
from tests.test_visibility import course_with_hidden


def fake_wheel(folder: Path, *extra: str) -> Path:
    """A file shaped as the grader's wheel (the simulated root uses the ``grader`` on PATH
    instead)."""
    wheel = folder / "grader-0.1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for name in ("grader/__init__.py", *extra):
            archive.writestr(name, "")
    return wheel


@pytest.fixture(scope="module")
def autograder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("gradescope")
    made = grader_cli(
        "pack",
        "week8",
        "--assignments",
        str(course_with_hidden(tmp)),
        "--gradescope",
        str(tmp / "week8.zip"),
        "--wheel",
        str(fake_wheel(tmp)),
        "--lang",
        "en",
    )
    assert made.returncode == 0, made.stdout + made.stderr
    return tmp / "week8.zip"


def test_the_zip_holds_the_scripts_the_wheel_and_the_hidden_checks_but_no_solution(
    autograder: Path,
) -> None:
    archive = zipfile.ZipFile(autograder)
    names = sorted(archive.namelist())
    assert names == [
        "assignments/week8/assignment.toml",
        "assignments/week8/expected.json",
        "assignments/week8/reference_curves.json",
        "assignments/week8/test_hidden.py",
        "grader-0.1.0-py3-none-any.whl",
        "run_autograder",
        "setup.sh",
    ]
    for script in ("setup.sh", "run_autograder"):
        assert stat.S_IMODE(archive.getinfo(script).external_attr >> 16) == 0o755
    setup = archive.read("setup.sh").decode()
    assert (
        'pip install "$SOURCE"/grader-0.1.0-py3-none-any.whl' in setup
        and "grader data mnist" in setup
    )
    assert "--instructor" in archive.read("run_autograder").decode()


def test_the_scripts_are_valid_bash(autograder: Path, tmp_path: Path) -> None:
    zipfile.ZipFile(autograder).extractall(tmp_path)
    for script in ("setup.sh", "run_autograder"):
        checked = subprocess.run(
            ["bash", "-n", str(tmp_path / script)], capture_output=True, text=True
        )
        assert checked.returncode == 0, checked.stderr


FAKE_PYTHON = """#!/bin/sh
echo "$(basename "$0") $*" >> "$CALLS"
if [ "$1" = "-c" ]; then exit "${PYTHON_IS_OLD:-0}"; fi
if [ "$1" = "-m" ] && [ "$2" = "venv" ]; then
    mkdir -p "$3/bin"
    for tool in pip grader; do
        printf '#!/bin/sh\\necho "%s $*" >> "$CALLS"\\n' "$tool" > "$3/bin/$tool"
        chmod +x "$3/bin/$tool"
    done
fi
"""
FAKE_RECORDER = '#!/bin/sh\necho "$(basename "$0") $*" >> "$CALLS"\n'


def run_with_stand_ins(script: Path, tmp_path: Path, **env: str) -> list[str]:
    """Run ``script`` with stand-ins for ``apt-get`` and ``python3``/``python3.11`` first on
    ``PATH`` (the environment they make holds stand-ins for ``pip`` and ``grader``): what it asked
    of each, in order."""
    bin_folder = tmp_path / "stand-ins"
    bin_folder.mkdir(exist_ok=True)
    for name, body in (
        ("apt-get", FAKE_RECORDER),
        ("python3", FAKE_PYTHON),
        ("python3.11", FAKE_PYTHON),
    ):
        (bin_folder / name).write_text(body)
        (bin_folder / name).chmod(0o755)
    calls = tmp_path / "calls.txt"
    calls.write_text("")
    done = subprocess.run(
        ["bash", str(script)],
        capture_output=True,
        text=True,
        timeout=60,
        env={
            "PATH": f"{bin_folder}{os.pathsep}/usr/bin{os.pathsep}/bin",
            "CALLS": str(calls),
            "GRADER_PREFIX": str(tmp_path / "opt-grader"),
            **env,
        },
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return calls.read_text().splitlines()


@pytest.mark.parametrize("old", [False, True], ids=["python3.11+", "older python3"])
def test_setup_sh_makes_the_environment_installs_the_wheel_and_provisions_the_data(
    autograder: Path, tmp_path: Path, old: bool
) -> None:
    """What docs/gradescope.md promises of setup.sh: a Python 3.11+ environment (python3.11 from apt
    where the image's python3 is older), the wheel installed into it, the dataset provisioned."""
    source = tmp_path / "source"
    zipfile.ZipFile(autograder).extractall(source)
    calls = run_with_stand_ins(source / "setup.sh", tmp_path, PYTHON_IS_OLD="1" if old else "0")
    python, packages = (
        ("python3.11", "python3.11 python3.11-venv") if old else ("python3", "python3-venv")
    )
    assert calls == [
        "python3 -c import sys; sys.exit(sys.version_info < (3, 11))",
        "apt-get update",
        f"apt-get install -y {packages}",
        f"{python} -m venv {tmp_path / 'opt-grader'}",
        f"pip install {source}/grader-0.1.0-py3-none-any.whl",
        "grader data mnist",
    ]
    # run_autograder then uses the grader setup.sh installed, on Gradescope's layout.
    root = tmp_path / "autograder"
    (root / "submission").mkdir(parents=True)
    calls = run_with_stand_ins(
        source / "run_autograder", tmp_path, GRADER_GRADESCOPE_ROOT=str(root)
    )
    assert calls == [
        f"grader grade --instructor --assignment week8 --assignments {root}/source/assignments "
        "--lang en "
        f"--format gradescope --out {root}/grading {root}/submission"
    ]


def test_setup_sh_provisions_a_dataset_from_the_archive_in_the_zip(tmp_path: Path) -> None:
    archive = tmp_path / "cifar-10-python.tar.gz"
    archive.write_bytes(b"data")
    made = pack_for_gradescope(
        load_assignment("cifar10"), tmp_path / "c.zip", fake_wheel(tmp_path), "en", archive
    )
    zipfile.ZipFile(made).extractall(tmp_path / "source")
    calls = run_with_stand_ins(tmp_path / "source" / "setup.sh", tmp_path)
    assert (
        calls[-1] == f"grader data cifar10 --from {tmp_path / 'source'}/data/cifar-10-python.tar.gz"
    )


def test_a_wheel_holding_the_solution_is_refused(tmp_path: Path) -> None:
    wheel = fake_wheel(tmp_path, "grader/assignments/week8/solution.ipynb")
    with pytest.raises(PackError, match="holds solution files"):
        pack_for_gradescope(load_assignment("week8"), tmp_path / "x.zip", wheel, "en")


def test_the_dataset_archive_travels_in_the_zip(tmp_path: Path) -> None:
    archive = tmp_path / "cifar-10-python.tar.gz"
    archive.write_bytes(b"data")
    made = pack_for_gradescope(
        load_assignment("cifar10"), tmp_path / "c.zip", fake_wheel(tmp_path), "en", archive
    )
    names = zipfile.ZipFile(made).namelist()
    assert "data/cifar-10-python.tar.gz" in names
    assert (
        'grader data cifar10 --from "$SOURCE"/data/cifar-10-python.tar.gz'
        in zipfile.ZipFile(made).read("setup.sh").decode()
    )


@pytest.mark.slow
def test_run_autograder_grades_in_a_simulated_gradescope_root(
    autograder: Path, tmp_path: Path
) -> None:
    root = tmp_path / "autograder"
    zipfile.ZipFile(autograder).extractall(root / "source")
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    (root / "run_autograder").chmod(0o755)
    (root / "submission").mkdir()
    (root / "results").mkdir()
    shutil.copy(WEEK8 / "examples" / "student.ipynb", root / "submission" / "alice.ipynb")
    (root / "submission_metadata.json").write_text(
        json.dumps({"id": 1, "created_at": "2026-01-01T00:00:00Z"})
    )
    bin_folder = tmp_path / "bin"
    bin_folder.mkdir()
    (bin_folder / "grader").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m grader "$@"\n')
    (bin_folder / "grader").chmod(0o755)
    env = cli_env(GRADER_GRADESCOPE_ROOT=str(root))
    env["PATH"] = f"{bin_folder}{os.pathsep}{env.get('PATH', '')}"
    done = subprocess.run(
        [str(root / "run_autograder")], capture_output=True, text=True, env=env, timeout=900
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    results = json.loads((root / "results" / "results.json").read_text())
    jsonschema.validate(results, GRADESCOPE_SCHEMA)
    assert results["output"].startswith("graded:"), results["output"]
    # Tests are hidden: no top-level score, so Gradescope totals the tests (and hides the total from
    # students).
    assert "score" not in results and "more check(s)" in results["output"]
    visibility = {t["name"]: t["visibility"] for t in results["tests"]}
    assert visibility["a hidden custom check"] == "hidden"
    assert (
        sorted(visibility.values()).count("hidden") == 2
        and list(visibility.values()).count("after_due_date") == 1
    )
