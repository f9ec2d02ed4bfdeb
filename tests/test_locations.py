"""Assignments are found wherever the grader is installed: a course's folder given by
``--assignments``, ``$GRADER_ASSIGNMENTS``, a ``grader.toml`` above the current folder, an
installed course package (entry points), then the built-in ones; and a kernel reads none
of them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from grader.course.assignment import AssignmentError, available, load_assignment
from grader.course.locations import BUILT_IN, course_folder, private_folders
from grader.datasets.cache import cached_path
from grader.sandbox import filesystem_plan, isolation, off_limits, scratch
from grader.sandbox.kernel.boot import CONFIG_ENV
from grader.sandbox.runner import Limits, run_submission
from grader.submissions.cells import Cell, Submission
from tests.conftest import ROOT, WEEK8, grader_cli

BUDGET = {"fit_samples": 8, "validation_samples": 8, "evaluate_samples": 8, "max_epochs": 2}
BUILT_INS = {"cifar10", "mlp", "mnist-cnn", "save-load", "week8"}


def course(root: Path, *names: str) -> Path:
    """A folder of assignments holding a copy of week 8's description under each name."""
    for name in names:
        (root / name).mkdir(parents=True)
        shutil.copyfile(WEEK8 / "assignment.toml", root / name / "assignment.toml")
    return root


def entry_point_package(site: Path, module: str = "mycourse") -> Path:
    """An installed course package (a dist-info with a ``grader.assignments`` entry point)."""
    (site / module).mkdir(parents=True)
    (site / module / "__init__.py").write_text("")
    dist = site / f"{module}-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(f"[grader.assignments]\n{module} = {module}\n")
    return course(site / module, "from-package", "shared")


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No course configured: an empty current folder, no variable."""
    monkeypatch.delenv("GRADER_ASSIGNMENTS", raising=False)
    (tmp_path / "cwd").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")
    return tmp_path


def test_the_built_in_assignments_are_the_repositorys_in_a_checkout(isolated: Path) -> None:
    """In a checkout, the course's assignments/ beside the package (the wheel ships them inside
    it, as grader/assignments/: tests/test_wheel.py)."""
    found = available()
    assert set(found) == BUILT_INS
    assert {located.source.origin for located in found.values()} == {"built-in"}
    assert BUILT_IN == ROOT / "assignments" and found["week8"].folder == BUILT_IN / "week8"


def test_each_source_is_looked_at_in_order_and_the_first_wins(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    option = course(isolated / "option", "week8", "shared")
    env = course(isolated / "env", "from-env", "shared")
    course(isolated / "course" / "assignments", "from-toml", "shared")
    (isolated / "course" / "grader.toml").write_text('assignments = ["assignments"]\n')
    (isolated / "course" / "deep" / "er").mkdir(parents=True)
    monkeypatch.setenv("GRADER_ASSIGNMENTS", str(env))
    package = entry_point_package(isolated / "site")
    monkeypatch.syspath_prepend(str(isolated / "site"))
    found = available([option], cwd=isolated / "course" / "deep" / "er")
    origins = {name: located.source.origin for name, located in found.items()}
    assert origins == {
        "week8": "--assignments",
        "shared": "--assignments",
        "from-env": "GRADER_ASSIGNMENTS",
        "from-toml": "grader.toml",
        "from-package": "entry point",
        "cifar10": "built-in",
        "mlp": "built-in",
        "mnist-cnn": "built-in",
        "save-load": "built-in",
    }
    assert found["from-package"].folder == package / "from-package"
    assert found["from-toml"].source.via == str(isolated / "course" / "grader.toml")
    assert (
        load_assignment("from-toml", cwd=isolated / "course" / "deep").folder
        == isolated / "course" / "assignments" / "from-toml"
    )


def test_an_unknown_name_lists_what_is_known(isolated: Path) -> None:
    with pytest.raises(
        AssignmentError, match=r"unknown assignment 'nope' \(known: cifar10, mlp, .*week8\)"
    ):
        load_assignment("nope")


def test_a_broken_grader_toml_is_named(isolated: Path) -> None:
    (isolated / "cwd" / "grader.toml").write_text("assignments = 3\n")
    with pytest.raises(AssignmentError, match="grader.toml: 'assignments' must be a folder"):
        available()


def test_a_new_assignment_goes_into_the_courses_folder(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert course_folder() == isolated / "cwd" / "assignments"
    (isolated / "cwd" / "grader.toml").write_text('assignments = "hw"\n')
    assert course_folder() == isolated / "cwd" / "hw"
    assert course_folder([isolated / "given"]) == isolated / "given"


def test_grader_list_says_where_each_comes_from(tmp_path: Path) -> None:
    mine = course(tmp_path / "mine", "week8", "extra")
    done = grader_cli("list", "--assignments", str(mine))
    assert done.returncode == 0, done.stderr
    lines = dict(line.split(None, 1) for line in done.stdout.splitlines())
    assert (
        lines["week8"] == f"(--assignments: {mine})"
        and lines["extra"] == f"(--assignments: {mine})"
    )
    assert lines["mlp"] == f"(built-in: {BUILT_IN})"


def test_the_kernel_is_planned_without_the_courses_folders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Landlock's plan and the guard both from one declaration (``off_limits``), the course's
    folders and ``$GRADER_ASSIGNMENTS`` in it."""
    # The course lies inside a folder the kernel may read (here, a Python environment).
    env = tmp_path / "env"
    assignments = course(env / "course" / "assignments", "hw1")
    (env / "course" / "reference").mkdir()
    (env / "lib").mkdir()
    other = course(env / "other", "hw2")
    monkeypatch.setenv("GRADER_ASSIGNMENTS", str(other))
    monkeypatch.setattr(filesystem_plan, "_python_roots", lambda: [env])
    private = private_folders(assignments / "hw1")
    assert private == (assignments, env / "course" / "reference", other)
    artifacts = tmp_path / "artifacts"
    artifacts.mkdir()
    (tmp_path / "scratch").mkdir()
    place = scratch.prepare(tmp_path / "scratch", artifacts, {}, Limits(1, 1, 100, 1024), private)
    plan = json.loads((place.root / "plan.json").read_text())
    granted = [Path(p) for p in plan["read_only"] + plan["read_write"]]
    assert env / "lib" in granted
    for folder in private:
        assert not any(
            g == folder or g in folder.parents or folder in g.parents for g in granted
        ), folder
    kernel = json.loads((place.kernels / scratch.KERNEL_NAME / "kernel.json").read_text())
    guard = json.loads(kernel["env"][CONFIG_ENV])["guard"]
    off = off_limits.declare(private, [*place.writable, artifacts])
    assert guard["protected_paths"] == [str(h) for h in off.hidden]
    assert {str(assignments), str(env / "course" / "reference"), str(other)} <= set(
        guard["protected_paths"]
    )
    assert plan["read_write"] == guard["writable_paths"] == [str(w) for w in off.writable]
    # What the guard lets the kernel read in a hidden folder is what the plan grants there.
    assert guard["readable_paths"] and all(off.hides(Path(p)) for p in guard["readable_paths"])
    assert set(guard["readable_paths"]) == {
        str(Path(g).resolve())
        for g in [*map(str, granted), *(name for name, _ in plan["files"])]
        if off.hides(Path(g).resolve())
    }


