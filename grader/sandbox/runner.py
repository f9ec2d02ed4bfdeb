"""Grader side: run a submission's cells in a fresh kernel, under limits.

The kernel is an ordinary IPython kernel started through ``boot.main`` in a scratch
folder.  Each cell runs with a timeout; a cell that raises is recorded with the student's
own traceback and the next cells still run.  A watchdog thread enforces the time for the
whole submission and the memory of the kernel's process tree; output beyond a cap is
dropped.  The result is plain data (``Execution``); the artifacts the kernel wrote stay
in ``artifacts`` for the grader to read.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError

import grader
from grader.sandbox.boot import CONFIG_ENV
from grader.sandbox.submission import Submission

KERNEL_NAME = "grader-sandbox"
KERNEL_ARGV = [sys.executable, "-c", "import grader.sandbox.boot as b; b.main()", "-f", "{connection_file}"]
FINAL_DUMP = "import grader.sandbox.boot as _grader_boot; _grader_boot.final_dump(globals())"
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
TRACEBACK_LINES = 40
TRUNCATED = "\n[... output truncated by the grader ...]\n"


@dataclass(frozen=True)
class Limits:
    cell_timeout_s: float
    total_timeout_s: float
    memory_mb: int
    output_bytes: int


@dataclass(frozen=True)
class CellError:
    name: str
    value: str
    traceback: str


@dataclass(frozen=True)
class CellRun:
    number: int
    source: str
    # "ok", "error", "timeout", "not_run" (the kernel was gone before it)
    outcome: str
    duration_s: float
    error: CellError | None = None
    output: str = ""


@dataclass(frozen=True)
class Execution:
    # "completed", "timeout" (whole submission), "resource_limit", "kernel_died"
    status: str
    cells: tuple[CellRun, ...]
    duration_s: float
    output_truncated: bool
    detail: str = ""


Progress = Callable[[int, int, float], None]


def _kernel_spec_dir(root: Path, env: dict[str, str]) -> Path:
    spec_dir = root / "kernels" / KERNEL_NAME
    spec_dir.mkdir(parents=True)
    spec = {"argv": KERNEL_ARGV, "display_name": "grader sandbox", "language": "python", "env": env, "interrupt_mode": "message"}
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    return root / "kernels"


def _process_tree(root_pid: int) -> list[int]:
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                ppid = int(f.read().rsplit(b")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        parents.setdefault(ppid, []).append(int(entry))
    tree, todo = [], [root_pid]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(parents.get(pid, []))
    return tree


def _rss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/statm") as f:
                total += int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
    return total / 2**20


class _Watchdog(threading.Thread):
    """Kills the kernel's process tree when it runs too long or uses too much memory."""

    def __init__(self, pid: int, limits: Limits) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.limits = limits
        self.started_at = time.monotonic()
        self.breach: str | None = None
        self.peak_mb = 0.0
        self._stop = threading.Event()

    def run(self) -> None:
        while not self._stop.wait(0.2):
            tree = _process_tree(self.pid)
            self.peak_mb = max(self.peak_mb, _rss_mb(tree))
            if self.peak_mb > self.limits.memory_mb:
                self.breach = "resource_limit"
            elif time.monotonic() - self.started_at > self.limits.total_timeout_s:
                self.breach = "timeout"
            if self.breach:
                kill_tree(self.pid)
                return

    def stop(self) -> None:
        self._stop.set()


def kill_tree(pid: int) -> None:
    for member in reversed(_process_tree(pid)):
        try:
            os.kill(member, signal.SIGKILL)
        except OSError:
            pass


class _CappedClient(NotebookClient):
    """nbclient's client with one change: output past ``output_cap`` bytes is dropped."""

    output_cap = 64 * 1024

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.output_used = 0
        self.truncated = False

    def output(self, outs: list, msg: dict, display_id: str | None, cell_index: int) -> Any:
        size = len(json.dumps(msg.get("content", {}), default=str))
        if self.output_used + size > self.output_cap:
            if not self.truncated:
                self.truncated = True
                outs.append(nbformat.v4.new_output("stream", name="stdout", text=TRUNCATED))
            return None
        self.output_used += size
        return super().output(outs, msg, display_id, cell_index)


def _text_of(outputs: list) -> tuple[str, CellError | None]:
    texts, error = [], None
    for out in outputs:
        if out.get("output_type") == "stream":
            texts.append(out.get("text", ""))
        elif out.get("output_type") == "error":
            trace = "\n".join(ANSI.sub("", line) for line in out.get("traceback", []))
            trace = "\n".join(trace.splitlines()[-TRACEBACK_LINES:])
            error = CellError(out.get("ename", "Error"), str(out.get("evalue", ""))[:2000], trace)
        elif out.get("output_type") in ("execute_result", "display_data"):
            texts.append(str(out.get("data", {}).get("text/plain", "")))
    return "".join(texts)[-4000:], error


