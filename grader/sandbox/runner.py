"""Grader side: run a submission's cells in a fresh kernel, under limits.

The kernel is an ordinary IPython kernel started through ``boot.main`` in a scratch
folder (its cwd, a fresh HOME and TMPDIR, and a ``sys.path`` holding only the ``grader``
package), with an allowlisted environment and, where the machine allows, no network.  Each cell runs with a timeout; a cell that
raises is recorded with the student's own traceback and the next cells still run.  A
watchdog thread enforces, from outside, the time for the whole submission and the
memory, process count and disk use of the kernel's process tree; output beyond a cap is
dropped.  ``guard`` adds fast refusals inside the kernel.  The result is plain data
(``Execution``); the artifacts the kernel wrote stay in ``artifacts`` for the grader.
"""

from __future__ import annotations

import functools
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError

import grader
from grader.datasets import cache_dir
from grader.sandbox import guard
from grader.sandbox.guard import process_tree
from grader.sandbox.boot import CONFIG_ENV
from grader.sandbox.submission import Submission

KERNEL_NAME = "grader-sandbox"
KERNEL_ARGV = [sys.executable, "-c", "import grader.sandbox.boot as b; b.main()", "-f", "{connection_file}"]
FINAL_DUMP = "import grader.sandbox.boot as _grader_boot; _grader_boot.final_dump(globals())"
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
TRACEBACK_LINES = 40
TRUNCATED = "\n[... output truncated by the grader ...]\n"
# Every process the kernel starts inherits this variable; escaped ones are found by it.
RUN_ENV = "GRADER_RUN"
ENV_ALLOWED = frozenset({"PATH", "LANG", "LANGUAGE", "TZ", "HOME", "USER", "LOGNAME", "TERM", "LD_LIBRARY_PATH",
                         "PYTHONHASHSEED", "KERAS_BACKEND", "KERAS_HOME", "MPLCONFIGDIR", "TF_ENABLE_ONEDNN_OPTS",
                         "TF_NUM_INTEROP_THREADS", "TF_NUM_INTRAOP_THREADS", "TF_DETERMINISTIC_OPS"})
ENV_ALLOWED_PREFIXES = ("LC_", "GRADER_", "XDG_", "OMP_", "MKL_", "OPENBLAS_", "CUDA_")
# Folders and packages the student's code must not read: the reference solution, the
# solution notebooks and assignment settings.
PROTECTED_FOLDERS = ("reference", "assignments")
PROTECTED_MODULES = ("reference",)
DISK_SCAN_EVERY = 5
MAX_SCANNED_FILES = 20_000


@dataclass(frozen=True)
class Limits:
    cell_timeout_s: float
    total_timeout_s: float
    memory_mb: int
    output_bytes: int
    # The most the kernel may write (each file, and its scratch folders together).
    disk_mb: int = 2000
    # The most processes in the kernel's tree at once (the kernel included).
    max_processes: int = 64


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


@functools.cache
def network_isolation() -> list[str]:
    """The command prefix that starts the kernel without a network, if this machine allows it.

    ``unshare --net`` gives the kernel (and every process it starts, shell commands
    included) a network namespace with no interfaces; the kernel still talks to the grader
    over ``ipc`` sockets, which are files.  It needs root or unprivileged user namespaces;
    without either, only the kernel's audit hook refuses connections (Python code only).
    """
    for prefix in (["unshare", "--net", "--"], ["unshare", "--net", "--map-root-user", "--"]):
        try:
            if subprocess.run([*prefix, "true"], capture_output=True, timeout=10).returncode == 0:
                return prefix
        except (OSError, subprocess.SubprocessError):
            continue
    return []


def _kernel_spec_dir(root: Path, env: dict[str, str]) -> Path:
    spec_dir = root / "kernels" / KERNEL_NAME
    spec_dir.mkdir(parents=True)
    spec = {"argv": network_isolation() + KERNEL_ARGV, "display_name": "grader sandbox", "language": "python", "env": env, "interrupt_mode": "message"}
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    return root / "kernels"


def rss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/statm") as f:
                total += int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
    return total / 2**20


