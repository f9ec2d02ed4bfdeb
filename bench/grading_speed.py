"""How long grading the week-8 lecture notebook takes, against executing it in full.

Grades the notebook twice in a fresh cache folder holding only MNIST (copied from your
cache): first with no measurement kept (a new architecture), then again (the measurement
reused). For each it prints the wall time from command to report beside the goal, the
grader's peak memory (its own process and the student's kernel, measured by the OS) and
where the time goes; then the ratio against the 854 s a full ``jupyter execute`` of the
lecture notebook takes on 2 cores.

``--against DIR`` grades with another checkout of the grader too (``git archive main``
unpacked in DIR), alternating with this one, ``--runs N`` times each: on a shared, noisy
machine only figures measured in the same run compare.

    .venv/bin/python bench/grading_speed.py [NOTEBOOK] [--runs 3] [--against DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from process_memory import PeakSampler

from grader.datasets.cache import CACHE_ENV, cached_path
from grader.sandbox import resident

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


def grade(notebook: Path, cache: Path, out: Path, grader: Path = ROOT) -> Graded:
    started = time.monotonic()
    done = subprocess.Popen([sys.executable, "-m", "grader", "grade", "--assignment", "week8", "--out", str(out), str(notebook)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=grader,
                            env={**os.environ, CACHE_ENV: str(cache), "PYTHONPATH": str(grader)})
    sampler = PeakSampler(done, cache)
    sampler.start()
    done.wait()
    wall = time.monotonic() - started
    sampler.join()
    return Graded(wall, sampler.peak_mb, done.returncode, json.loads(next(out.glob("*.json")).read_text()))


NEW_GOAL_S, AGAIN_GOAL_S, PEAK_GOAL_MB = 8.0, 6.0, 1500.0


def report(title: str, run: Graded, goal_s: float) -> None:
    record = run.record
    cells = {c["cell"]: c["duration_s"] for c in record.get("cells", [])}
    print(title)
    print(f"  status / score      {record['status']} {record['score']:g}/{record['max_score']:g} (exit {run.exit_code})")
    print(f"  wall, command→report {run.wall:6.1f} s   (goal: at most {goal_s:g} s)")
    print(f"  student cells        {sum(cells.values()):6.1f} s   (slowest: cell {max(cells, key=cells.get)} {max(cells.values()):.1f} s)")
    print(f"  grader's training    {record.get('measured', {}).get('accuracy')!s:>6} accuracy")
    print("  where the time goes  " + ", ".join(f"{k} {v:.1f} s" for k, v in _where(run).items()))
    print(f"  peak memory, grader + kernel together {run.peak_mb:,.0f} MB   (goal: at most {PEAK_GOAL_MB:,.0f} MB)")


def _where(run: Graded) -> dict[str, float]:
    """Each second of the wall time: the record's phases (``kernel`` is the wait for the kernel to
    answer), the rest of the grading (reading, dataset, checks), and the command around it
    (Python, the grader's imports, the report and files)."""
    timings = run.record.get("timings", {})
    graded = float(run.record.get("duration_s", 0.0))
    return {**timings, "reading, dataset, checks": graded - sum(timings.values()), "command around it": run.wall - graded}


def _spread(values: list[float]) -> str:
    return f"median {statistics.median(values):5.1f} (min {min(values):.1f}, max {max(values):.1f})"


def main() -> None:
    options = argparse.ArgumentParser()
    options.add_argument("notebook", nargs="?", type=Path, default=ROOT / "grader/assignments/week8/examples/lecture.ipynb")
    options.add_argument("--runs", type=int, default=1)
    options.add_argument("--against", type=Path, help="another checkout of the grader, graded alternately with this one")
    args = options.parse_args()
    graders = {"this": ROOT, **({"against": args.against.resolve()} if args.against else {})}
    runs: dict[str, list[tuple[Graded, Graded]]] = {name: [] for name in graders}
    for index in range(args.runs):
        for name, grader in graders.items():
            with tempfile.TemporaryDirectory() as scratch:
                cache = fresh_cache(Path(scratch) / "cache")
                first = grade(args.notebook, cache, Path(scratch) / "first", grader)
                again = grade(args.notebook, cache, Path(scratch) / "again", grader)
                resident.stop_all(Path(scratch))  # the next run starts from nothing
            runs[name].append((first, again))
            print(f"run {index + 1} {name} ({grader}): new {first.wall:.1f} s, again {again.wall:.1f} s, "
                  f"peak {max(first.peak_mb, again.peak_mb):,.0f} MB", flush=True)
    print(f"notebook {args.notebook.name}")
    for name, pairs in runs.items():
        print(f"=== {name}: {graders[name]}")
        first, again = pairs[-1]
        report("empty measurement cache, a new architecture", first, NEW_GOAL_S)
        report("the same again, the measurement reused", again, AGAIN_GOAL_S)
        if len(pairs) > 1:
            print(f"  over {len(pairs)} runs: new {_spread([p[0].wall for p in pairs])} s; "
                  f"again {_spread([p[1].wall for p in pairs])} s; peak {_spread([max(p[0].peak_mb, p[1].peak_mb) for p in pairs])} MB")
            for phase in _where(pairs[0][0]):
                print(f"    {phase:<26} new {_spread([_where(p[0]).get(phase, 0.0) for p in pairs])} s; "
                      f"again {_spread([_where(p[1]).get(phase, 0.0) for p in pairs])} s")
        print(f"  speed-up vs full execution ({FULL_EXECUTION_S:.0f} s): {FULL_EXECUTION_S / again.wall:.0f}x")


if __name__ == "__main__":
    main()
