"""Compile and fit settings, and the keys of the training history."""

from __future__ import annotations

from grader.checks.registry import check
from grader.outcome import PASSED, Outcome, Term, failed, not_run
from grader.expected import Expected
from grader.facts import Facts

METRIC_SPELLINGS = {"acc": "accuracy"}


@check("compile.loss")
def loss(facts: Facts, expected: Expected) -> Outcome:
    if facts.compile is None:
        return failed("compile.missing")
    if facts.compile.loss != expected.loss:
        return failed("compile.loss", found=facts.compile.loss, expected=expected.loss)
    return PASSED


@check("compile.optimizer")
def optimizer(facts: Facts, expected: Expected) -> Outcome:
    if facts.compile is None:
        return failed("compile.missing")
    if facts.compile.optimizer != expected.optimizer:
        return failed("compile.optimizer", found=facts.compile.optimizer, expected=expected.optimizer)
    for key, value in expected.optimizer_settings.items():
        found = facts.compile.optimizer_settings.get(key)
        if found is None or abs(float(found) - float(value)) > 1e-9:
            params = dict(optimizer=expected.optimizer, field=key, found=Term("default") if found is None else found, expected=value)
            if expected.default_setting_accuracy is not None and expected.full_accuracy is not None:
                # The reference's full training at today's default explains why the setting matters.
                return failed("compile.optimizer_setting_known", default=expected.default_setting_accuracy,
                              full=expected.full_accuracy, **params)
            return failed("compile.optimizer_setting", **params)
    return PASSED


@check("compile.metrics")
def metrics(facts: Facts, expected: Expected) -> Outcome:
    if facts.compile is None:
        return failed("compile.missing")
    found = {METRIC_SPELLINGS.get(m, m) for m in facts.compile.metrics}
    missing = [m for m in expected.metrics if m not in found]
    if missing:
        return failed("compile.metrics", found=list(facts.compile.metrics), expected=list(expected.metrics))
    return PASSED


@check("fit.batch_size")
def batch_size(facts: Facts, expected: Expected) -> Outcome:
    if facts.fit is None:
        return failed("fit.missing")
    if facts.fit.batch_size != expected.batch_size:
        return failed("fit.batch_size", found=facts.fit.batch_size or Term("default_batch_size"), expected=expected.batch_size)
    return PASSED


@check("fit.epochs")
def epochs(facts: Facts, expected: Expected) -> Outcome:
    if facts.fit is None:
        return failed("fit.missing")
    if facts.fit.epochs != expected.epochs:
        return failed("fit.epochs", found=facts.fit.epochs, expected=expected.epochs)
    return PASSED


@check("fit.validation")
def validation(facts: Facts, expected: Expected) -> Outcome:
    if facts.fit is None:
        return failed("fit.missing")
    if expected.validation == "test" and facts.fit.validation != "test":
        return failed("fit.validation_test", found=facts.fit.validation)
    if expected.validation == "split":
        if facts.fit.validation != "split" or abs(facts.fit.validation_split - (expected.validation_split or 0)) > 1e-9:
            return failed("fit.validation_split", found=facts.fit.validation_split, expected=expected.validation_split)
    return PASSED


@check("fit.history")
def history(facts: Facts, expected: Expected) -> Outcome:
    if facts.fit is None or facts.fit.history_keys is None:
        return not_run("fit.no_history")
    keys = set(facts.fit.history_keys)
    missing = [k for k in expected.history_keys if k not in keys]
    if missing:
        old = sorted(k for k in keys if k in ("acc", "val_acc"))
        return failed("fit.history_old" if old else "fit.history", found=sorted(keys), expected=list(expected.history_keys))
    return PASSED
