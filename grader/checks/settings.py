"""Compile and fit settings, and the keys of the training history."""

from __future__ import annotations

from collections.abc import Callable

from grader.checks.registry import CheckFunction, check
from grader.outcome import PASSED, Outcome, Term, failed, not_run
from grader.expected import Expected
from grader.facts import CompileFacts, Facts, FitFacts

METRIC_SPELLINGS = {"acc": "accuracy"}


def _compiled(facts: Facts, judge: Callable[[CompileFacts], Outcome]) -> Outcome:
    return failed("compile.missing") if facts.compile is None else judge(facts.compile)


def _fitted(facts: Facts, judge: Callable[[FitFacts], Outcome]) -> Outcome:
    return failed("fit.missing") if facts.fit is None else judge(facts.fit)


# Settings that must be the reference's own, by check id ("part.field": the field of ``Facts.part``
# and of ``Expected``); each with the word shown for a value left to Keras's default, if any.
SAME_AS_REFERENCE: dict[str, Term | None] = {"compile.loss": None, "fit.batch_size": Term("default_batch_size"), "fit.epochs": None}


def _same_as_reference(check_id: str, default: Term | None) -> CheckFunction:
    part, name = check_id.split(".")

    def judge(facts: Facts, expected: Expected) -> Outcome:
        settings = getattr(facts, part)
        if settings is None:
            return failed(f"{part}.missing")
        found, wanted = getattr(settings, name), getattr(expected, name)
        if found == wanted:
            return PASSED
        return failed(check_id, found=found if default is None else found or default, expected=wanted)
    return judge


for _check_id, _default in SAME_AS_REFERENCE.items():
    check(_check_id)(_same_as_reference(_check_id, _default))


@check("compile.optimizer")
def optimizer(facts: Facts, expected: Expected) -> Outcome:
    def judge(settings: CompileFacts) -> Outcome:
        if settings.optimizer != expected.optimizer:
            return failed("compile.optimizer", found=settings.optimizer, expected=expected.optimizer)
        for key, value in expected.optimizer_settings.items():
            found = settings.optimizer_settings.get(key)
            if found is None or abs(float(found) - float(value)) > 1e-9:
                params = dict(optimizer=expected.optimizer, field=key, found=Term("default") if found is None else found, expected=value)
                if expected.default_setting_accuracy is not None and expected.full_accuracy is not None:
                    # The reference's full training at today's default explains why the setting matters.
                    return failed("compile.optimizer_setting_known", default=expected.default_setting_accuracy,
                                  full=expected.full_accuracy, **params)
                return failed("compile.optimizer_setting", **params)
        return PASSED
    return _compiled(facts, judge)


@check("compile.metrics")
def metrics(facts: Facts, expected: Expected) -> Outcome:
    def judge(settings: CompileFacts) -> Outcome:
        found = {METRIC_SPELLINGS.get(m, m) for m in settings.metrics}
        if any(m not in found for m in expected.metrics):
            return failed("compile.metrics", found=list(settings.metrics), expected=list(expected.metrics))
        return PASSED
    return _compiled(facts, judge)


@check("fit.validation")
def validation(facts: Facts, expected: Expected) -> Outcome:
    def judge(fit: FitFacts) -> Outcome:
        if expected.validation == "test" and fit.validation != "test":
            return failed("fit.validation_test", found=fit.validation)
        if expected.validation == "split":
            if fit.validation != "split" or abs(fit.validation_split - (expected.validation_split or 0)) > 1e-9:
                return failed("fit.validation_split", found=fit.validation_split, expected=expected.validation_split)
        return PASSED
    return _fitted(facts, judge)


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
