"""Batch throughput: submissions per minute for a class folder on this machine.

Builds a folder of 20 week-8 submissions (copies of the solution and planted-bug variants), grades
it with ``grader grade --jobs N --out DIR`` in a fresh cache folder holding only MNIST (every run
measures anew), first on a cold machine (the batch starts the resident fork server) and then again
with the server running and the measurements removed; for each it prints submissions per minute, the
time to the first result, peak memory of the whole process tree, and where the time of a submission
goes (kernel start-up with imports, student cells, reading evidence, the grader's own training),
beside the goals: at least 20 per minute on 2 cores, the first result within 10 s.  The workers
share the resident fork server (TensorFlow imported once), and each keeps one kernel waiting for its
next submission, so the peak counts the server, its measurers and up to two kernels per worker
(memory shared with the server counted once: PSS).

``--against DIR`` grades the same class with another checkout of the grader too (``git
archive main`` unpacked in DIR), alternating, ``--runs N`` times each: on a shared, noisy
machine only figures measured in the same run compare.

    .venv/bin/python bench/batch_speed.py [--jobs N] [--count 20] [--runs 3] [--against DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
from grading_speed import fresh_cache
from process_memory import PeakSampler

from grader.datasets.cache import CACHE_ENV
from grader.sandbox import resident

ROOT = Path(__file__).resolve().parent.parent
SOLUTION = ROOT / "assignments/week8/solution.ipynb"
VARIANTS = {
    "solution": [],
    "no_scaling": [("/ 255", "")],
    "sgd": [("optimizer='adam'", "optimizer='sgd'")],
    "epochs_10": [("EPOCHS = 20", "EPOCHS = 10")],
    "valid_padding": [(", padding='same'", "")],
}


def make_class(folder: Path, count: int) -> None:
    names = list(VARIANTS)
    for index in range(count):
        variant = names[index % len(names)]
        notebook = nbformat.read(SOLUTION, as_version=4)
        for cell in notebook.cells:
            for old, new in VARIANTS[variant]:
                cell.source = cell.source.replace(old, new)
        nbformat.write(notebook, folder / f"s{index:02d}_{variant}.ipynb")


PER_MINUTE_GOAL, FIRST_GOAL_S = 20.0, 10.0


@dataclass(frozen=True)
class Batch:
    wall: float
    first: float
    peak_mb: float
    exit_code: int
    records: list[dict]


def grade_class(folder: Path, out: Path, jobs: int, grader: Path, cache: Path) -> Batch:
    started = time.monotonic()
    batch = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "grader",
            "grade",
            "--assignment",
            "week8",
            "--jobs",
            str(jobs),
            "--out",
            str(out),
            str(folder),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=grader,
        env={**os.environ, "PYTHONPATH": str(grader), CACHE_ENV: str(cache)},
    )
    sampler = PeakSampler(batch, cache)
    sampler.start()
    first = None
    while batch.poll() is None:
        if first is None and out.is_dir() and any(out.glob("*.json")):
            first = time.monotonic() - started
        time.sleep(0.2)
    wall = time.monotonic() - started
    sampler.join()
    records = [json.loads(p.read_text()) for p in out.glob("*.json") if p.name != "results.json"]
    return Batch(wall, first or wall, sampler.peak_mb, batch.returncode, records)


def report(run: Batch, count: int, jobs: int) -> None:
    records = run.records
    statuses = sorted({r["status"] for r in records})
    print(
        f"submissions          {len(records)} of {count} ({', '.join(statuses)}), jobs {jobs}, "
        f"exit {run.exit_code}"
    )
    print(
        f"wall                 {run.wall:6.1f} s   → {60 * len(records) / run.wall:.1f} "
        "submissions per minute "
        f"(goal: at least {PER_MINUTE_GOAL:g})"
    )
    print(f"first result after   {run.first:6.1f} s   (goal: at most {FIRST_GOAL_S:g} s)")
    print(f"peak memory (tree)   {run.peak_mb:,.0f} MB")
    phases = sorted({k for r in records for k in r.get("timings", {})})
    for phase in phases:
        values = [r["timings"][phase] for r in records if phase in r.get("timings", {})]
        print(f"  {phase:<18} median {statistics.median(values):5.1f} s per submission")
    print(
        f"  {'whole submission':<18} median "
        f"{statistics.median(r['duration_s'] for r in records):5.1f} s"
    )


def _spread(values: list[float]) -> str:
    return f"median {statistics.median(values):.1f} (min {min(values):.1f}, max {max(values):.1f})"


def main() -> None:
    options = argparse.ArgumentParser()
    options.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    options.add_argument("--count", type=int, default=20)
    options.add_argument("--runs", type=int, default=1)
    options.add_argument(
        "--against",
        type=Path,
        help="another checkout of the grader, graded alternately with this one",
    )
    args = options.parse_args()
    graders = {"this": ROOT, **({"against": args.against.resolve()} if args.against else {})}
    runs: dict[str, list[tuple[Batch, Batch]]] = {name: [] for name in graders}
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "class"
        folder.mkdir()
        make_class(folder, args.count)
        for index in range(args.runs):
            for name, grader in graders.items():
                # A cache of its own holding only MNIST: every run measures the same architectures
                # anew.
                cache = fresh_cache(Path(scratch) / f"cache-{name}-{index}")
                cold = grade_class(
                    folder, Path(scratch) / f"out-{name}-{index}", args.jobs, grader, cache
                )
                # The same class again with the fork server still running, its measurements
                # forgotten.
                shutil.rmtree(cache / "measurements")
                warm = grade_class(
                    folder, Path(scratch) / f"again-{name}-{index}", args.jobs, grader, cache
                )
                resident.stop_all(cache)  # the next run starts from nothing
                runs[name].append((cold, warm))
                print(
                    f"run {index + 1} {name}: cold {60 * len(cold.records) / cold.wall:.1f} per "
                    f"minute, first {cold.first:.1f} s; "
                    f"server running {60 * len(warm.records) / warm.wall:.1f} per minute, first "
                    f"{warm.first:.1f} s; "
                    f"peak {max(cold.peak_mb, warm.peak_mb):,.0f} MB",
                    flush=True,
                )
    for name, pairs in runs.items():
        print(f"=== {name}: {graders[name]}")
        for number, title in enumerate(
            ("a cold machine (the batch starts the fork server)", "the fork server running")
        ):
            print(f"--- {title}, every measurement new")
            report(pairs[-1][number], args.count, args.jobs)
            if len(pairs) > 1:
                batches = [pair[number] for pair in pairs]
                print(
                    f"  over {len(batches)} runs: per minute "
                    f"{_spread([60 * len(b.records) / b.wall for b in batches])}; "
                    f"first {_spread([b.first for b in batches])} s; peak "
                    f"{_spread([b.peak_mb for b in batches])} MB"
                )


if __name__ == "__main__":
    main()
