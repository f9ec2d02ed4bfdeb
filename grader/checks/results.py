"""The results: the accuracy the grader measured itself (never the one the student's code printed:
on the dataset's own test split, prepared as the student prepared theirs), with the cause its data
shows when it falls short, and predictions turned into class names (``predict``, then ``argmax``,
then a name per class)."""

from __future__ import annotations

import re
from typing import Any

from grader.checks.expected import Expected
from grader.checks.method import transform_term
from grader.checks.registry import check
from grader.evidence import layouts
from grader.evidence.facts import Facts
from grader.model.compile_forms import same_setting
from grader.outcome import PASSED, Outcome, Term, failed, not_run, skipped

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


@check("results.predictions", after={"results.no_trained_model": ("run.cells", "fit.epochs")})
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


@check(
    "results.accuracy",
    after={
        "results.not_measured": ("model.layers", "model.params"),
        "results.train_error": ("data.x_shape", "data.y_onehot", "compile.loss", "model.layers"),
        "results.accuracy_raw": ("data.x_range",),
        "results.accuracy_raw_known": ("data.x_range",),
        "results.accuracy_optimizer": ("compile.optimizer",),
        "results.accuracy_optimizer_known": ("compile.optimizer",),
        # The data the model learnt from says why (``_data_cause``): the check that names it.
        "results.accuracy_labels": ("data.y_agree",),
        "results.accuracy_scaling": ("data.x_range",),
        "results.accuracy_prepared_differently": ("method.same_scaling", "data.x_range"),
        "results.accuracy_laid_out_differently": ("method.same_scaling",),
        "results.accuracy_train_data": ("method.train_data",),
        # Nothing left to measure on: every test image is one the model trains on.
        "results.no_test_left": ("method.train_data",),
        # Below the threshold: labels apart from their images, pixels out of range, another
        # network, loss or optimizer, or another batch size (the grader trains at the student's).
        "results.accuracy": (
            "data.y_agree",
            "data.x_range",
            "model.layers",
            "compile.loss",
            "compile.optimizer",
            "fit.batch_size",
        ),
    },
)
def accuracy(facts: Facts, expected: Expected) -> Outcome:
    if facts.synthetic_data:
        # Generated stand-ins are learnt by any model (a single dense layer scores 1.0):
        # accuracy is judged on real data only, and here is worth no points.
        return skipped("results.synthetic", dataset=facts.dataset)
    training = facts.training
    if training is None and facts.subclassed is not None:
        return skipped("results.subclassed", name=facts.subclassed)
    if training is None and facts.unmeasured is not None:
        return not_run(facts.unmeasured)
    if training is None:
        return not_run(
            "results.not_measured", reason=facts.build_error or facts.architecture_error or ""
        )
    on = facts.measured_on
    budget = {
        "samples": training.samples,
        "epochs": training.epochs,
        "test": training.test_samples,
        "like": on.preparation.like if on is not None else "x_test",
    }
    if training.error is not None:
        return failed("results.train_error", reason=training.error, **budget)
    accuracy = facts.judged_accuracy
    if accuracy is None or accuracy >= expected.threshold:
        return PASSED
    params = dict(
        found=round(accuracy, 4),
        threshold=expected.threshold,
        reference=expected.reference_accuracy,
        **budget,
    )
    return _data_cause(facts, expected, params) or _settings_cause(facts, expected, params)


def _data_cause(facts: Facts, expected: Expected, params: dict[str, Any]) -> Outcome | None:
    """The accuracy failed, and the data the model learnt from says why: raw pixels, pixels
    divided twice, test images prepared otherwise, labels apart from their images, test images,
    too few training images."""
    train = facts.provenance.train
    traced = train is not None and train.images.traced
    kind = train.images.transform.kind if train is not None and traced else None
    if kind == "unchanged" or (
        kind is None and facts.x_train is not None and facts.x_train.maximum > 1.5
    ):
        if expected.raw_input_accuracy is not None and expected.full_accuracy is not None:
            return failed(
                "results.accuracy_raw_known",
                raw=expected.raw_input_accuracy,
                full=expected.full_accuracy,
                **params,
            )
        return failed("results.accuracy_raw", **params)
    if train is None or not traced:
        return None
    if kind == "scaled_twice":
        return failed("results.accuracy_scaling", transform=transform_term(train), **params)
    on = facts.measured_on
    test_layout = on.preparation.transform.layout if on is not None else None
    if test_layout is not None and test_layout != train.images.transform.layout:
        return failed(
            "results.accuracy_laid_out_differently",
            train_layout=layouts.term(train.images.transform.layout),
            test_layout=layouts.term(test_layout),
            **params,
        )
    if on is not None and not on.preparation.transform.same_as(train.images.transform):
        return failed(
            "results.accuracy_prepared_differently",
            train_transform=transform_term(train),
            test_transform=Term(f"transform.{on.preparation.transform.kind}"),
            **params,
        )
    labels = train.labels
    if labels is not None and labels.relation not in ("agree", "unknown"):
        return failed("results.accuracy_labels", **params)
    if train.images.split != "train":
        return failed("results.accuracy_train_data", **params)
    if (
        2 * params["samples"] <= expected.measure_samples
        and train.images.rows < train.images.split_size
    ):
        # The grader trains on the student's training images: these few are all it had.
        return failed(
            "results.accuracy_few_images",
            rows=train.images.rows,
            size=train.images.split_size,
            budget=expected.measure_samples,
            **params,
        )
    return None


def _settings_cause(facts: Facts, expected: Expected, params: dict[str, Any]) -> Outcome:
    compiled = facts.compile
    if (
        compiled is not None
        and compiled.optimizer == expected.optimizer
        and any(
            not same_setting(compiled.optimizer_settings.get(k), v)
            for k, v in expected.optimizer_settings.items()
        )
    ):
        if expected.default_setting_accuracy is not None and expected.full_accuracy is not None:
            return failed(
                "results.accuracy_optimizer_known",
                optimizer=expected.optimizer,
                settings=_settings(expected),
                default=expected.default_setting_accuracy,
                full=expected.full_accuracy,
                **params,
            )
        return failed(
            "results.accuracy_optimizer",
            optimizer=expected.optimizer,
            settings=expected.optimizer_settings,
            **params,
        )
    return failed("results.accuracy", **params)


def _settings(expected: Expected) -> str:
    return ", ".join(f"{key}={value}" for key, value in expected.optimizer_settings.items())
