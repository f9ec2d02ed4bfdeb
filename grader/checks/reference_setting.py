"""A setting that must be the reference's own: ``compile.loss``, ``fit.batch_size``,
``fit.epochs``."""

from __future__ import annotations

from grader.checks.expected import Expected
from grader.checks.registry import CheckFunction
from grader.evidence.facts import Facts
from grader.outcome import PASSED, Outcome, Term, failed


def same_as_reference(check_id: str, default: Term | None = None) -> CheckFunction:
    """The check ``part.field``: the field of ``Facts.part`` equals that of ``Expected``.

    ``default`` is the word shown for a value left to Keras's default, if any.
    """
    part, name = check_id.split(".")

    def judge(facts: Facts, expected: Expected) -> Outcome:
        settings = getattr(facts, part)
        if settings is None:
            return failed(f"{part}.missing")
        found, wanted = getattr(settings, name), getattr(expected, name)
        if found == wanted:
            return PASSED
        return failed(
            check_id, found=found if default is None else found or default, expected=wanted
        )

    return judge
