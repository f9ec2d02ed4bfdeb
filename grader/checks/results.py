"""The accuracy the grader measured itself (never the one the student's code printed)."""

from __future__ import annotations

from grader.checks.registry import check
from grader.outcome import PASSED, Outcome, failed, not_run, skipped
from grader.expected import Expected
from grader.facts import Facts


@check("results.accuracy")
def accuracy(facts: Facts, expected: Expected) -> Outcome:
    if facts.synthetic_data:
        # Generated stand-ins are learnt by any model (a single dense layer scores 1.0):
        # accuracy is judged on real data only, and here is worth no points.
        return skipped("results.synthetic", dataset=facts.dataset)
    training = facts.training
    if training is None and facts.subclassed is not None:
        return skipped("results.subclassed", name=facts.subclassed)
    if training is None:
        return not_run("results.not_measured", reason=facts.build_error or facts.architecture_error or "")
    budget = {"samples": training.samples, "epochs": training.epochs, "test": training.test_samples}
    if training.error is not None:
        return failed("results.train_error", reason=training.error, **budget)
    if training.accuracy is None or training.accuracy >= expected.threshold:
        return PASSED
    params = dict(found=round(training.accuracy, 4), threshold=expected.threshold, reference=expected.reference_accuracy, **budget)
    if facts.x_train is not None and facts.x_train.maximum > 1.5:
        if expected.raw_input_accuracy is not None and expected.full_accuracy is not None:
            return failed("results.accuracy_raw_known", raw=expected.raw_input_accuracy, full=expected.full_accuracy, **params)
        return failed("results.accuracy_raw", **params)
    compiled = facts.compile
    if (compiled is not None and compiled.optimizer == expected.optimizer
            and any(compiled.optimizer_settings.get(k) != v for k, v in expected.optimizer_settings.items())):
        if expected.default_setting_accuracy is not None and expected.full_accuracy is not None:
            return failed("results.accuracy_optimizer_known", optimizer=expected.optimizer,
                          settings=_settings(expected), default=expected.default_setting_accuracy,
                          full=expected.full_accuracy, **params)
        return failed("results.accuracy_optimizer", optimizer=expected.optimizer, settings=expected.optimizer_settings, **params)
    return failed("results.accuracy", **params)


def _settings(expected: Expected) -> str:
    return ", ".join(f"{key}={value}" for key, value in expected.optimizer_settings.items())
