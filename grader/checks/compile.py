"""Compile settings: the loss, the optimizer with its settings, the metrics."""

from __future__ import annotations

from collections.abc import Callable

from grader.checks.data import SPARSE_LOSS, class_numbers
from grader.checks.expected import Expected
from grader.checks.reference_setting import same_as_reference
from grader.checks.registry import check
from grader.evidence.facts import CompileFacts, Facts
from grader.model.compile_forms import ACCURACY, EXACT_ACCURACY, metric_meaning, same_setting
from grader.outcome import PASSED, Outcome, Term, failed


def _compiled(facts: Facts, judge: Callable[[CompileFacts], Outcome]) -> Outcome:
    return failed("compile.missing") if facts.compile is None else judge(facts.compile)


_same_loss = same_as_reference("compile.loss")


@check("compile.loss")
def loss(facts: Facts, expected: Expected) -> Outcome:
    outcome = _same_loss(facts, expected)
    settings, architecture = facts.compile, facts.architecture
    if (
        not outcome.passed
        and settings is not None
        and expected.loss == "categorical_crossentropy"
        and settings.loss == SPARSE_LOSS
        and class_numbers(facts.y_train)
    ):
        # The loss the student's class numbers call for: the one choice (no one-hot labels) is
        # the label check's finding, one point for one mistake.
        return PASSED
    if not outcome.passed or settings is None or architecture is None or not architecture.layers:
        return outcome
    # The loss object reads logits while the model already ends in a softmax: probabilities
    # squashed a second time.
    last = architecture.layers[-1].config.get("activation")
    if settings.loss_settings.get("from_logits") is True and last == "softmax":
        return failed("compile.loss_logits", loss=settings.loss or "")
    return PASSED


@check("compile.optimizer")
def optimizer(facts: Facts, expected: Expected) -> Outcome:
    def judge(settings: CompileFacts) -> Outcome:
        if settings.optimizer != expected.optimizer:
            return failed(
                "compile.optimizer", found=settings.optimizer, expected=expected.optimizer
            )
        for key, value in expected.optimizer_settings.items():
            found = settings.optimizer_settings.get(key)
            if found is None or not same_setting(found, value):
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
        found = {metric_meaning(m, settings.loss) for m in settings.metrics}
        wanted = {metric_meaning(m, expected.loss) for m in expected.metrics}
        if wanted <= found:
            return PASSED
        if ACCURACY in wanted - found and EXACT_ACCURACY in settings.metrics:
            return failed("compile.metrics_exact", found=list(settings.metrics))
        return failed(
            "compile.metrics", found=list(settings.metrics), expected=list(expected.metrics)
        )

    return _compiled(facts, judge)
