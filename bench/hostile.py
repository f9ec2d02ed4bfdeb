"""Grade every hostile and broken submission and print the figures issue 7 asks for.

    PYTHONPATH=. python bench/hostile.py [--jobs 2]

Prints one line per case, then: the cases tried, how many got the right status, grader
tracebacks (must be 0), processes left behind (must be 0), and the worst time to a
verdict next to its bound (the whole-notebook limit plus start-up and measurement slack).
The cases and their limits are those of ``tests/hostile/cases.py``; the grader faults
(dataset missing or damaged, cache unwritable) are graded in this process.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.sandbox.isolation import expected as expected_isolation  # noqa: E402
from tests.hostile import cases as hostile  # noqa: E402


class _CpuMeter(threading.Thread):
    """Sums the CPU time of this process's descendants (grader processes and kernels),
    sampled from ``/proc``: kernels are not always reaped, so rusage would miss them."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.seen: dict[tuple[int, int], float] = {}
        self.done = threading.Event()
        self.tick = os.sysconf("SC_CLK_TCK")

    def run(self) -> None:
        from grader.sandbox.system.processes import process_tree

        while not self.done.wait(0.2):
            for pid in process_tree(os.getpid())[1:]:
                try:
                    fields = Path(f"/proc/{pid}/stat").read_bytes().rsplit(b")", 1)[1].split()
                except OSError:
                    continue
                self.seen[(pid, int(fields[19]))] = (int(fields[11]) + int(fields[12])) / self.tick

    @property
    def seconds(self) -> float:
        return sum(self.seen.values())


def _fault(
    name: str, setting: Callable[[Path], AbstractContextManager[object]], folder: Path
) -> tuple[str, str, bool, float]:
    """Grade a plain submission while ``setting`` breaks the grader's environment."""
    import grader.engine
    from grader.course.assignment import load_assignment
    from grader.messages import render

    submission = folder / f"{name}.py"
    submission.write_text("print('hello')\n")
    grader.engine._dataset.cache_clear()
    started = time.monotonic()
    with setting(folder):
        record = grader.engine.grade(submission, load_assignment("week8"))
    grader.engine._dataset.cache_clear()
    message = render(record.error, "en") if record.error else None
    clear = (
        bool(message and "grader data mnist" in message.found + message.fix)
        and record.grader_traceback is None
    )
    return record.status, message.found[:90] if message else "", clear, time.monotonic() - started


def _missing(folder: Path) -> AbstractContextManager[object]:
    return mock.patch.dict(
        os.environ, {"GRADER_CACHE_DIR": str(folder / "empty"), "PIP_NO_INDEX": "1"}
    )


def _damaged(folder: Path) -> AbstractContextManager[object]:
    (folder / "damaged").mkdir()
    (folder / "damaged" / "mnist.npz").write_bytes(b"PK\x03\x04 not a zip")
    return mock.patch.dict(os.environ, {"GRADER_CACHE_DIR": str(folder / "damaged")})


def _unwritable(folder: Path) -> AbstractContextManager[object]:
    import contextlib

    import grader.datasets.cache as cache

    real = cache.load("mnist")
    (folder / "a-file").write_text("not a folder")
    stack = contextlib.ExitStack()
    stack.enter_context(
        mock.patch.object(
            cache,
            "fetch_default",
            lambda spec: (real.x_train, real.y_train, real.x_test, real.y_test),
        )
    )
    stack.enter_context(
        mock.patch.dict(os.environ, {"GRADER_CACHE_DIR": str(folder / "a-file" / "cache")})
    )
    return stack


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2, help="parallel grader processes (default 2)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hostile-bench-") as tmp, socket.socket() as listener:
        folder = Path(tmp)
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        out = folder / "out"
        out.mkdir()
        paths = hostile.write_cases(folder / "submissions", out, listener.getsockname()[1])
        meter = _CpuMeter()
        meter.start()
        graded = hostile.grade(
            list(paths.values()),
            out,
            hostile.write_assignment(folder / "assignments"),
            jobs=args.jobs,
        )
        meter.done.set()
        rows = []
        for case in hostile.cases(out):
            record = graded.records.get(Path(case.file).stem)
            problems = hostile.problems(case, record)
            rows.append(
                (
                    case.name,
                    record["status"] if record else "-",
                    case.status,
                    not problems,
                    record["duration_s"] if record else float("nan"),
                    "; ".join(problems)[:90],
                )
            )
        faults = folder / "faults"
        faults.mkdir()
        for name, setting in (
            ("g_dataset_missing", _missing),
            ("g_dataset_damaged", _damaged),
            ("g_cache_unwritable", _unwritable),
        ):
            status, message, clear, seconds = _fault(name, setting, faults)
            right = status == "grader_error" and clear
            rows.append(
                (name, status, "grader_error", right, round(seconds, 2), "" if right else message)
            )
        tracebacks = sum(log.count(hostile.GRADER_TRACEBACK) for log in graded.logs)
        tracebacks += sum("grader_traceback" in r for r in graded.records.values())
        leftovers = hostile.leftover_processes()
    width = max(len(r[0]) for r in rows)
    print(f"{'case':<{width}}  {'status':<18} {'expected':<18} ok  seconds  problems")
    for name, status, expected, right, seconds, problems in rows:
        print(
            f"{name:<{width}}  {status:<18} {expected:<18} {'yes' if right else 'NO ':<3} "
            f"{seconds:7.1f}  {problems}"
        )
    hostile_times = [r[4] for r in rows if r[4] == r[4]]  # NaN: no record
    bound = hostile.TOTAL_S + hostile.GRACE_S
    print()
    print(f"cases tried:                 {len(rows)}")
    print(f"right status and message:    {sum(r[3] for r in rows)}")
    print(f"grader tracebacks:           {tracebacks}")
    print(f"processes left behind:       {len(leftovers)}")
    for layer in expected_isolation().layers:
        print(f"isolation, {layer.name + ':':<16} {layer.by}")
    print(
        f"worst time to a verdict:     {max(hostile_times):.1f} s (bound: {hostile.TOTAL_S} s "
        "whole-notebook limit "
        f"+ {hostile.GRACE_S} s slack = {bound} s; cell limit {hostile.CELL_S} s)"
    )
    print(
        f"wall time for the batch:     {graded.wall_s:.0f} s with {args.jobs} grader processes, "
        f"about {meter.seconds:.0f} CPU s (grader processes and kernels)"
    )
    ok = (
        all(r[3] for r in rows)
        and tracebacks == 0
        and not leftovers
        and max(hostile_times) <= bound
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
