"""Grader side: run a submission's cells in a fresh kernel, confined and under limits.

The kernel is an ordinary IPython kernel started through ``boot.main`` in a scratch folder
(``scratch``), behind the launcher that confines it (``confine``, planned by ``filesystem_plan``),
by ``kernel_start`` (often before the submission is known: ``kernels``); it runs one submission
and is killed with its tree.  Each cell runs with a timeout; a cell that raises is recorded with
the student's own traceback and the next cells still run.  The ``watchdog`` enforces, from
outside, the time for the whole submission and the memory, process count and disk use of the
kernel's process tree; output beyond a cap is dropped.  ``guard`` adds fast refusals inside the
kernel.  The result is plain data (``Execution``, with the isolation that held); the artifacts the
kernel wrote stay in its artifacts folder for the grader.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError

from grader.boundary.execution import (
    CellError,
    CellOutcome,
    CellRun,
    Execution,
    ExecutionStatus,
    Limits,
    Progress,
)
from grader.boundary.seals import SealKey, final_cell
from grader.sandbox import isolation, kernel_start, kernels, scratch
from grader.sandbox.cell_limits import limit_hit
from grader.sandbox.cell_output import CappedClient, text_of
from grader.sandbox.seal_key import take_key
from grader.sandbox.watchdog import BACKSTOP, Watchdog, kill_tree
from grader.submissions.cells import Submission


def _final_status(
    status: ExecutionStatus,
    detail: str,
    watchdog: Watchdog,
    runs: list[CellRun],
    limit_hits: list[str],
    client: CappedClient,
    limits: Limits,
) -> tuple[ExecutionStatus, str]:
    if watchdog.breach:
        return watchdog.breach, watchdog.detail
    if status == "completed" and (limit_hits or client.truncated):
        limit_hits += (
            [f"printed more than {limits.output_bytes // 1024} KiB"] if client.truncated else []
        )
        return "resource_limit", "; ".join(limit_hits)
    if status == "completed" and any(r.outcome == "timeout" for r in runs):
        return "timeout", "; ".join(
            f"cell {r.number} ran longer than {limits.cell_timeout_s:g} s and was interrupted"
            for r in runs
            if r.outcome == "timeout"
        )
    return status, detail


def _run_cells(
    client: CappedClient,
    notebook: Any,
    submission: Submission,
    watchdog: Watchdog,
    limits: Limits,
    progress: Progress | None,
    started: float,
    nonce: str,
) -> tuple[ExecutionStatus, str, list[CellRun], list[str]]:
    runs: list[CellRun] = []
    limit_hits: list[str] = []
    total = len(submission.cells)
    for index, cell in enumerate(submission.cells):
        if progress is not None:
            progress(cell.number, total, time.monotonic() - started)
        cell_started = time.monotonic()
        nb_cell = notebook.cells[index]
        watchdog.cell_started(cell.number)
        try:
            client.execute_cell(nb_cell, index)
        except DeadKernelError:
            output, error = text_of(nb_cell.outputs)
            runs.append(
                CellRun(
                    cell.number,
                    cell.source,
                    "error",
                    time.monotonic() - cell_started,
                    error
                    or CellError("DeadKernel", "the kernel stopped while running this cell", ""),
                    output,
                    cell.execution_count,
                )
            )
            return watchdog.breach or "kernel_died", "", runs, limit_hits
        watchdog.cell_started(None)
        output, error = text_of(nb_cell.outputs)
        outcome: CellOutcome = "ok" if error is None else "error"
        backstop = limits.cell_timeout_s * (BACKSTOP if watchdog.own_time else 1)
        waited = time.monotonic() - cell_started >= backstop
        if waited or cell.number in watchdog.interrupted:
            outcome = "timeout"
            error = CellError(
                "CellTimeout",
                f"the cell ran longer than {limits.cell_timeout_s:g} s "
                + ("of its own time " if watchdog.own_time else "")
                + "and was interrupted",
                error.traceback if error else "",
            )
        runs.append(
            CellRun(
                cell.number,
                cell.source,
                outcome,
                time.monotonic() - cell_started,
                error,
                output,
                cell.execution_count,
            )
        )
        hit = limit_hit(runs[-1])
        if hit:
            limit_hits.append(hit)
        if outcome == "timeout" and not _responsive(client, notebook):
            return "timeout", f"cell {cell.number} ignored the interrupt", runs, limit_hits
    dump = nbformat.v4.new_code_cell(final_cell(nonce))
    notebook.cells.append(dump)
    try:
        client.execute_cell(dump, len(notebook.cells) - 1)
    except DeadKernelError:
        return watchdog.breach or "kernel_died", "", runs, limit_hits
    _, error = text_of(dump.outputs)
    return (
        "completed",
        f"final dump: {error.name}: {error.value}"[:300] if error else "",
        runs,
        limit_hits,
    )


def run_submission(
    submission: Submission,
    artifacts: Path,
    limits: Limits,
    budget: dict[str, int],
    progress: Progress | None = None,
    private: Sequence[Path] = (),
    preload: bool = True,
    compat: Mapping[str, bool] | None = None,
) -> Execution:
    """Execute every cell of ``submission`` in a kernel started now, its evidence in ``artifacts``;
    never raises for anything the student did.  ``private``: folders hidden from the kernel besides
    the usual ones (``scratch.prepare``); ``preload`` and ``compat``: as ``[kernel]`` and
    ``[compat]``."""
    started = time.monotonic()
    kernel = kernel_start.start(
        kernel_start.KernelSettings.of(limits, budget, private, preload, compat), artifacts
    )
    try:
        kernel.answer()
        kernel.waited_s = time.monotonic() - started
        return run_in(kernel, submission, progress)
    finally:
        kernel.close()


def run_in(
    kernel: kernel_start.Kernel, submission: Submission, progress: Progress | None = None
) -> Execution:
    """Execute every cell of ``submission`` in ``kernel`` (one that answered: ``kernels.take``),
    then kill it with its whole tree; never raises for anything the student did.  The kernel's
    folders stay until ``kernel.close()``: the evidence is read from ``kernel.artifacts``."""
    started = time.monotonic()
    limits = kernel.settings.limits
    # Without a cgroup, time is the kernel's own (``watchdog``): the wall clock is the backstop.
    own_time = not kernel.resources.limited and os.name == "posix"
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(c.source) for c in submission.cells]
    client = CappedClient(
        notebook,
        km=kernel.km,
        timeout=int(limits.cell_timeout_s * (BACKSTOP if own_time else 1)),
        interrupt_on_timeout=True,
        error_on_timeout={
            "ename": "CellTimeout",
            "evalue": f"the cell ran longer than {limits.cell_timeout_s:g} s",
            "traceback": [],
        },
        allow_errors=True,
        startup_timeout=kernel_start.STARTUP_TIMEOUT_S,
        resources={"metadata": {"path": str(kernel.place.work)}},
    )
    client.output_cap = limits.output_bytes
    client.kc = kernel.kc
    # The launcher wrote its report before the kernel existed; the kernel answered, so it is
    # complete.
    held = isolation.assess(scratch.read_report(kernel.place), kernel.support, kernel.resources)
    # The seal's key leaves the kernel's folder before any cell of the submission runs.
    key, nonce = take_key(kernel.artifacts), secrets.token_hex(16)
    on_disk = [kernel.place.root] + ([] if kernel.resources.evidence() else [kernel.artifacts])
    watchdog = Watchdog(
        kernel.pid,
        limits,
        on_disk,
        kernel.resources.group if kernel.resources.limited else None,
        kernel.resources.mounted,
        own_time,
    )
    watchdog.start()
    try:
        status, detail, runs, limit_hits = _run_cells(
            client, notebook, submission, watchdog, limits, progress, started, nonce
        )
    finally:
        watchdog.stop()
        # What is on disk or still running at the end counts too (it may be newer than the last
        # scan).
        watchdog.check(running=False)
        kill_tree(kernel.pid)
    kernels.ran(kernel)
    status, detail = _final_status(status, detail, watchdog, runs, limit_hits, client, limits)
    ran = {r.number for r in runs}
    runs.extend(
        CellRun(c.number, c.source, "not_run", 0.0, execution_count=c.execution_count)
        for c in submission.cells
        if c.number not in ran
    )
    return Execution(
        status,
        tuple(runs),
        kernel.waited_s + time.monotonic() - started,
        client.truncated,
        detail,
        held,
        SealKey(key, nonce) if key is not None else None,
    )


def _responsive(client: NotebookClient, notebook: Any) -> bool:
    """After an interrupt, does the kernel answer a trivial cell within a few seconds?"""
    probe = nbformat.v4.new_code_cell("pass")
    notebook.cells.append(probe)
    old_timeout, old_iopub_timeout = client.timeout, client.iopub_timeout
    # The probe writes nothing: no waiting for its output after a reply (4 s by default, all of it
    # spent when the reply is the synthetic one of a timeout).
    client.timeout, client.iopub_timeout = 5, 1
    started = time.monotonic()
    try:
        client.execute_cell(probe, len(notebook.cells) - 1)
        _, error = text_of(probe.outputs)
        # A timed-out probe gets a synthetic error reply with no output: judge by the clock.
        return error is None and time.monotonic() - started < client.timeout
    except DeadKernelError:
        return False
    finally:
        client.timeout, client.iopub_timeout = old_timeout, old_iopub_timeout
        notebook.cells.remove(probe)
