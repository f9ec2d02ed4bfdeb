"""What running a submission produced, and the limits it ran under: plain data.

The sandbox (``grader/sandbox/runner.py``) fills these in; the grader's side (facts, hints,
the record) only reads them, so it never imports the kernel's modules.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from grader.boundary.seals import SealKey

# "completed", "timeout" (the whole submission), "resource_limit", "kernel_died"
ExecutionStatus = Literal["completed", "timeout", "resource_limit", "kernel_died"]
# "not_run": the kernel was gone before the cell
CellOutcome = Literal["ok", "error", "timeout", "not_run"]


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
    # The grader's own work after the cells (evidence, facts, its measurement): ``deadline``.
    grader_timeout_s: float = 600.0


@dataclass(frozen=True)
class CellError:
    name: str
    value: str
    traceback: str


@dataclass(frozen=True)
class CellRun:
    number: int
    source: str
    outcome: CellOutcome
    duration_s: float
    error: CellError | None = None
    output: str = ""
    # The execution count the notebook saved for the cell (``Cell.execution_count``).
    execution_count: int | None = None


@dataclass(frozen=True)
class Layer:
    """One layer of isolation (``filesystem``, ``processes``, ``network``, ``privileges``)."""

    name: str
    held: bool
    # The mechanisms that enforced it, or what is missing and why.
    by: str


@dataclass(frozen=True)
class Isolation:
    """Which layers held for one kernel (``sandbox/isolation.py`` decides)."""

    layers: tuple[Layer, ...]

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(layer.name for layer in self.layers if not layer.held)

    def to_data(self) -> dict[str, Any]:
        return {layer.name: {"held": layer.held, "by": layer.by} for layer in self.layers}


@dataclass(frozen=True)
class Execution:
    status: ExecutionStatus
    cells: tuple[CellRun, ...]
    duration_s: float
    output_truncated: bool
    detail: str = ""
    # Which layers of isolation held for this kernel (None: it never started).
    isolation: Isolation | None = None
    # The kernel's seal key and the final cell's nonce (None: the kernel could not seal).
    seal: SealKey | None = None


# Called as each cell starts: its number, the number of cells, the seconds so far.
Progress = Callable[[int, int, float], None]
