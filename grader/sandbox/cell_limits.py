"""Grader side: what a cell's error says of a limit the kernel hit and survived (a refused
allocation, a file too large, a full tmpfs, a refused process): the cell failed, and the submission
ends as ``resource_limit``."""

from __future__ import annotations

from grader.boundary.execution import CellRun
from grader.boundary.refusals import PROCESS_MESSAGE


def limit_hit(run: CellRun) -> str | None:
    """Why a cell's error means a resource limit was hit (the kernel survived it)."""
    error = run.error
    if error is None:
        return None
    if error.name == "MemoryError":
        return f"cell {run.number} ran out of memory (MemoryError)"
    if "File too large" in error.value or "Errno 27]" in error.value:
        return f"cell {run.number} wrote a file larger than the disk limit"
    if "No space left on device" in error.value or "Errno 28]" in error.value:
        return f"cell {run.number} filled its folders up to the disk limit"
    if PROCESS_MESSAGE.split("{", 1)[0] in error.value:
        return f"cell {run.number} started too many processes"
    return None
