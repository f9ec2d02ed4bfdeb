"""How long grading the week-8 lecture notebook takes, against executing it in full.

Prints the wall time from command to report, the grader's peak memory (its own process
and the student's kernel, measured by the OS), and the ratio against the 854 s a full
``jupyter execute`` of the lecture notebook takes on 2 cores.

    .venv/bin/python bench/grading_speed.py [NOTEBOOK]
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from process_memory import PeakSampler

ROOT = Path(__file__).resolve().parent.parent
FULL_EXECUTION_S = 854.0  # jupyter execute of the lecture notebook as written, 2 cores


def main() -> None:
    notebook = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "grader/assignments/week8/examples/lecture.ipynb"
    with tempfile.TemporaryDirectory() as out:
        started = time.monotonic()
        done = subprocess.Popen([sys.executable, "-m", "grader", "grade", "--assignment", "week8", "--out", out, str(notebook)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        sampler = PeakSampler(done)
        sampler.start()
        done.wait()
        wall = time.monotonic() - started
        sampler.join()
        record = json.loads(next(Path(out).glob("*.json")).read_text())
    cells = {c["cell"]: c["duration_s"] for c in record.get("cells", [])}
    print(f"notebook            {notebook.name}")
    print(f"status / score      {record['status']} {record['score']:g}/{record['max_score']:g} (exit {done.returncode})")
    print(f"wall, command→report {wall:6.1f} s   (goal 30 s, limit 60 s)")
    print(f"student cells        {sum(cells.values()):6.1f} s   (slowest: cell {max(cells, key=cells.get)} {max(cells.values()):.1f} s)")
    print(f"grader's training    {record.get('measured', {}).get('accuracy')!s:>6} accuracy")
    timings = record.get("timings", {})
    print("where the time goes  " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()))
    print(f"peak memory, grader + kernel together {sampler.peak_mb:,.0f} MB   (limit 2,000 MB)")
    print(f"speed-up vs full execution ({FULL_EXECUTION_S:.0f} s): {FULL_EXECUTION_S / wall:.0f}x")


if __name__ == "__main__":
    main()
