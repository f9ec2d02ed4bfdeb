"""Does the notebook run?"""

from __future__ import annotations

from grader.checks.expected import Expected
from grader.checks.registry import check
from grader.evidence.facts import Facts
from grader.outcome import PASSED, Outcome, failed


@check("run.cells")
def cells_run(facts: Facts, expected: Expected) -> Outcome:
    broken = [c for c in facts.execution.cells if c.outcome != "ok"]
    if not broken:
        return PASSED
    first = broken[0]
    what = first.error.name if first.error else first.outcome
    return failed(
        "run.cells",
        count=len(broken),
        cell=first.number,
        error=what,
        cells=", ".join(str(c.number) for c in broken[:10]),
    )
