"""The grader as a course installs it: the wheel, not editable, in a fresh environment with no
repository (and no solution code) in sight, lists its assignments and grades with both front ends
from any folder.

The environment borrows the heavy dependencies (TensorFlow, ...) of the one running the
suite as hard links, so nothing is downloaded; the wheel itself is installed by pip as a
course would.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ROOT, WEEK8

pytestmark = pytest.mark.slow
# What the running environment has of the grader itself (an editable install of the repository).
NOT_DEPENDENCIES = ("grader", "__editable__", "reference", "_grader")
ASSIGNMENTS = ("week8", "mlp", "mnist-cnn", "cifar10", "save-load")
GOLDEN = json.loads((ROOT / "tests" / "golden" / "week8" / "student.json").read_text())
GOLDEN_STARTER = json.loads(
    (ROOT / "tests" / "golden" / "week8-planted" / "starter.json").read_text()
)


def _starter(score: float, max_score: float, failed: str, skipped: str = "") -> tuple[object, ...]:
    return (
        "graded",
        score,
        max_score,
        {**{c: "failed" for c in failed.split()}, **{c: "skipped" for c in skipped.split()}},
    )


# What the repository's own ``grader grade`` gives each starter (week8's is also the golden
# tests/golden/week8-planted/starter.json); the checks not listed pass.  cifar10's accuracy is
# skipped: the suite's cache has only MNIST, so CIFAR-10 is the generated stand-in.
STARTERS = {
    "week8": _starter(
        14.0,
        27.0,
        "data.x_shape data.x_dtype data.x_range model.layers model.output_shapes model.params "
        "fit.batch_size fit.epochs results.accuracy",
    ),
    "mlp": _starter(
        12.0,
        27.0,
        "data.x_shape data.x_dtype data.x_range model.layers model.output_shapes model.params "
        "fit.batch_size fit.epochs results.accuracy",
    ),
    "mnist-cnn": _starter(
        17.0,
        30.0,
        "compile.optimizer fit.epochs fit.history fit.validation "
        "results.accuracy plots.loss plots.saved plots.filters plots.feature_maps",
    ),
    "cifar10": _starter(
        13.0,
        26.0,
        "model.layers model.output_shapes model.params fit.batch_size "
        "fit.epochs fit.history fit.validation results.predictions plots.loss plots.accuracy",
        "results.accuracy",
    ),
    "save-load": _starter(
        14.0,
        24.0,
        "saving.keras saving.h5 saving.json_weights saving.reloaded_predictions custom.file_names",
    ),
}


def clean_env() -> dict[str, str]:
    """This environment without what points at the repository (``PYTHONPATH``) or a course."""
    return {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONPATH", "GRADER_ASSIGNMENTS", "VIRTUAL_ENV")
    }


@dataclass(frozen=True)
class Installed:
    wheel: Path
    python: Path
    elsewhere: Path

    def run(
        self, *args: str, timeout: float = 600, cwd: str = "."
    ) -> subprocess.CompletedProcess[str]:
        """``python *args`` in the fresh environment, from a folder unrelated to the repository."""
        env = clean_env()
        env.update(COLUMNS="100", PATH=f"{self.python.parent}{os.pathsep}{env.get('PATH', '')}")
        return subprocess.run(
            [str(self.python), *args],
            cwd=self.elsewhere / cwd,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
        )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    root = tmp_path_factory.mktemp("wheel")
    # From the repository's files alone (its build/ folder may hold what an older wheel had).
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    for name in listed:
        if (ROOT / name).is_file():
            (root / "source" / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(ROOT / name, root / "source" / name)
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(root / "dist"),
            str(root / "source"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert built.returncode == 0, built.stderr
    wheel = next((root / "dist").glob("grader-*.whl"))
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(root / "venv")], check=True, timeout=120
    )
    python = root / "venv" / "bin" / "python"
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--no-deps",
            "--no-index",
            "-q",
            str(wheel),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env=clean_env(),
    )
    assert done.returncode == 0, done.stderr
    # The dependencies, not the grader: this environment's site-packages, hard-linked (no copy,
    # and inside the new environment, where the sandbox lets the student's kernel read them).
    for entry in Path(sysconfig.get_path("purelib")).iterdir():
        if not entry.name.startswith(NOT_DEPENDENCIES) and not (site / entry.name).exists():
            subprocess.run(
                ["cp", "-al", str(entry), str(site / entry.name)], check=True, timeout=600
            )
    elsewhere = root / "elsewhere"
    elsewhere.mkdir()
    return Installed(wheel, python, elsewhere)


def test_the_wheel_ships_the_assignments_but_no_solution(installed: Installed) -> None:
    names = zipfile.ZipFile(installed.wheel).namelist()
    for name in ASSIGNMENTS:
        assert f"grader/assignments/{name}/assignment.toml" in names
        assert f"grader/assignments/{name}/starter_en.ipynb" in names
        assert f"grader/assignments/{name}/expected.json" in names
    # Nothing that answers: no solution notebook, no reference code, no example (the solution with
    # one slip, or none).
    assert not [
        n
        for n in names
        if n.endswith("solution.ipynb") or n.startswith("reference/") or "/examples/" in n
    ]
    assert [n for n in names if n.endswith(".ipynb")] == [
        f"grader/assignments/{a}/starter_{lang}.ipynb"
        for a in sorted(ASSIGNMENTS)
        for lang in ("en", "ja")
    ]


def test_the_wheel_holds_every_module_of_the_package(installed: Installed) -> None:
    """pyproject.toml names each package: a new one left out of that list would be missing here."""
    names = set(zipfile.ZipFile(installed.wheel).namelist())
    modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / "grader").rglob("*.py")}
    assert modules - names == set()


def test_the_installed_grader_is_the_wheels_and_lists_every_assignment(
    installed: Installed,
) -> None:
    where = installed.run("-c", "import grader; print(grader.__file__)")
    assert where.returncode == 0, where.stderr
    package = Path(where.stdout.strip()).parent
    assert installed.python.parent.parent in package.parents and ROOT not in package.parents
    listed = installed.run("-m", "grader", "list")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines() == [
        f"{name}  (built-in: {package / 'assignments'})"
        for name in ("cifar10", "mlp", "mnist-cnn", "save-load", "week8")
    ]


@dataclass(frozen=True)
class Graded:
    # Each assignment's starter as graded by the installed ``grader grade``, and the week-8 example
    # graded by its pytest front end: the record, the command's exit code and output.
    cli: dict[str, tuple[dict, subprocess.CompletedProcess[str]]]
    by_pytest: tuple[dict, subprocess.CompletedProcess[str]]
    # The record ``grader.check`` returned for week8's starter.
    by_check: dict


@pytest.fixture(scope="module")
def graded(installed: Installed) -> Graded:
    """One concurrent round: ``grader grade`` on each assignment's shipped starter, and the pytest
    front end on the week-8 example, each in a folder of its own beside nothing of the repository.
    """
    package = Path(
        installed.run("-c", "import grader; print(grader.__file__)").stdout.strip()
    ).parent
    commands: dict[str, tuple[str, ...]] = {}
    for name in ASSIGNMENTS:
        (installed.elsewhere / name).mkdir()
        shutil.copy(
            package / "assignments" / name / "starter_en.ipynb",
            installed.elsewhere / name / "starter.ipynb",
        )
        commands[name] = (
            "-m",
            "grader",
            "grade",
            "--assignment",
            name,
            "--lang",
            "en",
            "--out",
            "out",
            "starter.ipynb",
        )
    (installed.elsewhere / "pytest").mkdir()
    shutil.copy(
        WEEK8 / "examples" / "student.ipynb", installed.elsewhere / "pytest" / "my_notebook.ipynb"
    )
    commands["pytest"] = (
        "-m",
        "pytest",
        "--assignment=week8",
        "--lang=en",
        "-p",
        "no:cacheprovider",
        "--grader-out=out",
    )
    # The self-check a notebook runs (``grader.check``, here outside a kernel, the file named).
    (installed.elsewhere / "check").mkdir()
    shutil.copy(
        package / "assignments" / "week8" / "starter_en.ipynb",
        installed.elsewhere / "check" / "starter.ipynb",
    )
    commands["check"] = (
        "-c",
        "import json, grader; r = grader.check('week8', 'starter.ipynb', lang='en'); "
        "print(json.dumps(r.record))",
    )
    # Three at a time: two cores, and one fork server (this environment's) forks every kernel.
    with ThreadPoolExecutor(max_workers=3) as pool:
        done = dict(
            zip(
                commands,
                pool.map(lambda item: installed.run(*item[1], cwd=item[0]), commands.items()),
            )
        )

    def record(name: str, stem: str) -> dict:
        path = installed.elsewhere / name / "out" / f"{stem}.json"
        assert path.is_file(), done[name].stdout[-3000:] + done[name].stderr[-3000:]
        return json.loads(path.read_text())

    checked = done["check"]
    assert checked.returncode == 0, checked.stdout[-3000:] + checked.stderr[-3000:]
    return Graded(
        {name: (record(name, "starter"), done[name]) for name in ASSIGNMENTS},
        (record("pytest", "my_notebook"), done["pytest"]),
        json.loads(checked.stdout.splitlines()[-1]),
    )


def outcome(record: dict) -> tuple[object, ...]:
    """What a grading decided: status, score, maximum and the status of every check that did not
    pass."""
    return (
        record["status"],
        record["score"],
        record["max_score"],
        {c["id"]: c["status"] for c in record["checks"] if c["status"] != "passed"},
    )


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_the_installed_cli_grades_each_assignments_starter_as_the_repository_does(
    graded: Graded, name: str
) -> None:
    record, run = graded.cli[name]
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert record["assignment"] == name and record["status"] == "graded"
    assert outcome(record) == STARTERS[name]
    if name == "week8":
        assert outcome(GOLDEN_STARTER) == STARTERS[name]


def test_the_installed_pytest_front_end_grades_week8_as_the_repository_does(graded: Graded) -> None:
    record, run = graded.by_pytest
    assert run.returncode == 1, run.stdout[-3000:]  # two of the checks fail, as in the repository
    assert outcome(record) == outcome(GOLDEN)


def test_the_installed_self_check_grades_week8_as_the_command_line_does(graded: Graded) -> None:
    record, checked = graded.cli["week8"][0], graded.by_check
    assert outcome(checked) == outcome(record) == STARTERS["week8"]
    assert checked["submission_sha256"] == record["submission_sha256"]
