"""A student's laptop: each piece a non-Linux system lacks, simulated away on this Linux
machine with ``GRADER_SIMULATE``, and the fallback that then runs for real: psutil for the
process tree and memory (``no-proc``), a kernel over TCP (``no-ipc``), no launcher
(``not-linux``), a guard without rlimits (``no-resource``); each reported, never a crash."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import psutil
import pytest

from grader.boundary.execution import Execution
from grader.sandbox import isolation
from grader.sandbox.isolation import SIMULATE_ENV, Support
from grader.sandbox.kernel import seccomp
from grader.sandbox.runner import Limits, run_submission
from grader.sandbox.system import processes
from grader.sandbox.watchdog import kill_tree
from grader.submissions.cells import Cell, Submission
from tests.hostile.cases import leftover_processes

ROOT = Path(__file__).resolve().parent.parent
LIMITS = Limits(cell_timeout_s=10, total_timeout_s=40, memory_mb=2000, output_bytes=64 * 1024)
BUDGET = {"fit_samples": 8, "validation_samples": 8, "evaluate_samples": 8, "max_epochs": 2}
LAPTOP = "not-linux,no-proc,no-ipc,no-resource"  # Windows, as far as the sandbox can tell
FULL = Support("pid+net", ("unshare", "--"), 7, True)
ORPHAN = "7651234"


def run(tmp_path: Path, *sources: str, limits: Limits = LIMITS) -> Execution:
    artifacts = tmp_path / "artifacts"
    artifacts.mkdir()
    cells = tuple(Cell(i + 1, s) for i, s in enumerate(sources))
    return run_submission(
        Submission(tmp_path / "x.py", cells), artifacts, limits, BUDGET, preload=False
    )  # these cells never import TensorFlow


def _three_generations() -> subprocess.Popen:
    shell = subprocess.Popen(["sh", "-c", "sh -c 'sleep 30' & wait"])
    deadline = time.monotonic() + 10
    while (
        len(psutil.Process(shell.pid).children(recursive=True)) < 2 and time.monotonic() < deadline
    ):
        time.sleep(0.05)
    return shell


def _no_proc_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    """Simulate a system without /proc, and make sure nothing still reads it."""
    monkeypatch.setenv(SIMULATE_ENV, "no-proc")

    def refuse(*_: object) -> None:
        raise AssertionError("/proc was read with no-proc simulated")

    monkeypatch.setattr(processes, "_listed_children", refuse)
    monkeypatch.setattr(processes, "_scanned_children", refuse)
    monkeypatch.setattr(processes, "_is_zombie", refuse)


def test_without_proc_the_tree_and_its_memory_come_from_psutil_and_agree_with_proc(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The same tree; its memory is resident pages through psutil, and at most that from ``/proc``
    (which counts a page shared with another process in proportion)."""
    shell = _three_generations()
    try:
        from_proc, memory_from_proc = (
            processes.process_tree(shell.pid),
            processes.memory_mb([shell.pid]),
        )
        _no_proc_reading(monkeypatch)
        from_psutil, memory_from_psutil = (
            processes.process_tree(shell.pid),
            processes.memory_mb([shell.pid]),
        )
        assert len(from_psutil) == 3 and from_psutil[0] == shell.pid
        assert sorted(from_psutil) == sorted(from_proc)
        assert 0 < memory_from_proc <= memory_from_psutil
    finally:
        monkeypatch.undo()
        kill_tree(shell.pid)
        shell.wait()


