"""What the isolation costs per grading: a kernel started and run, confined and not.

Starts the sandbox kernel on a one-cell submission (``import numpy``) ROUNDS times in each
mode, alternating so a noisy machine weighs on both alike, and prints the median wall
time of each and their difference.  "unconfined" is the same fork server and launcher with
every mechanism simulated away (``GRADER_SIMULATE``), so the difference is the namespaces,
Landlock's rules and the seccomp filter.  Each mode has a fork server of its own, started
before the first round (not timed).

    .venv/bin/python bench/isolation_cost.py [ROUNDS]
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.sandbox import isolation  # noqa: E402
from grader.sandbox.runner import Limits, run_submission  # noqa: E402
from grader.submissions.cells import Cell, Submission  # noqa: E402

MODES = {"confined": "", "unconfined": "no-namespaces,landlock-abi=0,no-seccomp"}
BUDGET = {"fit_samples": 32, "validation_samples": 32, "evaluate_samples": 32, "max_epochs": 1}


def _kernel_seconds(simulate: str) -> float:
    os.environ[isolation.SIMULATE_ENV] = simulate
    submission = Submission(Path("bench.py"), (Cell(1, "import numpy"),))
    with tempfile.TemporaryDirectory() as artifacts:
        started = time.monotonic()
        execution = run_submission(
            submission, Path(artifacts), Limits(60, 120, 4000, 65536), BUDGET
        )
        assert execution.status == "completed", execution
        return time.monotonic() - started


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    kernels: dict[str, list[float]] = {mode: [] for mode in MODES}
    for simulate in MODES.values():
        _kernel_seconds(simulate)
    for _ in range(rounds):
        for mode, simulate in MODES.items():
            kernels[mode].append(_kernel_seconds(simulate))
    median = {mode: statistics.median(times) for mode, times in kernels.items()}
    print(f"rounds: {rounds} of each mode, alternating")
    for mode in MODES:
        print(
            f"kernel start + one cell, {mode + ':':<11} median {median[mode]:.3f} s "
            f"(min {min(kernels[mode]):.3f}, max {max(kernels[mode]):.3f})"
        )
    print(
        f"isolation cost per grading:  {1000 * (median['confined'] - median['unconfined']):+.0f} ms"
    )
    os.environ.pop(isolation.SIMULATE_ENV)
    print("this machine, unsimulated:")
    for layer in isolation.expected().layers:
        print(f"  {layer.name + ':':<12} {layer.by}")


if __name__ == "__main__":
    main()
