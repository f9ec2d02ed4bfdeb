"""``grader pack NAME --student DIR``: the starters, the compiled data, the visible checks and a
README; nothing of the solution and no hidden check.  A student grades from it with both
front ends."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from grader.course.assignment import load_assignment, self_check
from grader.course.visibility import Withheld
from grader.platforms.student_pack import PackError, pack_for_students
from tests.conftest import LIMITS, WEEK8, cli_env, grader_cli
from tests.test_visibility import course_with_hidden

VISIBLE = '''\
def test_open():
    """a visible custom check"""
'''


def course(tmp_path: Path) -> Path:
    folder = course_with_hidden(tmp_path)
    (folder / "week8" / "test_open.py").write_text(VISIBLE, encoding="utf-8")
    return folder


def _solution_lines() -> set[str]:
    """Lines of the solution's code that neither starter says: the answers."""
    cells = nbformat.read(WEEK8 / "solution.ipynb", as_version=4).cells
    lines = {
        line.strip()
        for c in cells
        if c.cell_type == "code"
        for line in c.source.splitlines()
        if len(line.strip()) > 15
    }
    starters = [
        nbformat.read(WEEK8 / f"starter_{lang}.ipynb", as_version=4) for lang in ("en", "ja")
    ]
    said = "\n".join(c.source for starter in starters for c in starter.cells)
    return {line for line in lines if line not in said}


@pytest.fixture(scope="module")
def pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("pack")
    made = grader_cli(
        "pack", "week8", "--assignments", str(course(tmp)), "--student", str(tmp / "for-students")
    )
    assert made.returncode == 0, made.stdout + made.stderr
    return tmp / "for-students"


def test_the_pack_holds_what_a_self_check_needs(pack: Path) -> None:
    names = sorted(str(p.relative_to(pack)) for p in pack.rglob("*") if p.is_file())
    # No reference curves: they would give away the hidden accuracy check and the after-due-date
    # loss plot.
    assert names == [
        "README.md",
        "week8/assignment.toml",
        "week8/expected.json",
        "week8/starter_en.ipynb",
        "week8/starter_ja.ipynb",
        "week8/test_open.py",
    ]
    readme = (pack / "README.md").read_text(encoding="utf-8")
    assert "pytest --assignment=week8 --assignments" in readme and "自分で確認する" in readme
    assert "%load_ext grader" in readme and "%grade week8 --assignments" in readme


def test_the_pack_holds_no_solution_and_no_hidden_check(pack: Path) -> None:
    answers = _solution_lines()
    assert answers, "the solution should have lines of its own"
    for path in pack.rglob("*"):
        if path.is_file():
            content = path.read_text(encoding="utf-8")
            assert not [line for line in answers if line in content], path
            for hidden in (
                "results.accuracy",
                "plots.loss",
                "custom.secret",
                "test_secret",
                "test_hidden",
            ):
                assert hidden not in content, (path, hidden)


def test_the_packed_assignment_is_the_self_check_and_says_what_is_left(
    tmp_path: Path, pack: Path
) -> None:
    packed = load_assignment("week8", pack)
    full = self_check(load_assignment("week8", explicit=[course(tmp_path)]))
    assert packed.points == full.points and [c.id for c in packed.custom] == ["custom.open"]
    assert packed.withheld == Withheld(3, 6.0) == self_check(packed).withheld


def test_a_test_file_mixing_visible_and_hidden_checks_is_refused(tmp_path: Path) -> None:
    folder = course(tmp_path)
    (folder / "week8" / "test_open.py").write_text(
        VISIBLE + "\n\ndef test_shut():\n    pass\n", encoding="utf-8"
    )
    with (folder / "week8" / "assignment.toml").open("a", encoding="utf-8") as toml:
        toml.write('"custom.shut" = "hidden"\n')
    with pytest.raises(PackError, match="test_open.py mixes visible and hidden"):
        pack_for_students(load_assignment("week8", folder), tmp_path / "out")


def test_a_pack_goes_to_a_new_folder(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "mine.txt").write_text("x")
    with pytest.raises(PackError, match="not empty"):
        pack_for_students(load_assignment("week8"), tmp_path / "out")


@pytest.mark.slow
def test_a_student_grades_from_the_pack_with_both_front_ends(tmp_path: Path, pack: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    shutil.copy(WEEK8 / "examples" / "student.ipynb", work / "alice.ipynb")
    env = cli_env()
    cli = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "grader",
            "grade",
            "--assignment",
            "week8",
            "--assignments",
            str(pack),
            "--lang",
            "en",
            "--out",
            str(tmp_path / "cli"),
            *LIMITS,
            str(work / "alice.ipynb"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        cwd=work,
    )
    under_pytest = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "--assignment=week8",
            "--assignments",
            str(pack),
            "--lang",
            "en",
            "--grader-out",
            str(tmp_path / "pytest"),
            *LIMITS,
            "-q",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=work,
        timeout=900,
    )
    log = cli.communicate(timeout=900)[0]
    assert cli.returncode == 0, log[-3000:]
    assert "are graded after you submit" in " ".join(log.split())
    assert "are graded after you submit" in " ".join(under_pytest.stdout.split()), (
        under_pytest.stdout[-3000:]
    )
    records = [
        json.loads((tmp_path / front / "alice.json").read_text()) for front in ("cli", "pytest")
    ]
    for record in records:
        assert record["status"] == "graded" and record["graded_after_submission"] == {
            "checks": 3,
            "points": 6.0,
        }
        assert {c["id"] for c in record["checks"]} == {
            *load_assignment("week8", pack).points,
            "custom.open",
        }
    assert records[0]["score"] == records[1]["score"]


def test_the_packs_compiled_data_leaves_out_what_only_a_hidden_check_reads(tmp_path: Path) -> None:
    folder = tmp_path / "course" / "cifar10"
    shutil.copytree(
        WEEK8.parent / "cifar10",
        folder,
        ignore=shutil.ignore_patterns("solution.ipynb", "examples"),
    )
    with (folder / "assignment.toml").open("a", encoding="utf-8") as toml:
        toml.write('\n[visibility]\n"results.predictions" = "hidden"\n')
    pack_for_students(load_assignment("cifar10", folder.parent), tmp_path / "pack")
    packed = json.loads((tmp_path / "pack" / "cifar10" / "expected.json").read_text())
    full = json.loads((folder / "expected.json").read_text())
    assert (
        "class_names" in full
        and "class_names" not in packed
        and "airplane" not in json.dumps(packed)
    )
    assert {
        k: v
        for k, v in full.items()
        if k not in ("class_names", "kernel_shapes", "feature_map_shapes")
    } == packed
    assert load_assignment("cifar10", tmp_path / "pack").expected.class_names == ()
