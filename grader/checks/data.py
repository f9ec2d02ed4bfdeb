"""The prepared data: image shapes, dtype, range, one-hot labels that agree with the truth."""

from __future__ import annotations

from grader.checks.registry import check
from grader.outcome import PASSED, Outcome, failed, not_run
from grader.expected import Expected
from grader.facts import ArrayFacts, Facts, LabelFacts


def _images(facts: Facts) -> list[ArrayFacts] | None:
    arrays = [a for a in (facts.x_train, facts.x_test) if a is not None]
    return arrays or None


@check("data.x_shape")
def x_shape(facts: Facts, expected: Expected) -> Outcome:
    arrays = _images(facts)
    if arrays is None:
        return not_run("data.no_images")
    for array in arrays:
        if tuple(array.shape[1:]) != expected.input_shape:
            return failed("data.x_shape", name=array.name, shape=array.shape, expected=("N", *expected.input_shape),
                          reshape=", ".join(str(d) for d in (-1, *expected.input_shape)))
    return PASSED


@check("data.x_dtype")
def x_dtype(facts: Facts, expected: Expected) -> Outcome:
    arrays = _images(facts)
    if arrays is None:
        return not_run("data.no_images")
    for array in arrays:
        if array.dtype != "float32":
            return failed("data.x_dtype", name=array.name, dtype=array.dtype)
    return PASSED


@check("data.x_range")
def x_range(facts: Facts, expected: Expected) -> Outcome:
    arrays = _images(facts)
    if arrays is None:
        return not_run("data.no_images")
    for array in arrays:
        if not array.finite or array.minimum < 0 or array.maximum > 1.0 + 1e-6:
            found = dict(name=array.name, low=round(array.minimum, 4), high=round(array.maximum, 4))
            if array.maximum <= 1.5:
                return failed("data.x_range", **found)
            if expected.raw_input_accuracy is not None and expected.full_accuracy is not None:
                # What this very network reaches on raw pixels, from the reference's full training.
                return failed("data.x_range_raw_known", raw=expected.raw_input_accuracy, full=expected.full_accuracy, **found)
            return failed("data.x_range_raw", **found)
    return PASSED


def _labels(facts: Facts) -> list[LabelFacts] | None:
    labels = [y for y in (facts.y_train, facts.y_test) if y is not None]
    return labels or None


@check("data.y_onehot")
def y_onehot(facts: Facts, expected: Expected) -> Outcome:
    labels = _labels(facts)
    if labels is None:
        return not_run("data.no_labels")
    for y in labels:
        if len(y.shape) != 2 or not y.one_hot:
            return failed("data.y_not_onehot", name=y.name, shape=y.shape, classes=expected.classes)
        if y.shape[1] != expected.classes:
            return failed("data.y_columns", name=y.name, columns=y.shape[1], classes=expected.classes)
    return PASSED


@check("data.y_agree")
def y_agree(facts: Facts, expected: Expected) -> Outcome:
    labels = _labels(facts)
    if labels is None:
        return not_run("data.no_labels")
    for y in labels:
        if y.agreement is None:
            return not_run("data.y_unknown", name=y.name)
        if y.agreement < 0.999:
            return failed("data.y_agree", name=y.name, percent=round(100 * y.agreement, 1))
    return PASSED
