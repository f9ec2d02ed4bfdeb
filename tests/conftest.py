"""Shared fixtures: graded runs are expensive, so each is made once and asserted on many times.

A graded run is shared only by the tests of one module: ``pytest -n 2 --dist loadfile``
(``pyproject.toml``) gives each module to one worker, so each run is graded once. The session
grades against a cache of its own (``tests/hermetic.py``), made here before any worker starts.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

from grader.datasets import cache_dir
from tests import hermetic

ROOT = Path(__file__).resolve().parent.parent
CACHE_ROOT = pytest.StashKey[Path]()
WEEK8 = ROOT / "assignments" / "week8"
SOLUTION = WEEK8 / "solution.ipynb"
LECTURE = WEEK8 / "examples" / "lecture.ipynb"


def pytest_configure(config: pytest.Config) -> None:
    if hermetic.inherited() is None:
        config.stash[CACHE_ROOT] = hermetic.enter()


def pytest_report_header(config: pytest.Config) -> str:
    return f"grader cache (this session's own): {cache_dir()}"


def pytest_unconfigure(config: pytest.Config) -> None:
    if CACHE_ROOT in config.stash:
        hermetic.leave(config.stash[CACHE_ROOT])


def cli_env(**extra: str) -> dict[str, str]:
    """The environment of a ``grader`` or ``pytest`` process started by a test: this checkout
    first."""
    return dict(os.environ, PYTHONPATH=str(ROOT), COLUMNS="100", **extra)


def grader_cli(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run the ``grader`` command line in a fresh interpreter, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "grader", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=cli_env(),
    )


def edited(source: Path, edits: list[tuple[str, str]]) -> nbformat.NotebookNode:
    """The notebook ``source`` with each ``old`` replaced by ``new`` in every cell (each must
    occur)."""
    notebook = nbformat.read(source, as_version=4)
    for old, new in edits:
        hits = [cell for cell in notebook.cells if old in cell.source]
        assert hits, f"edit does not apply: {old!r} not in {source.name}"
        for cell in hits:
            cell.source = cell.source.replace(old, new)
    return notebook


def mutate(
    source: Path, target: Path, edits: list[tuple[str, str]], extra_cells: list[str] = ()
) -> Path:
    """A copy of ``source`` with a planted bug: each ``old`` replaced by ``new``, ``extra_cells``
    added."""
    notebook = edited(source, edits)
    # Fixed ids (nbformat makes random ones): the same planted notebook is the same file every time.
    notebook.cells.extend(
        nbformat.v4.new_code_cell(src, id=f"planted-{i}") for i, src in enumerate(extra_cells)
    )
    nbformat.write(notebook, target)
    return target


def copied_assignment(name: str, root: Path) -> Path:
    """A copy of the built-in assignment ``name``'s files in ``root / name``; returns its
    assignment.toml."""
    folder = root / name
    folder.mkdir()
    for path in (ROOT / "assignments" / name).iterdir():
        if path.is_file():
            (folder / path.name).write_bytes(path.read_bytes())
    return folder / "assignment.toml"


def read_records(out: Path) -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text()) for p in out.glob("*.json")}


def grade_many(
    assignment: str, submissions: list[Path], out: Path, *extra: str, jobs: int = 2
) -> subprocess.Popen[str]:
    """Start one ``grader grade`` batch (``jobs`` workers: by default the machine's two cores;
    one TensorFlow thread per kernel, as everything the session starts: ``tests/hermetic.py``)."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "grader",
            "grade",
            "--assignment",
            assignment,
            "--lang",
            "en",
            "--jobs",
            str(jobs),
            "--out",
            str(out),
            *extra,
            *map(str, submissions),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=cli_env(),
    )


def finished(batch: subprocess.Popen[str], out: Path) -> dict[str, dict]:
    log = batch.communicate(timeout=1200)[0]
    assert batch.returncode == 0, log[-3000:]
    return read_records(out)


# Generous for a loaded machine (the solution's slowest cell, its fit, takes about 7 s on 2 idle
# cores; other gradings run beside it).
LIMITS = ("--cell-timeout", "45", "--total-timeout", "200")
SAVE_LOAD = ROOT / "assignments" / "save-load"


@dataclass(frozen=True)
class PytestRun:
    """``pytest --assignment=NAME`` run by a student in the folder of their notebook."""

    done: subprocess.CompletedProcess[str]
    record: dict
    folder: Path


# The notebooks a student grades with pytest: the week-8 solution (both front ends agree) and
# a save-load example (custom checks count alike under pytest).
PYTEST_RUNS = {"week8": SOLUTION, "save-load": SAVE_LOAD / "examples" / "no_h5.ipynb"}


def graded_under_pytest(assignment: str, folder: Path) -> PytestRun:
    """``PYTEST_RUNS[assignment]`` graded by the pytest front end in ``folder``, with
    ``--junitxml`` and the JSON record written beside it."""
    shutil.copy(PYTEST_RUNS[assignment], folder / "my_notebook.ipynb")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            f"--assignment={assignment}",
            "--lang=en",
            "-v",
            "-p",
            "no:cacheprovider",
            f"--grader-out={folder / 'records'}",
            f"--junitxml={folder / 'junit.xml'}",
        ],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=600,
        env=cli_env(),
    )
    record = folder / "records" / "my_notebook.json"
    assert record.is_file(), done.stdout[-3000:] + done.stderr[-3000:]
    return PytestRun(done, json.loads(record.read_text()), folder)
