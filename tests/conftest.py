"""Shared fixtures: graded runs are expensive, so each is made once and asserted on many times."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

from grader.batch import THREADS_VARIABLE

ROOT = Path(__file__).resolve().parent.parent
WEEK8 = ROOT / "grader" / "assignments" / "week8"
SOLUTION = WEEK8 / "solution.ipynb"
LECTURE = WEEK8 / "examples" / "lecture.ipynb"


def cli_env(**extra: str) -> dict[str, str]:
    """The environment of a ``grader`` or ``pytest`` process started by a test: this checkout first."""
    return dict(os.environ, PYTHONPATH=str(ROOT), COLUMNS="100", **extra)


def one_thread() -> dict[str, str]:
    """For gradings that run beside others: one TensorFlow thread per kernel (unless set)."""
    return {THREADS_VARIABLE: os.environ.get(THREADS_VARIABLE, "1")}


def grader_cli(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run the ``grader`` command line in a fresh interpreter, as a user would."""
    return subprocess.run([sys.executable, "-m", "grader", *args], capture_output=True, text=True, timeout=timeout, env=cli_env())


def mutate(source: Path, target: Path, edits: list[tuple[str, str]], extra_cells: list[str] = ()) -> Path:
    """A copy of ``source`` with each ``old`` replaced by ``new`` (each must occur)."""
    notebook = nbformat.read(source, as_version=4)
    for old, new in edits:
        hits = [cell for cell in notebook.cells if old in cell.source]
        assert hits, f"planted bug does not apply: {old!r} not in {source.name}"
        for cell in hits:
            cell.source = cell.source.replace(old, new)
    # Fixed ids (nbformat makes random ones): the same planted notebook is the same file every time.
    notebook.cells.extend(nbformat.v4.new_code_cell(src, id=f"planted-{i}") for i, src in enumerate(extra_cells))
    nbformat.write(notebook, target)
    return target


def read_records(out: Path) -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text()) for p in out.glob("*.json")}