def _disk_mb(folders: list[Path]) -> float | None:
    """Bytes under ``folders`` in MiB; ``None`` when they hold too many files to count."""
    total, seen, todo = 0, 0, [str(f) for f in folders]
    while todo:
        try:
            with os.scandir(todo.pop()) as entries:
                for entry in entries:
                    seen += 1
                    if seen > MAX_SCANNED_FILES:
                        return None
                    if entry.is_dir(follow_symlinks=False):
                        todo.append(entry.path)
                    elif entry.is_file(follow_symlinks=False):
                        total += entry.stat(follow_symlinks=False).st_blocks * 512
        except OSError:
            continue
    return total / 2**20


class _Watchdog(threading.Thread):
    """Kills the kernel's process tree when it runs too long or uses too much memory,
    too many processes or too much disk."""

    def __init__(self, pid: int, limits: Limits, run_token: str, folders: list[Path]) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.limits = limits
        self.run_token = run_token
        self.folders = folders
        self.started_at = time.monotonic()
        self.breach: str | None = None
        self.detail = ""
        self.peak_mb = 0.0
        self._stop = threading.Event()

    def run(self) -> None:
        ticks = 0
        while not self._stop.wait(0.2):
            ticks += 1
            # Slower scans once a second: the disk, and processes that left the tree.
            self.check(slow=ticks % DISK_SCAN_EVERY == 0)
            if self.breach:
                kill_tree(self.pid, self.run_token)
                return

    def check(self, slow: bool = True, running: bool = True) -> None:
        """Set ``breach`` and ``detail`` if a limit is exceeded now (time only while ``running``)."""
        tree = process_tree(self.pid)
        self.peak_mb = max(self.peak_mb, rss_mb(tree))
        disk: float | None = 0.0
        processes = len(tree)
        if slow:
            disk, processes = _disk_mb(self.folders), len(set(tree) | set(_carrying(self.run_token)))
        if not self.breach:
            if self.peak_mb > self.limits.memory_mb:
                self.breach, self.detail = "resource_limit", f"more than {self.limits.memory_mb} MB of memory"
            elif processes > self.limits.max_processes:
                self.breach, self.detail = "resource_limit", f"more than {self.limits.max_processes} processes"
            elif disk is None or disk > self.limits.disk_mb:
                self.breach, self.detail = "resource_limit", f"more than {self.limits.disk_mb} MB (or {MAX_SCANNED_FILES} files) on disk"
            elif running and time.monotonic() - self.started_at > self.limits.total_timeout_s:
                self.breach, self.detail = "timeout", f"the whole notebook ran longer than {self.limits.total_timeout_s:g} s"

    def stop(self) -> None:
        self._stop.set()


def _carrying(token: str) -> list[int]:
    """Processes whose environment holds ``RUN_ENV=token`` (escaped double forks too)."""
    needle = f"{RUN_ENV}={token}".encode()
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/environ", "rb") as f:
                    if needle in f.read().split(b"\0"):
                        found.append(int(entry))
            except OSError:
                continue
    return found


def kill_tree(pid: int, run_token: str | None = None) -> None:
    """Stop, then kill, the kernel's tree and every process of its run, until none is left.

    Members are stopped first so that a fork loop cannot outpace the killing.
    """
    for _ in range(50):
        members = set(process_tree(pid)) | (set(_carrying(run_token)) if run_token else set())
        members = {m for m in members if os.path.exists(f"/proc/{m}") and not _is_zombie(m)}
        if not members:
            return
        for sig in (signal.SIGSTOP, signal.SIGKILL):
            for member in members:
                try:
                    os.kill(member, sig)
                except OSError:
                    pass
        time.sleep(0.02)


def _is_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0] == b"Z"
    except (OSError, IndexError):
        return True


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


def _guard_config(limits: Limits, writable: list[Path]) -> dict[str, Any]:
    package_root = Path(grader.__file__).resolve().parent.parent
    folders = [package_root / name for name in PROTECTED_FOLDERS]
    if os.environ.get("GRADER_ASSIGNMENTS"):
        folders.append(Path(os.environ["GRADER_ASSIGNMENTS"]))
    return {
        "max_processes": limits.max_processes,
        # Twice the parent's cap: the parent's own cap is the one reported; this one stops floods early.
        "output_chars": 2 * limits.output_bytes,
        # Address space for data, generous above the watchdog's RSS limit: TensorFlow maps more than it uses.
        "memory_mb": 2 * limits.memory_mb,
        "file_mb": limits.disk_mb,
        "protected_paths": [str(f) for f in folders],
        "protected_modules": list(PROTECTED_MODULES),
        "writable_paths": [str(w) for w in writable],
    }


