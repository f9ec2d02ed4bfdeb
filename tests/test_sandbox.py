"""Running student code: errors, hangs, exits, floods and sockets are contained and reported."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest

from grader.sandbox.runner import Limits, run_submission
from grader.sandbox.system.processes import CHILDREN_LISTED, process_tree
from grader.sandbox.watchdog import kill_tree
from grader.submissions.cells import Cell, InvalidSubmission, Submission, read_submission

LIMITS = Limits(cell_timeout_s=3, total_timeout_s=20, memory_mb=2000, output_bytes=64 * 1024)
BUDGET = {"fit_samples": 8, "validation_samples": 8, "evaluate_samples": 8, "max_epochs": 2}


def run(tmp_path: Path, *sources: str, limits: Limits = LIMITS):
    cells = tuple(Cell(i + 1, s) for i, s in enumerate(sources))
    artifacts = tmp_path / "artifacts"
    artifacts.mkdir()
    return run_submission(
        Submission(tmp_path / "x.py", cells), artifacts, limits, BUDGET, preload=False
    )  # these cells never import TensorFlow


@pytest.mark.slow
def test_a_raising_cell_is_reported_and_the_next_cells_run(tmp_path) -> None:
    result = run(tmp_path, "x = 1", "1/0", "print(x + 1)")
    assert result.status == "completed"
    assert [c.outcome for c in result.cells] == ["ok", "error", "ok"]
    assert (
        result.cells[1].error.name == "ZeroDivisionError"
        and "1/0" in result.cells[1].error.traceback
    )
    assert result.cells[2].output.strip() == "2"


@pytest.mark.slow
def test_a_hanging_cell_is_interrupted_and_the_rest_still_runs(tmp_path) -> None:
    started = time.monotonic()
    result = run(tmp_path, "import time\ntime.sleep(10**6)", "print('after')")
    assert [c.outcome for c in result.cells] == ["timeout", "ok"]
    assert time.monotonic() - started < LIMITS.cell_timeout_s + 15


@pytest.mark.slow
def test_a_cell_that_ignores_interrupts_ends_as_timeout(tmp_path) -> None:
    source = "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass"
    started = time.monotonic()
    result = run(tmp_path, source, "print('never')")
    assert result.status == "timeout"
    assert result.cells[1].outcome == "not_run"
    assert time.monotonic() - started < LIMITS.cell_timeout_s + 20


@pytest.mark.slow
@pytest.mark.parametrize(
    ("limits", "source", "status"),
    [
        pytest.param(
            Limits(cell_timeout_s=30, total_timeout_s=4, memory_mb=2000, output_bytes=65536),
            "import time\ntime.sleep(60)",
            "timeout",
            id="the_whole_submission_has_a_time_limit",
        ),
        pytest.param(
            Limits(cell_timeout_s=20, total_timeout_s=30, memory_mb=400, output_bytes=65536),
            "import time\nblock = bytearray(800 * 2**20)\ntime.sleep(10)",
            "resource_limit",
            id="a_memory_hog_is_stopped",
        ),
    ],
)
def test_a_limit_of_the_whole_run_stops_it(
    tmp_path, limits: Limits, source: str, status: str
) -> None:
    assert run(tmp_path, source, limits=limits).status == status


@pytest.mark.slow
def test_exiting_the_kernel_is_a_status_not_a_crash(tmp_path) -> None:
    result = run(tmp_path, "print('before')", "import os\nos._exit(0)", "print('after')")
    assert result.status == "kernel_died"
    assert [c.outcome for c in result.cells] == ["ok", "error", "not_run"]


@pytest.mark.slow
def test_output_is_capped(tmp_path) -> None:
    result = run(tmp_path, "for _ in range(20_000):\n    print('x' * 1000)", "print('done')")
    assert result.output_truncated
    assert sum(len(c.output) for c in result.cells) < 70 * 1024


@pytest.mark.slow
def test_student_code_cannot_open_network_connections(tmp_path) -> None:
    result = run(tmp_path, "import socket\nsocket.create_connection(('127.0.0.1', 9), timeout=1)")
    assert result.cells[0].error is not None
    assert "network access is disabled" in result.cells[0].error.value


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b'{"cells": [', "submission.not_json"),
        (b"[]", "submission.not_notebook"),
        (b"", "submission.empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00junk", "submission.binary"),
        (
            json.dumps(
                {
                    "cells": [{"cell_type": "markdown", "source": "hi", "metadata": {}}],
                    "metadata": {},
                    "nbformat": 4,
                    "nbformat_minor": 5,
                }
            ).encode(),
            "submission.empty",
        ),
    ],
)
def test_malformed_notebooks_are_refused_with_a_reason(
    tmp_path, content: bytes, reason: str
) -> None:
    path = tmp_path / "bad.ipynb"
    path.write_bytes(content)
    with pytest.raises(InvalidSubmission) as info:
        read_submission(path)
    assert info.value.reason == reason


def test_a_module_is_split_at_percent_markers(tmp_path) -> None:
    path = tmp_path / "student.py"
    path.write_text("import math\n# %%\nx = math.pi\n# %% [markdown]\n\n# %%\nprint(x)\n")
    cells = read_submission(path).cells
    assert [c.number for c in cells] == [1, 2, 3, 4]
    assert "print(x)" in cells[-1].source


@pytest.mark.skipif(not CHILDREN_LISTED, reason="this kernel keeps no children lists in /proc")
def test_the_process_tree_reaches_grandchildren_both_ways_it_reads_proc() -> None:
    # A shell whose background child starts a grandchild: three generations below this test.
    shell = subprocess.Popen(["sh", "-c", "sh -c 'sleep 30' & wait"])
    try:
        deadline = time.monotonic() + 10
        while len(process_tree(shell.pid)) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        listed, scanned = (
            process_tree(shell.pid, listed=True),
            process_tree(shell.pid, listed=False),
        )
        assert len(listed) == 3 and listed[0] == shell.pid
        assert sorted(listed) == sorted(scanned)
    finally:
        kill_tree(shell.pid)
        shell.wait()