def test_without_proc_the_whole_tree_is_stopped_and_killed_through_psutil(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    shell = _three_generations()
    below = [p.pid for p in psutil.Process(shell.pid).children(recursive=True)]
    _no_proc_reading(monkeypatch)
    kill_tree(shell.pid)
    shell.wait(timeout=10)
    deadline = time.monotonic() + 5
    while processes.living(below) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not processes.living(below)


def test_over_tcp_the_probe_never_chooses_a_network_namespace(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(isolation, "_runs", lambda prefix: True)
    isolation._probe.cache_clear()
    try:
        monkeypatch.setenv(SIMULATE_ENV, "no-ipc")
        support = isolation.probe()
        assert support.namespaces == "pid" and "--net" not in support.prefix and not support.ipc
        monkeypatch.setenv(SIMULATE_ENV, "")
        assert isolation.probe().namespaces == "pid+net"
    finally:
        isolation._probe.cache_clear()


def test_off_linux_every_layer_is_reported_missing_with_why_and_there_is_no_launcher() -> None:
    laptop = Support("", (), 0, False, linux=False, proc=False, ipc=False, rlimits=False)
    held = isolation.assess(
        {
            "landlock": {"abi": 7},
            "seccomp": True,
            "no_new_privs": True,
            "capabilities_dropped": True,
        },
        laptop,
    )
    assert list(held.missing) == list(isolation.LAYERS)
    assert all("not Linux" in layer.by for layer in held.layers[:4])
    assert "resource" in held.layers[4].by and "psutil" in held.layers[4].by


def test_the_watchdog_stops_a_memory_hog_through_psutil_without_rlimits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No /proc and no ``resource``: the kernel sets no RLIMIT_DATA, so only the watchdog,
    reading the tree's memory through psutil, can stop the allocation."""
    monkeypatch.setenv(SIMULATE_ENV, "no-proc,no-resource")
    limits = Limits(cell_timeout_s=20, total_timeout_s=30, memory_mb=300, output_bytes=65536)
    result = run(
        tmp_path,
        "import resource\nprint(resource.getrlimit(resource.RLIMIT_DATA)[0])",
        "import time\nblocks = [b'x' * (50 * 2**20) for _ in range(12)]\ntime.sleep(15)",
        limits=limits,
    )
    assert result.cells[0].output.strip() == str(-1)  # the guard set no limit, and did not crash
    assert result.status == "resource_limit" and "memory" in result.detail, (
        result.status,
        result.detail,
    )
    assert result.isolation is not None
    limits_layer = {layer.name: layer for layer in result.isolation.layers}["limits"]
    assert not limits_layer.held and "psutil" in limits_layer.by and "resource" in limits_layer.by


@pytest.mark.skipif(not seccomp.supported(), reason="the filter is written for x86_64 and aarch64")
def test_a_kernel_over_tcp_runs_and_nothing_it_starts_connects(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SIMULATE_ENV, "no-ipc")
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        second_python = (
            f"import socket\ntry:\n    socket.create_connection(('127.0.0.1', {port}), timeout=3)\n"
            "    print('connected')\nexcept OSError as exc:\n    print(type(exc).__name__)"
        )
        result = run(
            tmp_path,
            "import json, sys\nprint(json.load(open(sys.argv[-1]))['transport'])",
            "import subprocess, sys\nprint(subprocess.run([sys.executable, '-c', "
            f"{second_python!r}], "
            "capture_output=True, text=True).stdout)",
        )
    assert result.status == "completed", result.detail
    assert [c.output.strip() for c in result.cells] == ["tcp", "PermissionError"]
    assert result.isolation is not None
    network = {layer.name: layer for layer in result.isolation.layers}["network"]
    assert network.held and "seccomp" in network.by and "TCP on 127.0.0.1" in network.by
    assert "network namespace +" not in network.by


def test_off_linux_the_kernel_runs_unconfined_is_reported_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every piece a Windows laptop lacks, at once: no launcher between the grader and the
    kernel, TCP, psutil, no rlimits; the guard still refuses a signal to the grader, the
    watchdog still kills what the notebook started, and the record says what was missing."""
    monkeypatch.setenv(SIMULATE_ENV, LAPTOP)
    result = run(
        tmp_path,
        "import os\nprint(os.getppid())",
        "import os, signal\nos.kill(os.getppid(), signal.SIGCONT)",
        f"import subprocess\nchild = subprocess.Popen(['sleep', '{ORPHAN}'])\nprint('started')",
    )
    assert result.status == "completed", result.detail
    assert result.cells[0].output.strip() == str(
        os.getpid()
    )  # the grader started the kernel itself
    assert result.cells[1].error is not None and result.cells[1].error.name == "PermissionError"
    assert result.cells[2].output.strip() == "started"
    assert not leftover_processes(ORPHAN)
    assert result.isolation is not None and list(result.isolation.missing) == list(isolation.LAYERS)
    assert all(layer.by.startswith("missing: ") for layer in result.isolation.layers)


def test_the_doctor_names_each_missing_piece_on_a_laptop_and_does_not_crash(tmp_path: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT), COLUMNS="200", **{SIMULATE_ENV: LAPTOP})
    done = subprocess.run(
        [sys.executable, "-m", "grader", "doctor"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    for layer in isolation.LAYERS:
        assert f"✘ {layer}" in done.stdout
    for piece in (
        "This is not Linux",
        "TCP on 127.0.0.1",
        "through psutil",
        "no `resource` module",
    ):
        assert piece in done.stdout, piece
    assert "(simulated: not-linux" in done.stdout


@pytest.mark.slow
def test_a_students_self_check_on_a_laptop_grades_and_its_record_names_every_missing_layer(
    tmp_path: Path,
) -> None:
    """The front end a student runs (``pytest --assignment``), with every piece a Windows
    laptop lacks simulated away: it grades, and the record and the report say what was missing."""
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell("print('hello')")]
    nbformat.write(notebook, tmp_path / "mine.ipynb")
    env = dict(os.environ, PYTHONPATH=str(ROOT), COLUMNS="200", **{SIMULATE_ENV: LAPTOP})
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "--assignment=week8",
            "--submission",
            "mine.ipynb",
            "--lang",
            "en",
            "--grader-out",
            "out",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=tmp_path,
    )
    assert "Traceback" not in done.stdout + done.stderr, done.stdout[-3000:]
    record = json.loads((tmp_path / "out" / "mine.json").read_text())
    assert record["status"] == "graded"
    assert [name for name, layer in record["isolation"].items() if not layer["held"]] == list(
        isolation.LAYERS
    )
    assert (
        "not Linux" in record["isolation"]["network"]["by"]
        and "psutil" in record["isolation"]["limits"]["by"]
    )
    assert "could not isolate the student's code completely" in done.stdout
