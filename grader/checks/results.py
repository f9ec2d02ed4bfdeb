"""The accuracy the grader measured itself (never the one the student's code printed)."""

from __future__ import annotations

from grader.checks import PASSED, Outcome, check, failed, not_run
from grader.expected import Expected
from grader.facts import Facts


@check("results.accuracy")
def accuracy(facts: Facts, expected: Expected) -> Outcome:
    training = facts.training
    if training is None:
        return not_run("results.not_measured", reason=facts.build_error or facts.architecture_error or "")
    budget = {"samples": training.samples, "epochs": training.epochs, "test": training.test_samples}
    if training.error is not None:
        return failed("results.train_error", reason=training.error, **budget)
    if training.accuracy is None or training.accuracy >= expected.threshold:
        return PASSED
    params = dict(found=round(training.accuracy, 4), threshold=expected.threshold,
                  reference=expected.reference_accuracy, **budget)
    if facts.x_train is not None and facts.x_train.maximum > 1.5:
        return failed("results.accuracy_raw", **params)
    compiled = facts.compile
    if (compiled is not None and compiled.optimizer == expected.optimizer
            and any(compiled.optimizer_settings.get(k) != v for k, v in expected.optimizer_settings.items())):
        return failed("results.accuracy_optimizer", optimizer=expected.optimizer, settings=expected.optimizer_settings, **params)
    return failed("results.accuracy", **params)
