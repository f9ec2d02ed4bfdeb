"""Predictions turned into class names: ``predict``, then ``argmax``, then a name per class."""

from __future__ import annotations

import re

from grader.checks.registry import check
from grader.outcome import PASSED, Outcome, failed, not_run
from grader.expected import Expected
from grader.facts import Facts

# How many of the first predictions must appear, by name and in order, in the notebook's output.
NAMED = 10


def named_in_order(names: list[str], text: str) -> bool:
    """Whether every name occurs in ``text`` as a word, each after the one before."""
    position = 0
    for name in names:
        found = re.compile(rf"(?<![A-Za-z]){re.escape(name)}(?![A-Za-z])").search(text, position)
        if found is None:
            return False
        position = found.end()
    return True


@check("results.predictions")
def predictions(facts: Facts, expected: Expected) -> Outcome:
    if facts.fit is None:
        return not_run("results.no_trained_model")
    made = [p for p in facts.shown.predictions if p.columns == expected.classes and p.classes]
    if not made:
        return failed("results.no_predictions", classes=expected.classes)
    output = "\n".join(cell.output for cell in facts.execution.cells)
    for prediction in made:
        if named_in_order([expected.class_names[c] for c in prediction.classes[:NAMED]], output):
            return PASSED
    example = ", ".join(expected.class_names[c] for c in made[-1].classes[:3])
    return failed("results.predictions_unnamed", rows=made[-1].rows, example=example)