@pytest.mark.slow
@pytest.mark.parametrize("simulate", ["", "landlock-abi=0"])
def test_a_kernel_cannot_read_an_assignment_folder_given_by_option(
    simulate: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With Landlock (the folder is never granted) and without it (the guard refuses it); the
    cache and the grader's package likewise, but for the dataset the kernel reads."""
    monkeypatch.setenv(isolation.SIMULATE_ENV, simulate)
    assignments = course(tmp_path / "course" / "assignments", "hw1")
    assignment = load_assignment("hw1", explicit=[assignments])
    paths = {
        "course": str(assignments / "hw1" / "assignment.toml"),
        "cache": str(next(scratch.font_cache().glob("fontlist-*.json"))),
        "package": str(ROOT / "grader" / "engine.py"),
        "dataset": str(cached_path("mnist")),
    }
    probe = (
        f"for name, path in {paths!r}.items():\n    try:\n"
        f"        print(name, 'READ', len(open(path, 'rb').read(8)))\n"
        f"    except OSError as exc:\n        print(name, 'REFUSED', type(exc).__name__)"
    )
    artifacts = tmp_path / "artifacts"
    artifacts.mkdir()
    execution = run_submission(
        Submission(tmp_path / "x.py", (Cell(1, probe),)),
        artifacts,
        Limits(20, 60, 2000, 65536),
        BUDGET,
        None,
        assignment.private,
    )
    said = {line.split()[0]: line.split()[1] for line in execution.cells[0].output.splitlines()}
    assert said == {
        "course": "REFUSED",
        "cache": "REFUSED",
        "package": "REFUSED",
        "dataset": "READ",
    }, execution.cells[0].output
