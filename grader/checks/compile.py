"""Compile settings: the loss, the optimizer with its settings, the metrics."""

from __future__ import annotations

from collections.abc import Callable

from grader.checks.expected import Expected
from grader.checks.reference_setting import same_as_reference
from grader.checks.registry import check
from grader.evidence.facts import CompileFacts, Facts
from grader.outcome import PASSED, Outcome, Term, failed

METRIC_SPELLINGS = {"acc": "accuracy"}


def _compiled(facts: Facts, judge: Callable[[CompileFacts], Outcome]) -> Outcome:
    return failed("compile.missing") if facts.compile is None else judge(facts.compile)


loss = check("compile.loss")(same_as_reference("compile.loss"))


@check("compile.optimizer")
def optimizer(facts: Facts, expected: Expected) -> Outcome:
    def judge(settings: CompileFacts) -> Outcome:
        if settings.optimizer != expected.optimizer:
            return failed(
                "compile.optimizer", found=settings.optimizer, expected=expected.optimizer
            )
        for key, value in expected.optimizer_settings.items():
            found = settings.optimizer_settings.get(key)
            if found is None or abs(float(found) - float(value)) > 1e-9:
                params = dict(
                    optimizer=expected.optimizer,
                    field=key,
                    found=Term("default") if found is None else found,
                    expected=value,
                )
                if (
                    expected.default_setting_accuracy is not None
                    and expected.full_accuracy is not None
                ):
                    # The reference's full training at today's default explains why the setting
                    # matters.
                    return failed(
                        "compile.optimizer_setting_known",
                        default=expected.default_setting_accuracy,
                        full=expected.full_accuracy,
                        **params,
                    )
                return failed("compile.optimizer_setting", **params)
        return PASSED

    return _compiled(facts, judge)


@check("compile.metrics")
def metrics(facts: Facts, expected: Expected) -> Outcome:
    def judge(settings: CompileFacts) -> Outcome:
        found = {METRIC_SPELLINGS.get(m, m) for m in settings.metrics}
        if any(m not in found for m in expected.metrics):
            return failed(
                "compile.metrics", found=list(settings.metrics), expected=list(expected.metrics)
            )
        return PASSED

    return _compiled(facts, judge)
