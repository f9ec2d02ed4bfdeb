"""A self-check from inside a notebook, timed beside the command line's: a first and a second check.

Grades week 8's example student notebook twice with ``%grade`` in a live kernel (nbclient), then
twice with ``grader grade``; each pair with a cache folder of its own holding only MNIST, so each
first check starts its resident fork server (TensorFlow imported once) and measures anew, and
each second one finds both.  Prints each check's wall time in seconds, as the student waits for
it, then the record's own duration and where it went (kernel start, student cells, evidence, the
grader's training).  On a shared, noisy machine only figures of the same run compare.

    .venv/bin/python bench/notebook_check.py
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.datasets.cache import CACHE_ENV, cached_path  # noqa: E402

STUDENT = ROOT / "assignments" / "week8" / "examples" / "student.ipynb"
CHECK = (
    "started = time.monotonic()\nresult = %grade week8 student.ipynb --lang en\n"
    "print(json.dumps([round(time.monotonic() - started, 1), result.record['duration_s'], "
    "result.record['timings']]))"
)


def _folder(root: Path, name: str) -> tuple[Path, dict[str, str]]:
    """A folder holding the notebook, and an environment with a cache of its own (MNIST only)."""
    folder, cache = root / name, root / f"{name}-cache"
    folder.mkdir()
    cache.mkdir()
    shutil.copyfile(STUDENT, folder / STUDENT.name)
    mnist = cached_path("mnist")
    if mnist is None:
        sys.exit("MNIST is not provisioned: run `grader data mnist` first")
    for path in (mnist, mnist.with_suffix(".json")):
        shutil.copyfile(path, cache / path.name)
    return folder, {**os.environ, CACHE_ENV: str(cache), "PYTHONPATH": str(ROOT)}


def in_notebook(root: Path) -> list[list[object]]:
    folder, env = _folder(root, "notebook")
    cells = ["import json, time", "%load_ext grader", CHECK, CHECK]
    live = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    NotebookClient(live, timeout=900, resources={"metadata": {"path": str(folder)}}).execute(
        env=env
    )
    return [
        json.loads([o.text for o in cell.outputs if o.get("name") == "stdout"][-1])
        for cell in live.cells[2:]
    ]


def on_the_command_line(root: Path) -> list[list[object]]:
    folder, env = _folder(root, "cli")
    timed = []
    for number in range(2):
        started = time.monotonic()
        subprocess.run(
            [sys.executable, "-m", "grader", "grade", "--assignment", "week8", "--lang", "en"]
            + ["--out", f"out{number}", STUDENT.name],
            cwd=folder,
            env=env,
            capture_output=True,
            check=True,
        )
        record = json.loads((folder / f"out{number}" / "student.json").read_text())
        timed.append(
            [round(time.monotonic() - started, 1), record["duration_s"], record["timings"]]
        )
    return timed


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="notebook-check-") as root:
        for name, run in (("%grade", in_notebook), ("grader grade", on_the_command_line)):
            for which, (wall, duration, timings) in zip(("first", "second"), run(Path(root))):
                print(f"{name:>12} {which:>6}: {wall:6.1f} s (graded in {duration} s: {timings})")


if __name__ == "__main__":
    main()