def grade_many(assignment: str, submissions: list[Path], out: Path, *extra: str, jobs: int = 2) -> subprocess.Popen[str]:
    """Start one ``grader grade`` batch (``jobs`` workers: by default the machine's two cores).

    Batches run beside other gradings (one worker each, or several batches at once): one
    TensorFlow thread per kernel keeps them from slowing each other down.
    """
    return subprocess.Popen([sys.executable, "-m", "grader", "grade", "--assignment", assignment, "--lang", "en",
                             "--jobs", str(jobs), "--out", str(out), *extra, *map(str, submissions)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=cli_env(**one_thread()))


def finished(batch: subprocess.Popen[str], out: Path) -> dict[str, dict]:
    log = batch.communicate(timeout=1200)[0]
    assert batch.returncode == 0, log[-3000:]
    return read_records(out)


# Generous for a loaded machine (the solution's slowest cell, its fit, takes about 7 s on 2 idle
# cores; the planted-bug batch runs beside the class).
LIMITS = ("--cell-timeout", "45", "--total-timeout", "200")


@pytest.fixture(scope="session")
def classroom(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A class folder as an LMS export looks: files and a folder per student, good and bad.
    ``alice`` handed in the solution, ``bob`` the example student notebook."""
    root = tmp_path_factory.mktemp("class")
    (root / "alice.ipynb").write_bytes(SOLUTION.read_bytes())
    (root / "bob").mkdir()
    (root / "bob" / "hw8.ipynb").write_bytes((WEEK8 / "examples" / "student.ipynb").read_bytes())
    (root / "bob" / ".ipynb_checkpoints").mkdir()
    (root / "bob" / ".ipynb_checkpoints" / "hw8-checkpoint.ipynb").write_text("{}")
    (root / "=cmd.ipynb").write_text("this is not JSON")
    nbformat.write(nbformat.v4.new_notebook(), root / "empty.ipynb")
    (root / "hang.py").write_text("import time\ntime.sleep(10**6)\n")
    (root / "quick.py").write_text("print('no Keras here')\n")
    (root / "slow.py").write_text("import time\ntime.sleep(8)\nprint('no Keras here either')\n")
    (root / "nobody").mkdir()
    (root / "nobody" / "readme.txt").write_text("forgot to upload")
    return root


def grade_class(folder: Path, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return grader_cli("grade", "--assignment", "week8", "--lang", "en", "--jobs", "2", "--out", str(out),
                      *LIMITS, *extra, str(folder))


@pytest.fixture(scope="session")
def uninterrupted(classroom: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The class graded in one ``grader grade`` batch: its output folder and its log.  Shared by
    the batch tests and by the front-end test (``alice.json`` is the solution through the CLI)."""
    out = tmp_path_factory.mktemp("uninterrupted")
    run = grade_class(classroom, out)
    return out, run.stdout + run.stderr


SAVE_LOAD = ROOT / "grader" / "assignments" / "save-load"
SAVE_LOAD_PLANTED = ("saved_before_training", "json_without_weights", "no_h5")


@pytest.fixture(scope="session")
def save_load_records(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    """The save-load solution, English starter and planted examples, graded once in one batch."""
    out = tmp_path_factory.mktemp("save-load-records")
    submissions = [SAVE_LOAD / "solution.ipynb", SAVE_LOAD / "starter_en.ipynb",
                   *(SAVE_LOAD / "examples" / f"{name}.ipynb" for name in SAVE_LOAD_PLANTED)]
    return finished(grade_many("save-load", submissions, out), out)


@dataclass(frozen=True)
class PytestRun:
    """``pytest --assignment=NAME`` run by a student in the folder of their notebook."""
    done: subprocess.CompletedProcess[str]
    record: dict
    folder: Path


# The notebooks a student grades with pytest: the week-8 solution (both front ends agree) and
# a save-load example (custom checks count alike under pytest).
PYTEST_RUNS = {"week8": SOLUTION, "save-load": SAVE_LOAD / "examples" / "no_h5.ipynb"}


@pytest.fixture(scope="session")
def under_pytest(tmp_path_factory: pytest.TempPathFactory) -> dict[str, PytestRun]:
    """Each of ``PYTEST_RUNS`` graded by the pytest front end, all at once (each alone would
    leave a core idle), with ``--junitxml`` and the JSON record written beside it."""
    started = {}
    for assignment, notebook in PYTEST_RUNS.items():
        folder = tmp_path_factory.mktemp(f"student-{assignment}")
        shutil.copy(notebook, folder / "my_notebook.ipynb")
        started[assignment] = folder, subprocess.Popen(
            [sys.executable, "-m", "pytest", f"--assignment={assignment}", "--lang=en", "-v", "-p", "no:cacheprovider",
             f"--grader-out={folder / 'records'}", f"--junitxml={folder / 'junit.xml'}"],
            cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=cli_env(**one_thread()))
    runs = {}
    for assignment, (folder, process) in started.items():
        stdout, stderr = process.communicate(timeout=600)
        record = folder / "records" / "my_notebook.json"
        assert record.is_file(), stdout[-3000:] + stderr[-3000:]
        done = subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
        runs[assignment] = PytestRun(done, json.loads(record.read_text()), folder)
    return runs


# The suite's schedule.  The hostile cases, which judge every grading's duration against tight
# limits, run first on a quiet machine.  The planted-bug batch, the longest grading, then
# starts in the background and runs beside every other module, filling the cores they leave
# idle: first test_sandbox, which mostly waits for its time limits (far above what its
# trivial cells need, even on a loaded machine), then the modules that test in this process
# (and test_save_load's small batch), then the modules that grade many notebooks (busy enough
# to keep both cores working once the planted batch is done); the batch's asserts come last.
QUIET, BESIDE_FIRST, IN_PROCESS, NOTEBOOKS, BACKGROUND_LAST = range(5)
ORDER = {"test_hostile.py": QUIET, "test_sandbox.py": BESIDE_FIRST, "test_assignments.py": NOTEBOOKS,
         "test_batch.py": NOTEBOOKS, "test_custom_checks.py": NOTEBOOKS, "test_front_ends.py": NOTEBOOKS,
         "test_planted_bugs.py": BACKGROUND_LAST}


def rank(item: pytest.Item) -> int:
    return ORDER.get(item.path.name, IN_PROCESS)


_background: dict[str, object] = {}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    items.sort(key=rank)
    _background["wanted"] = any(rank(item) == BACKGROUND_LAST for item in items)


def pytest_runtest_setup(item: pytest.Item) -> None:
    if rank(item) != QUIET and _background.get("wanted") and "batch" not in _background:
        from tests.test_planted_bugs import start_planted_batch

        folder = Path(tempfile.mkdtemp(prefix="grader-planted-"))
        _background.update(folder=folder, batch=start_planted_batch(folder))


@pytest.fixture(scope="session")
def background_planted() -> tuple[subprocess.Popen[str], Path]:
    """The planted-bug batch started by ``pytest_runtest_setup``, and its output folder.

    A fixture, not an import: test modules import ``tests.conftest``, a second copy of this
    module beside the one pytest loaded (whose hooks started the batch).
    """
    folder = _background["folder"]
    assert isinstance(folder, Path)
    return _background["batch"], folder / "out"  # type: ignore[return-value]


def pytest_sessionfinish(session: pytest.Session) -> None:
    batch = _background.get("batch")
    if isinstance(batch, subprocess.Popen) and batch.poll() is None:
        batch.kill()
        batch.communicate()
    if isinstance(_background.get("folder"), Path):
        shutil.rmtree(_background["folder"], ignore_errors=True)
