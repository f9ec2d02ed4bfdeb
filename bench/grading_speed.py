"""How long grading the week-8 lecture notebook takes, against executing it in full.

Grades the notebook twice in a fresh cache folder holding only MNIST (copied from your
cache): first with no measurement kept (a new architecture), then again (the measurement
reused). For each it prints the wall time from command to report, the grader's peak
memory (its own process and the student's kernel, measured by the OS) and where the time
goes; then the ratio against the 854 s a full ``jupyter execute`` of the lecture notebook
takes on 2 cores.

    .venv/bin/python bench/grading_speed.py [NOTEBOOK]
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from process_memory import PeakSampler

from grader.datasets.cache import CACHE_ENV, cached_path

ROOT = Path(__file__).resolve().parent.parent
FULL_EXECUTION_S = 854.0  # jupyter execute of the lecture notebook as written, 2 cores


@dataclass(frozen=True)
class Graded:
    wall: float
    peak_mb: float
    exit_code: int
    record: dict


def fresh_cache(folder: Path) -> Path:
    """A cache folder with MNIST and nothing else: no measurement, key or font list."""
    source = cached_path("mnist")
    if source is None:
        sys.exit("MNIST is not provisioned: run `grader data mnist` first")
    folder.mkdir()
    for path in (source, source.with_suffix(".json")):
        shutil.copyfile(path, folder / path.name)
    return folder


def grade(notebook: Path, cache: Path, out: Path) -> Graded:
    started = time.monotonic()
    done = subprocess.Popen([sys.executable, "-m", "grader", "grade", "--assignment", "week8", "--out", str(out), str(notebook)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, CACHE_ENV: str(cache)})
    sampler = PeakSampler(done)
    sampler.start()
    done.wait()
    wall = time.monotonic() - started
    sampler.join()
    return Graded(wall, sampler.peak_mb, done.returncode, json.loads(next(out.glob("*.json")).read_text()))


def report(title: str, run: Graded) -> None:
    record = run.record
    cells = {c["cell"]: c["duration_s"] for c in record.get("cells", [])}
    print(title)
    print(f"  status / score      {record['status']} {record['score']:g}/{record['max_score']:g} (exit {run.exit_code})")
    print(f"  wall, command→report {run.wall:6.1f} s")
    print(f"  student cells        {sum(cells.values()):6.1f} s   (slowest: cell {max(cells, key=cells.get)} {max(cells.values()):.1f} s)")
    print(f"  grader's training    {record.get('measured', {}).get('accuracy')!s:>6} accuracy")
    print("  where the time goes  " + ", ".join(f"{k} {v:.1f} s" for k, v in record.get("timings", {}).items()))
    print(f"  peak memory, grader + kernel together {run.peak_mb:,.0f} MB   (goal: at most 1,500 MB)")


def main() -> None:
    notebook = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "grader/assignments/week8/examples/lecture.ipynb"
    with tempfile.TemporaryDirectory() as scratch:
        cache = fresh_cache(Path(scratch) / "cache")
        first = grade(notebook, cache, Path(scratch) / "first")
        again = grade(notebook, cache, Path(scratch) / "again")
    print(f"notebook {notebook.name}")
    report("empty measurement cache, a new architecture (goal: at most 8 s)", first)
    report("the same again, the measurement reused (goal: at most 6 s)", again)
    print(f"speed-up vs full execution ({FULL_EXECUTION_S:.0f} s): {FULL_EXECUTION_S / again.wall:.0f}x")


if __name__ == "__main__":
    main()