def _package_path(root: Path) -> Path:
    """A folder holding only the ``grader`` package: the kernel's ``PYTHONPATH``."""
    folder = root / "pythonpath"
    folder.mkdir()
    (folder / "grader").symlink_to(Path(grader.__file__).resolve().parent, target_is_directory=True)
    return folder


def kernel_env(artifacts: Path, budget: dict[str, int], limits: Limits | None = None, scratch: Path | None = None) -> dict[str, str]:
    """Environment added to the kernel's: its configuration and quiet, headless libraries."""
    config: dict[str, Any] = {"artifacts": str(artifacts), "budget": budget}
    if limits is not None:
        config["guard"] = _guard_config(limits, [scratch, artifacts] if scratch else [])
    env = {
        CONFIG_ENV: json.dumps(config),
        "MPLBACKEND": "Agg",
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "CUDA_VISIBLE_DEVICES": "-1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONPATH": str(_package_path(scratch) if scratch else Path(grader.__file__).resolve().parent.parent),
    }
    if scratch is not None:
        # A fresh HOME and TMPDIR per submission: nothing left by one notebook reaches the next.
        for name in ("home", "tmp"):
            (scratch / name).mkdir()
        env.update(HOME=str(scratch / "home"), TMPDIR=str(scratch / "tmp"), GRADER_CACHE_DIR=str(cache_dir()),
                   MPLCONFIGDIR=os.environ.get("MPLCONFIGDIR") or str(Path.home() / ".cache" / "matplotlib"))
    return env


def _base_env(run_token: str) -> dict[str, str]:
    """The grader's environment, allowlisted: no tokens or secrets reach student code."""
    env = {k: v for k, v in os.environ.items() if k in ENV_ALLOWED or k.startswith(ENV_ALLOWED_PREFIXES)}
    env[RUN_ENV] = run_token
    return env


def _limit_hit(run: CellRun) -> str | None:
    """Why a cell's error means a resource limit was hit (the kernel survived it)."""
    error = run.error
    if error is None:
        return None
    if error.name == "MemoryError":
        return f"cell {run.number} ran out of memory (MemoryError)"
    if "File too large" in error.value or "Errno 27]" in error.value:
        return f"cell {run.number} wrote a file larger than the disk limit"
    if guard.PROCESS_MESSAGE.split("{", 1)[0] in error.value:
        return f"cell {run.number} started too many processes"
    return None


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
            kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(_kernel_spec_dir(root, kernel_env(artifacts, budget, limits, root)))]),
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
        run_token = uuid.uuid4().hex
        limit_hits: list[str] = []
        # The kernel's own stdout/stderr (TensorFlow's C++ logs) never reach the terminal.
        with client.setup_kernel(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=_base_env(run_token)):
            watchdog = _Watchdog(km.provisioner.process.pid, limits, run_token, [root, artifacts])  # type: ignore[union-attr]
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
                hit = _limit_hit(runs[-1])
                if hit:
                    limit_hits.append(hit)
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
            # What is on disk or still running at the end counts too (it may be newer than the last scan).
            watchdog.check(running=False)
            kill_tree(km.provisioner.process.pid, run_token)  # type: ignore[union-attr]
        if watchdog is not None and watchdog.breach:
            status, detail = watchdog.breach, watchdog.detail
        elif status == "completed" and (limit_hits or client.truncated):
            limit_hits += [f"printed more than {limits.output_bytes // 1024} KiB"] if client.truncated else []
            status, detail = "resource_limit", "; ".join(limit_hits)
        elif status == "completed" and any(r.outcome == "timeout" for r in runs):
            status = "timeout"
            detail = "; ".join(f"cell {r.number} ran longer than {limits.cell_timeout_s:g} s and was interrupted"
                               for r in runs if r.outcome == "timeout")
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
