"""How long grading the week-8 lecture notebook takes, against executing it in full.

Grades the notebook three times in a fresh cache folder holding only MNIST (copied from your
cache): first on a cold machine (no resident fork server: the grading starts it, and no
measurement kept: a new architecture), then again (the server running, the measurement
reused), then with the measurements removed (a new architecture, the server running: the
case of a machine that graded anything in the last minutes). For each it prints the wall
time from command to report beside the goal, the peak memory (the command's processes, the
student's kernel and the resident server, as PSS) and where the time goes; then the ratio
against the 854 s a full ``jupyter execute`` of the lecture notebook takes on 2 cores.

``--against DIR`` grades with another checkout of the grader too (``git archive main``
unpacked in DIR), alternating with this one, ``--runs N`` times each: on a shared, noisy
machine only figures measured in the same run compare.

    .venv/bin/python bench/grading_speed.py [NOTEBOOK] [--runs 3] [--against DIR]
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
    done = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "grader",
            "grade",
            "--assignment",
            "week8",
            "--out",
            str(out),
            str(notebook),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=grader,
        env={**os.environ, CACHE_ENV: str(cache), "PYTHONPATH": str(grader)},
    )
    sampler = PeakSampler(done, cache)
    sampler.start()
    done.wait()
    wall = time.monotonic() - started
    sampler.join()
    return Graded(
        wall, sampler.peak_mb, done.returncode, json.loads(next(out.glob("*.json")).read_text())
    )


NEW_GOAL_S, AGAIN_GOAL_S, PEAK_GOAL_MB = 8.0, 6.0, 1500.0


def report(title: str, run: Graded, goal_s: float) -> None:
    record = run.record
    cells = {c["cell"]: c["duration_s"] for c in record.get("cells", [])}
    print(title)
    print(
        f"  status / score      {record['status']} {record['score']:g}/{record['max_score']:g} "
        f"(exit {run.exit_code})"
    )
    print(f"  wall, command→report {run.wall:6.1f} s   (goal: at most {goal_s:g} s)")
    print(
        f"  student cells        {sum(cells.values()):6.1f} s   (slowest: cell "
        f"{max(cells, key=lambda c: cells[c])} {max(cells.values()):.1f} s)"
    )
    print(f"  grader's training    {record.get('measured', {}).get('accuracy')!s:>6} accuracy")
    print("  where the time goes  " + ", ".join(f"{k} {v:.1f} s" for k, v in _where(run).items()))
    print(
        f"  peak memory, grader + kernel together {run.peak_mb:,.0f} MB   (goal: at most "
        f"{PEAK_GOAL_MB:,.0f} MB)"
    )


def _where(run: Graded) -> dict[str, float]:
    """Each second of the wall time: the record's phases (``kernel`` is the wait for the kernel to
    answer), the rest of the grading (reading, dataset, checks), and the command around it
    (Python, the grader's imports, the report and files)."""
    timings = run.record.get("timings", {})
    graded = float(run.record.get("duration_s", 0.0))
    return {
        **timings,
        "reading, dataset, checks": graded - sum(timings.values()),
        "command around it": run.wall - graded,
    }


def _spread(values: list[float]) -> str:
    return f"median {statistics.median(values):5.1f} (min {min(values):.1f}, max {max(values):.1f})"


def main() -> None:
    options = argparse.ArgumentParser()
    options.add_argument(
        "notebook",
        nargs="?",
        type=Path,
        default=ROOT / "assignments/week8/examples/lecture.ipynb",
    )
    options.add_argument("--runs", type=int, default=1)
    options.add_argument(
        "--against",
        type=Path,
        help="another checkout of the grader, graded alternately with this one",
    )
    args = options.parse_args()
    graders = {"this": ROOT, **({"against": args.against.resolve()} if args.against else {})}
    runs: dict[str, list[tuple[Graded, Graded, Graded]]] = {name: [] for name in graders}
    for index in range(args.runs):
        for name, grader in graders.items():
            with tempfile.TemporaryDirectory() as scratch:
                cache = fresh_cache(Path(scratch) / "cache")
                cold = grade(args.notebook, cache, Path(scratch) / "cold", grader)
                again = grade(args.notebook, cache, Path(scratch) / "again", grader)
                shutil.rmtree(cache / "measurements")
                new = grade(args.notebook, cache, Path(scratch) / "new", grader)
                resident.stop_all(Path(scratch))  # the next run starts from nothing
            runs[name].append((cold, again, new))
            print(
                f"run {index + 1} {name} ({grader}): cold {cold.wall:.1f} s, again "
                f"{again.wall:.1f} s, new {new.wall:.1f} s, "
                f"peak {max(g.peak_mb for g in (cold, again, new)):,.0f} MB",
                flush=True,
            )
    print(f"notebook {args.notebook.name}")
    titles = (
        "a cold machine: no fork server running, a new architecture",
        "the same again, the measurement reused",
        "a new architecture, the fork server running",
    )
    for name, triples in runs.items():
        print(f"=== {name}: {graders[name]}")
        for number, (title, goal) in enumerate(zip(titles, (NEW_GOAL_S, AGAIN_GOAL_S, NEW_GOAL_S))):
            report(title, triples[-1][number], goal)
        if len(triples) > 1:
            print(
                f"  over {len(triples)} runs: "
                + "; ".join(
                    f"{label} {_spread([t[number].wall for t in triples])} s"
                    for number, label in enumerate(("cold", "again", "new"))
                )
            )
            print(
                "  peak memory: "
                + "; ".join(
                    f"{label} {_spread([t[number].peak_mb for t in triples])} MB"
                    for number, label in enumerate(("cold", "again", "new"))
                )
            )
            for phase in _where(triples[0][0]):
                print(
                    f"    {phase:<26} "
                    + "; ".join(
                        f"{label} {_spread([_where(t[number]).get(phase, 0.0) for t in triples])} s"
                        for number, label in enumerate(("cold", "again", "new"))
                    )
                )
        print(
            f"  speed-up vs full execution ({FULL_EXECUTION_S:.0f} s): "
            f"{FULL_EXECUTION_S / triples[-1][1].wall:.0f}x"
        )


if __name__ == "__main__":
    main()
