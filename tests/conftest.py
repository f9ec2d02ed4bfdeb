"""Shared fixtures: graded runs are expensive, so each is made once and asserted on many times."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
WEEK8 = ROOT / "assignments" / "week8"
SOLUTION = WEEK8 / "solution.ipynb"
LECTURE = WEEK8 / "examples" / "lecture.ipynb"


def grader_cli(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run the ``grader`` command line in a fresh interpreter, as a user would."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), COLUMNS="100")
    return subprocess.run([sys.executable, "-m", "grader", *args], capture_output=True, text=True, timeout=timeout, env=env)


def mutate(source: Path, target: Path, edits: list[tuple[str, str]], extra_cells: list[str] = ()) -> Path:
    """A copy of ``source`` with each ``old`` replaced by ``new`` (each must occur)."""
    notebook = nbformat.read(source, as_version=4)
    for old, new in edits:
        hits = [cell for cell in notebook.cells if old in cell.source]
        assert hits, f"planted bug does not apply: {old!r} not in {source.name}"
        for cell in hits:
            cell.source = cell.source.replace(old, new)
    notebook.cells.extend(nbformat.v4.new_code_cell(src) for src in extra_cells)
    nbformat.write(notebook, target)
    return target


def read_records(out: Path) -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text()) for p in out.glob("*.json")}


@pytest.fixture(scope="session")
def graded_batch(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., dict[str, dict]]:
    """Grade several submissions in parallel CLI processes (two: the machine's cores)."""
    def run(submissions: list[Path], *extra: str) -> dict[str, dict]:
        out = tmp_path_factory.mktemp("records")
        halves = [submissions[0::2], submissions[1::2]]
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        procs = [
            subprocess.Popen([sys.executable, "-m", "grader", "grade", "--assignment", "week8", "--lang", "en",
                              "--out", str(out), *extra, *map(str, half)],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
            for half in halves if half
        ]
        logs = [p.communicate(timeout=900)[0] for p in procs]
        for proc, log in zip(procs, logs):
            assert proc.returncode == 0, log[-3000:]
        return read_records(out)
    return run


SAVE_LOAD = ROOT / "assignments" / "save-load"
SAVE_LOAD_PLANTED = ("saved_before_training", "json_without_weights", "no_h5")


@pytest.fixture(scope="session")
def save_load_records(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    """The save-load solution, English starter and planted examples, graded once by the CLI (two processes)."""
    out = tmp_path_factory.mktemp("save-load-records")
    submissions = [SAVE_LOAD / "solution.ipynb", SAVE_LOAD / "starter_en.ipynb",
                   *(SAVE_LOAD / "examples" / f"{name}.ipynb" for name in SAVE_LOAD_PLANTED)]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    procs = [subprocess.Popen([sys.executable, "-m", "grader", "grade", "--assignment", "save-load", "--lang", "en",
                               "--out", str(out), *map(str, half)],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
             for half in (submissions[0::2], submissions[1::2])]
    for proc in procs:
        log = proc.communicate(timeout=900)[0]
        assert proc.returncode == 0, log[-3000:]
    return read_records(out)
