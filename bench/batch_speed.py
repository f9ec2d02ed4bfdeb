"""Batch throughput: submissions per minute for a class folder on this machine.

Builds a folder of 20 week-8 submissions (copies of the solution and planted-bug
variants), grades it with ``grader grade --jobs N --out DIR``, and prints submissions
per minute, the time to the first result, peak memory of the whole process tree, and
where the time of a submission goes (kernel start-up with imports, student cells,
reading evidence, the grader's own training).

    .venv/bin/python bench/batch_speed.py [--jobs N] [--count 20]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from process_memory import PeakSampler

ROOT = Path(__file__).resolve().parent.parent
SOLUTION = ROOT / "grader/assignments/week8/solution.ipynb"
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


def main() -> None:
    options = argparse.ArgumentParser()
    options.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    options.add_argument("--count", type=int, default=20)
    args = options.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder, out = Path(scratch) / "class", Path(scratch) / "out"
        folder.mkdir()
        make_class(folder, args.count)
        started = time.monotonic()
        batch = subprocess.Popen([sys.executable, "-m", "grader", "grade", "--assignment", "week8", "--jobs", str(args.jobs),
                                  "--out", str(out), str(folder)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        sampler = PeakSampler(batch)
        sampler.start()
        first = None
        while batch.poll() is None:
            if first is None and out.is_dir() and any(out.glob("*.json")):
                first = time.monotonic() - started
            time.sleep(0.2)
        wall = time.monotonic() - started
        sampler.join()
        records = [json.loads(p.read_text()) for p in out.glob("*.json") if p.name != "results.json"]
    statuses = sorted({r["status"] for r in records})
    print(f"submissions          {len(records)} of {args.count} ({', '.join(statuses)}), jobs {args.jobs}, exit {batch.returncode}")
    print(f"wall                 {wall:6.1f} s   → {60 * len(records) / wall:.1f} submissions per minute (aim: 6)")
    print(f"first result after   {first or wall:6.1f} s")
    print(f"peak memory (tree)   {sampler.peak_mb:,.0f} MB")
    phases = sorted({k for r in records for k in r.get("timings", {})})
    for phase in phases:
        values = [r["timings"][phase] for r in records if phase in r.get("timings", {})]
        print(f"  {phase:<18} median {statistics.median(values):5.1f} s per submission")
    print(f"  {'whole submission':<18} median {statistics.median(r['duration_s'] for r in records):5.1f} s")


if __name__ == "__main__":
    main()
