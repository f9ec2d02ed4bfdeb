"""What the isolation costs per grading: a kernel started and run, confined and not.

Starts the sandbox kernel on a one-cell submission (``import numpy``) ROUNDS times in each
mode, alternating so a noisy machine weighs on both alike, and prints the median wall
time of each and their difference.  The modes, each through the same fork server and launcher:

- "confined": every mechanism this machine has;
- "no limits": the same but for the per-kernel limits, simulated away (``no-cgroups,no-tmpfs``:
  no cgroup, no tmpfs), so the difference is what the cgroup and the tmpfs cost; "no cgroup"
  and "no tmpfs" each without one of them;
- "unconfined": every mechanism simulated away (``GRADER_SIMULATE``), so the difference is the
  namespaces, Landlock's rules, the seccomp filter and the limits.

Each mode has a fork server of its own, started before the first round (not timed).  Then the
watchdog's tick (five a second while cells run) is timed on one kernel of each of the first two
modes: its cgroup's events and its tmpfs's use are read on every tick.

``--against DIR`` also times "confined" with another checkout of the grader (``git archive main``
unpacked in DIR), in a process of its own each round, alternating with the modes above: on a
shared, noisy machine only figures measured in the same run compare.

    .venv/bin/python bench/isolation_cost.py [--rounds 5] [--against DIR]
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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.sandbox import isolation, kernel_start  # noqa: E402
from grader.sandbox.runner import Limits, run_submission  # noqa: E402
from grader.sandbox.watchdog import Watchdog  # noqa: E402
from grader.submissions.cells import Cell, Submission  # noqa: E402

MODES = {
    "confined": "",
    "no cgroup": "no-cgroups",
    "no tmpfs": "no-tmpfs",
    "no limits": "no-cgroups,no-tmpfs",
    "unconfined": "no-namespaces,landlock-abi=0,no-seccomp,no-cgroups,no-tmpfs",
}
BUDGET = {"fit_samples": 32, "validation_samples": 32, "evaluate_samples": 32, "max_epochs": 1}
LIMITS = Limits(60, 120, 4000, 65536)
TICKS = 200
# One timed kernel in another checkout, after one untimed (its process connects to its server).
AGAINST = """
import json, sys, tempfile, time
from pathlib import Path
from grader.sandbox.runner import Limits, run_submission
from grader.submissions.cells import Cell, Submission
seconds = []
for _ in range(2):
    with tempfile.TemporaryDirectory() as artifacts:
        started = time.monotonic()
        execution = run_submission(
            Submission(Path("bench.py"), (Cell(1, "import numpy"),)), Path(artifacts),
            Limits(60, 120, 4000, 65536), json.loads(sys.argv[1]))
        assert execution.status == "completed", execution
        seconds.append(time.monotonic() - started)
print(seconds[-1])
"""


def _kernel_seconds(simulate: str) -> float:
    os.environ[isolation.SIMULATE_ENV] = simulate
    submission = Submission(Path("bench.py"), (Cell(1, "import numpy"),))
    with tempfile.TemporaryDirectory() as artifacts:
        started = time.monotonic()
        execution = run_submission(submission, Path(artifacts), LIMITS, BUDGET)
        assert execution.status == "completed", execution
        return time.monotonic() - started


def _against_seconds(checkout: Path) -> float:
    done = subprocess.run(
        [sys.executable, "-c", AGAINST, json.dumps(BUDGET)],
        cwd=checkout,
        env={**os.environ, "PYTHONPATH": str(checkout), isolation.SIMULATE_ENV: ""},
        capture_output=True,
        text=True,
        check=True,
    )
    return float(done.stdout.split()[-1])


def _tick_microseconds(simulate: str) -> float:
    """The watchdog's tick on a kernel that answered, in microseconds (median of ``TICKS``)."""
    os.environ[isolation.SIMULATE_ENV] = simulate
    kernel = kernel_start.start(kernel_start.KernelSettings.of(LIMITS, BUDGET, preload=False))
    try:
        kernel.answer()
        held = kernel.resources
        watchdog = Watchdog(
            kernel.pid,
            LIMITS,
            [kernel.place.root],
            held.group if held.limited else None,
            held.mounted,
            own_time=not held.limited,
        )
        watchdog.cell_started(1)
        times = []
        for _ in range(TICKS):
            started = time.perf_counter()
            watchdog.check(slow=False)
            times.append(time.perf_counter() - started)
        return statistics.median(times) * 1e6
    finally:
        kernel.close()


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--rounds", type=int, default=5)
    options.add_argument("--against", type=Path, help="another checkout of the grader")
    args = options.parse_args()
    kernels: dict[str, list[float]] = {mode: [] for mode in MODES}
    against = f"against {args.against}" if args.against else ""
    if args.against:
        kernels[against] = []
    for simulate in MODES.values():
        _kernel_seconds(simulate)
    for _ in range(args.rounds):
        for mode, simulate in MODES.items():
            kernels[mode].append(_kernel_seconds(simulate))
        if args.against:
            kernels[against].append(_against_seconds(args.against.resolve()))
    median = {mode: statistics.median(times) for mode, times in kernels.items()}
    print(f"rounds: {args.rounds} of each mode, alternating")
    for mode, times in kernels.items():
        print(
            f"kernel start + one cell, {mode + ':':<11} median {median[mode]:.3f} s "
            f"(min {min(times):.3f}, max {max(times):.3f})"
        )
    for mode, what in (
        ("no limits", "cgroup and tmpfs"),
        ("no cgroup", "cgroup"),
        ("no tmpfs", "tmpfs"),
    ):
        print(
            f"the per-kernel {what + ' per grading:':<28} "
            f"{1000 * (median['confined'] - median[mode]):+.0f} ms"
        )
    print(
        "all isolation per grading:                         "
        f"{1000 * (median['confined'] - median['unconfined']):+.0f} ms"
    )
    if args.against:
        print(
            f"this checkout against {args.against}:  "
            f"{1000 * (median['confined'] - median[against]):+.0f} ms"
        )
    for mode in ("confined", "no limits"):
        print(f"watchdog tick, {mode + ':':<10} {_tick_microseconds(MODES[mode]):.0f} µs")
    os.environ.pop(isolation.SIMULATE_ENV)
    print("this machine, unsimulated:")
    for layer in isolation.expected().layers:
        print(f"  {layer.name + ':':<12} {layer.by}")


if __name__ == "__main__":
    main()