def kernel_env(artifacts: Path, budget: dict[str, int]) -> dict[str, str]:
    """Environment added to the kernel's: its configuration and quiet, headless libraries."""
    package_root = str(Path(grader.__file__).resolve().parent.parent)
    return {
        CONFIG_ENV: json.dumps({"artifacts": str(artifacts), "budget": budget}),
        "MPLBACKEND": "Agg",
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "CUDA_VISIBLE_DEVICES": "-1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONPATH": package_root,
    }


def run_submission(
    submission: Submission,
    artifacts: Path,
    limits: Limits,
    budget: dict[str, int],
    progress: Progress | None = None,
) -> Execution:
    """Execute every cell of ``submission``; never raises for anything the student did."""
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="grader-run-") as scratch:
        root = Path(scratch)
        workdir = root / "work"
        workdir.mkdir()
        km = AsyncKernelManager(
            kernel_name=KERNEL_NAME,
            kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(_kernel_spec_dir(root, kernel_env(artifacts, budget)))]),
            transport="ipc",
            ip=str(root / "kernel-ipc"),
        )
        notebook = nbformat.v4.new_notebook()
        notebook.cells = [nbformat.v4.new_code_cell(c.source) for c in submission.cells]
        client = _CappedClient(
            notebook,
            km=km,
            timeout=int(limits.cell_timeout_s),
            interrupt_on_timeout=True,
            error_on_timeout={"ename": "CellTimeout", "evalue": f"the cell ran longer than {limits.cell_timeout_s:g} s", "traceback": []},
            allow_errors=True,
            startup_timeout=60,
            resources={"metadata": {"path": str(workdir)}},
        )
        client.output_cap = limits.output_bytes
        runs: list[CellRun] = []
        status, detail = "completed", ""
        watchdog: _Watchdog | None = None
        # The kernel's own stdout/stderr (TensorFlow's C++ logs) never reach the terminal.
        with client.setup_kernel(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL):
            watchdog = _Watchdog(km.provisioner.process.pid, limits)  # type: ignore[union-attr]
            watchdog.start()
            total = len(submission.cells)
            for index, cell in enumerate(submission.cells):
                if progress is not None:
                    progress(cell.number, total, time.monotonic() - started)
                cell_started = time.monotonic()
                nb_cell = notebook.cells[index]
                try:
                    client.execute_cell(nb_cell, index)
                except DeadKernelError:
                    status = watchdog.breach or "kernel_died"
                    output, error = _text_of(nb_cell.outputs)
                    runs.append(CellRun(cell.number, cell.source, "error", time.monotonic() - cell_started,
                                        error or CellError("DeadKernel", "the kernel stopped while running this cell", ""), output))
                    break
                output, error = _text_of(nb_cell.outputs)
                outcome = "ok" if error is None else "error"
                if time.monotonic() - cell_started >= limits.cell_timeout_s:
                    outcome = "timeout"
                    error = CellError("CellTimeout", f"the cell ran longer than {limits.cell_timeout_s:g} s and was interrupted",
                                      error.traceback if error else "")
                runs.append(CellRun(cell.number, cell.source, outcome, time.monotonic() - cell_started, error, output))
                if outcome == "timeout" and not _responsive(client, notebook):
                    status, detail = "timeout", f"cell {cell.number} ignored the interrupt"
                    break
            if status == "completed":
                dump = nbformat.v4.new_code_cell(FINAL_DUMP)
                notebook.cells.append(dump)
                try:
                    client.execute_cell(dump, len(notebook.cells) - 1)
                    _, error = _text_of(dump.outputs)
                    if error is not None:
                        detail = f"final dump: {error.name}: {error.value}"[:300]
                except DeadKernelError:
                    status = watchdog.breach or "kernel_died"
            watchdog.stop()
            kill_tree(km.provisioner.process.pid)  # type: ignore[union-attr]
        if watchdog is not None and watchdog.breach:
            status = watchdog.breach
        ran = {r.number for r in runs}
        runs.extend(CellRun(c.number, c.source, "not_run", 0.0) for c in submission.cells if c.number not in ran)
        return Execution(status, tuple(runs), time.monotonic() - started, client.truncated, detail)


def _responsive(client: NotebookClient, notebook: Any) -> bool:
    """After an interrupt, does the kernel answer a trivial cell within a few seconds?"""
    probe = nbformat.v4.new_code_cell("pass")
    notebook.cells.append(probe)
    old_timeout = client.timeout
    client.timeout = 5
    started = time.monotonic()
    try:
        client.execute_cell(probe, len(notebook.cells) - 1)
        _, error = _text_of(probe.outputs)
        # A timed-out probe gets a synthetic error reply with no output: judge by the clock.
        return error is None and time.monotonic() - started < client.timeout
    except DeadKernelError:
        return False
    finally:
        client.timeout = old_timeout
        notebook.cells.remove(probe)
