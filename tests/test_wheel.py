"""The grader as a course installs it: the wheel, not editable, in a fresh environment with no
repository (and no solution code) in sight, lists its assignments and grades with both front ends from any folder.

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
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ROOT, WEEK8, one_thread

pytestmark = pytest.mark.slow
# What the running environment has of the grader itself (an editable install of the repository).
NOT_DEPENDENCIES = ("grader", "__editable__", "reference", "_grader")
GOLDEN = json.loads((ROOT / "tests" / "golden" / "week8" / "student.json").read_text())


def clean_env() -> dict[str, str]:
    """This environment without what points at the repository (``PYTHONPATH``) or a course."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "GRADER_ASSIGNMENTS", "VIRTUAL_ENV")}


@dataclass(frozen=True)
class Installed:
    wheel: Path
    python: Path
    elsewhere: Path

    def run(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        """``python *args`` in the fresh environment, from a folder unrelated to the repository."""
        env = clean_env()
        env.update(COLUMNS="100", PATH=f"{self.python.parent}{os.pathsep}{env.get('PATH', '')}", **one_thread())
        return subprocess.run([str(self.python), *args], cwd=self.elsewhere, capture_output=True, text=True,
                              timeout=timeout, env=env)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    root = tmp_path_factory.mktemp("wheel")
    # From the repository's files alone (its build/ folder may hold what an older wheel had).
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=ROOT, capture_output=True,
                            text=True, check=True).stdout.splitlines()
    for name in listed:
        if (ROOT / name).is_file():
            (root / "source" / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(ROOT / name, root / "source" / name)
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                            str(root / "dist"), str(root / "source")], capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr
    wheel = next((root / "dist").glob("grader-*.whl"))
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root / "venv")], check=True, timeout=120)
    python = root / "venv" / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                               capture_output=True, text=True, check=True).stdout.strip())
    done = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", "-q",
                           str(wheel)], capture_output=True, text=True, timeout=600, env=clean_env())
    assert done.returncode == 0, done.stderr
    # The dependencies, not the grader: this environment's site-packages, hard-linked (no copy,
    # and inside the new environment, where the sandbox lets the student's kernel read them).
    for entry in Path(sysconfig.get_path("purelib")).iterdir():
        if not entry.name.startswith(NOT_DEPENDENCIES) and not (site / entry.name).exists():
            subprocess.run(["cp", "-al", str(entry), str(site / entry.name)], check=True, timeout=600)
    elsewhere = root / "elsewhere"
    elsewhere.mkdir()
    return Installed(wheel, python, elsewhere)


def test_the_wheel_ships_the_assignments_but_no_solution(installed: Installed) -> None:
    names = zipfile.ZipFile(installed.wheel).namelist()
    for name in ("week8", "mlp", "mnist-cnn", "cifar10", "save-load"):
        assert f"grader/assignments/{name}/assignment.toml" in names
        assert f"grader/assignments/{name}/starter_en.ipynb" in names
        assert f"grader/assignments/{name}/expected.json" in names
    assert not [n for n in names if n.endswith("solution.ipynb") or n.startswith("reference/")]


def test_the_installed_grader_is_the_wheels_and_lists_every_assignment(installed: Installed) -> None:
    where = installed.run("-c", "import grader; print(grader.__file__)")
    assert where.returncode == 0, where.stderr
    package = Path(where.stdout.strip()).parent
    assert installed.python.parent.parent in package.parents and ROOT not in package.parents
    listed = installed.run("-m", "grader", "list")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines() == [f"{name}  (built-in: {package / 'assignments'})"
                                          for name in ("cifar10", "mlp", "mnist-cnn", "save-load", "week8")]


def test_both_front_ends_grade_week8_from_an_unrelated_folder(installed: Installed) -> None:
    folder = installed.elsewhere
    shutil.copy(WEEK8 / "examples" / "student.ipynb", folder / "my_notebook.ipynb")
    graded = installed.run("-m", "grader", "grade", "--assignment", "week8", "--lang", "en", "--out", "cli",
                           "my_notebook.ipynb")
    assert graded.returncode == 0, graded.stdout[-3000:] + graded.stderr[-3000:]
    by_pytest = installed.run("-m", "pytest", "--assignment=week8", "--lang=en", "-p", "no:cacheprovider",
                              "--grader-out=pytest-out")
    assert by_pytest.returncode == 1, by_pytest.stdout[-3000:]  # two of the checks fail, as in the repository
    for out in ("cli", "pytest-out"):
        record = json.loads((folder / out / "my_notebook.json").read_text())
        assert (record["status"], record["score"], record["max_score"]) == (GOLDEN["status"], GOLDEN["score"], GOLDEN["max_score"])
        assert {c["id"]: c["status"] for c in record["checks"]} == {c["id"]: c["status"] for c in GOLDEN["checks"]}
