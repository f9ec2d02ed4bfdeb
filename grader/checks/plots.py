"""Learning curves: a figure per quantity with training and validation curves, x label, legend."""

from __future__ import annotations

import math

from grader.checks.registry import check
from grader.outcome import PASSED, Outcome, failed, not_run
from grader.expected import Expected
from grader.facts import Axes, Facts

HISTORY_SPELLINGS = {"accuracy": ("accuracy", "acc"), "loss": ("loss",)}


def _same(curve: tuple[float, ...], values: list[float]) -> bool:
    return len(curve) == len(values) and len(values) > 0 and all(
        math.isclose(a, b, rel_tol=1e-4, abs_tol=1e-6) for a, b in zip(curve, values)
    )


def shows_training_curve(axes: Axes, history: dict[str, list[float]]) -> bool:
    """Whether ``axes`` draws the training loss or accuracy of ``history``."""
    keys = [k for spellings in HISTORY_SPELLINGS.values() for k in spellings if k in history]
    return any(_same(line.y, history[k]) for k in keys for line in axes.lines)


def _find(facts: Facts, key: str) -> tuple[Axes | None, bool]:
    """The axes holding the training curve of ``key``; and whether it has the validation curve."""
    assert facts.fit is not None
    history = facts.fit.history
    names = [n for n in HISTORY_SPELLINGS.get(key, (key,)) if n in history]
    if not names:
        return None, False
    train, valid = history[names[0]], history.get(f"val_{names[0]}", [])
    for figure in facts.figures:
        for axes in figure.axes:
            if any(_same(line.y, train) for line in axes.lines):
                return axes, any(_same(line.y, valid) for line in axes.lines)
    return None, False


def _curves(facts: Facts, key: str) -> Outcome:
    if facts.fit is None or not facts.fit.history:
        return not_run("plots.no_history")
    axes, has_validation = _find(facts, key)
    if axes is None:
        return failed("plots.missing", quantity=key, figures=len(facts.figures))
    if not has_validation:
        return failed("plots.no_validation", quantity=key)
    if not axes.xlabel.strip():
        return failed("plots.no_xlabel", quantity=key)
    if not axes.legend or len(axes.legend) < 2:
        return failed("plots.no_legend", quantity=key)
    return PASSED


@check("plots.loss")
def loss_curves(facts: Facts, expected: Expected) -> Outcome:
    return _curves(facts, "loss")


@check("plots.accuracy")
def accuracy_curves(facts: Facts, expected: Expected) -> Outcome:
    return _curves(facts, "accuracy")
