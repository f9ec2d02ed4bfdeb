"""How much the grader's own measurement of a student's architecture may cost: ``[measure]``.

The student names the architecture, so the grader bounds its work twice.  Before anything is
built, the architecture's cost (``model.cost``: its parameters, and the values its layers output
and the multiply-adds they make per sample, times the samples the measurement trains and tests
on) is held against the assignment's limits, and one over them is refused with the reason, as a
model the grader cannot rebuild.  While it runs, the measurer has a wall clock and a memory
limit of its own (``sandbox/forkserver/measurer.py``); one that hits either is stopped and its
result says so.  The built-in assignments' references cost less than a tenth of each default.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from grader.model.architecture import Architecture
from grader.model.cost import cost
from grader.model.training import BuildError

DEFAULT_MAX_PARAMS = 50_000_000
DEFAULT_MAX_ACTIVATIONS = 50_000_000_000
DEFAULT_MAX_OPERATIONS = 2_000_000_000_000
DEFAULT_TIMEOUT_S = 300.0


class OverLimit(BuildError):
    """The architecture costs more than the assignment lets the grader spend on it."""


@dataclass(frozen=True)
class Bounds:
    max_params: int = DEFAULT_MAX_PARAMS
    # Per sample, times the samples a measurement trains on (each epoch) and tests on.
    max_activations: int = DEFAULT_MAX_ACTIVATIONS
    max_operations: int = DEFAULT_MAX_OPERATIONS
    # The measurer's own limits: wall clock, and memory it may allocate beyond the fork server's.
    timeout_s: float = DEFAULT_TIMEOUT_S
    memory_mb: int = 4000

    @classmethod
    def of(cls, measure: dict[str, Any], memory_mb: int) -> Bounds:
        """The bounds ``[measure]`` sets; the kernel's ``memory_mb`` by default for the memory."""
        return cls(
            int(measure.get("max_params", DEFAULT_MAX_PARAMS)),
            int(measure.get("max_activations", DEFAULT_MAX_ACTIVATIONS)),
            int(measure.get("max_operations", DEFAULT_MAX_OPERATIONS)),
            float(measure.get("timeout_s", DEFAULT_TIMEOUT_S)),
            int(measure.get("memory_mb", memory_mb)),
        )

    def check(self, architecture: Architecture, samples: int = 0) -> None:
        """Raises ``OverLimit`` when ``architecture``, measured on ``samples`` samples (0: built
        only), costs more than these bounds (``BuildError`` when its cost cannot be worked out)."""
        found = cost(architecture)
        over = [
            (what, have, limit)
            for what, have, limit in (
                ("parameters", found.params, self.max_params),
                ("layer outputs times samples", found.activations * samples, self.max_activations),
                ("multiply-adds times samples", found.operations * samples, self.max_operations),
            )
            if have > limit
        ]
        if over:
            raise OverLimit(
                "the grader does not train a model this large: "
                + "; ".join(
                    f"{have:,} {what}, over the limit of {limit:,}" for what, have, limit in over
                )
            )

    def stop_reason(self, stopped: str) -> str:
        """Why a measurer under these bounds ended early (``stopped``: ``time``, ``memory``,
        ``code N``), for the student."""
        if stopped == "time":
            return (
                f"the grader's measurement of this model took longer than its limit of "
                f"{self.timeout_s:g} s"
            )
        if stopped == "memory":
            return (
                f"the grader's measurement of this model needed more than its limit of "
                f"{self.memory_mb} MB of memory"
            )
        return f"the grader's measurement of this model ended early ({stopped})"
