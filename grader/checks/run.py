"""Does the notebook run?"""

from __future__ import annotations

from grader.checks.expected import Expected
from grader.checks.registry import check
from grader.evidence.cell_order import run_order
from grader.evidence.facts import Facts
from grader.outcome import PASSED, Outcome, failed


@check("run.cells")
def cells_run(facts: Facts, expected: Expected) -> Outcome:
    broken = [c for c in facts.execution.cells if c.outcome != "ok"]
    if not broken:
        return PASSED
    first = broken[0]
    what = first.error.name if first.error else first.outcome
    order = run_order(facts.execution.cells)
    if order is not None and order.failed == first.number:
        # The saved execution counts show the student ran the cells in another order.
        params = dict(
            cell=order.failed,
            cell_count=order.failed_count,
            error=what,
            earlier=", ".join(str(n) for n in order.before),
            earlier_counts=", ".join(f"[{n}]" for n in order.before_counts),
        )
        if order.name is not None:
            return failed("run.cells_order_name", name=order.name, **params)
        return failed("run.cells_order", **params)
    return failed(
        "run.cells",
        count=len(broken),
        cell=first.number,
        error=what,
        cells=", ".join(str(c.number) for c in broken[:10]),
    )
