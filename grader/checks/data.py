"""The prepared data: image shapes, dtype, how the pixels were scaled, one-hot labels that belong
to their images (the last two read from ``Facts.provenance``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from grader.checks.expected import Expected
from grader.checks.registry import check
from grader.evidence.facts import ArrayFacts, Facts, ImageFacts, LabelFacts
from grader.outcome import PASSED, Outcome, Term, failed, not_run

Item = TypeVar("Item", bound=ArrayFacts)


def _first_fault(
    items: Sequence[Item | None], absent: str, fault: Callable[[Item], Outcome | None]
) -> Outcome:
    """``fault``'s outcome for the first of the arrays it finds wrong; ``absent`` when there are
    none."""
    present = [item for item in items if item is not None]
    if not present:
        return not_run(absent)
    return next((outcome for outcome in map(fault, present) if outcome is not None), PASSED)


def _images(facts: Facts, fault: Callable[[ImageFacts], Outcome | None]) -> Outcome:
    return _first_fault((facts.x_train, facts.x_test), "data.no_images", fault)


def _labels(facts: Facts, fault: Callable[[LabelFacts], Outcome | None]) -> Outcome:
    return _first_fault((facts.y_train, facts.y_test), "data.no_labels", fault)


@check("data.x_shape")
def x_shape(facts: Facts, expected: Expected) -> Outcome:
    def fault(array: ImageFacts) -> Outcome | None:
        if tuple(array.shape[1:]) == expected.input_shape:
            return None
        return failed(
            "data.x_shape",
            name=array.name,
            shape=array.shape,
            expected=("N", *expected.input_shape),
            reshape=", ".join(str(d) for d in (-1, *expected.input_shape)),
        )

    return _images(facts, fault)


@check("data.x_dtype")
def x_dtype(facts: Facts, expected: Expected) -> Outcome:
    return _images(
        facts,
        lambda array: (
            None
            if array.dtype == "float32"
            else failed("data.x_dtype", name=array.name, dtype=array.dtype)
        ),
    )


@check("data.x_range")
def x_range(facts: Facts, expected: Expected) -> Outcome:
    origins = {"x_train": facts.provenance.train, "x_test": facts.provenance.test}

    def fault(array: ImageFacts) -> Outcome | None:
        found = dict(name=array.name, low=round(array.minimum, 4), high=round(array.maximum, 4))
        origin = origins.get(array.name)
        kind = origin.images.transform.kind if origin and origin.images.traced else None
        # The map from the pixels, where it is known, decides: [0, 0.0039] is in [0, 1] too.
        if kind == "scaled":
            return None
        if kind in ("scaled_twice", "centred", "standardised", "inverted", "other"):
            key = "data.x_scaled_twice" if kind == "scaled_twice" else "data.x_scaled_otherwise"
            return failed(key, transform=Term(f"transform.{kind}"), **found)
        if kind is None and (array.finite and array.minimum >= 0 and array.maximum <= 1.0 + 1e-6):
            return None
        if kind is None and array.maximum <= 1.5:
            return failed("data.x_range", **found)
        if expected.raw_input_accuracy is not None and expected.full_accuracy is not None:
            # What this very network reaches on raw pixels, from the reference's full training.
            return failed(
                "data.x_range_raw_known",
                raw=expected.raw_input_accuracy,
                full=expected.full_accuracy,
                **found,
            )
        return failed("data.x_range_raw", **found)

    return _images(facts, fault)


SPARSE_LOSS = "sparse_categorical_crossentropy"


def class_numbers(y: LabelFacts | None) -> bool:
    """Whether ``y`` holds one class number per image (``(N,)`` or ``(N, 1)``) of whole numbers."""
    return (
        y is not None
        and (len(y.shape) == 1 or (len(y.shape) == 2 and y.shape[1] == 1))
        and y.dtype.startswith(("int", "uint"))
    )


@check("data.y_onehot")
def y_onehot(facts: Facts, expected: Expected) -> Outcome:
    sparse = facts.compile is not None and facts.compile.loss == SPARSE_LOSS

    def fault(y: LabelFacts) -> Outcome | None:
        if sparse and class_numbers(y):
            # Class numbers with the sparse loss: the same training, another form than taught.
            return failed("data.y_sparse", name=y.name, shape=y.shape, classes=expected.classes)
        if y.shape[1:] == (expected.classes, expected.classes):
            # to_categorical of labels already one-hot: each 0 and 1 became a row of its own.
            return failed(
                "data.y_encoded_twice", name=y.name, shape=y.shape, classes=expected.classes
            )
        if len(y.shape) != 2 or not y.one_hot:
            return failed("data.y_not_onehot", name=y.name, shape=y.shape, classes=expected.classes)
        if y.shape[1] != expected.classes:
            return failed(
                "data.y_columns", name=y.name, columns=y.shape[1], classes=expected.classes
            )
        return None

    return _labels(facts, fault)


# How labels that do not belong to their images relate to them, and the message that says so.
RELATIONS = {
    "permuted": "data.y_permuted",
    "offset": "data.y_offset",
    "other_split": "data.y_other_split",
    "relabelled": "data.y_relabelled",
    "disagree": "data.y_agree",
}


def _class_name(expected: Expected, index: int) -> str:
    """A class by its name, where the assignment names its classes, else by its number."""
    names = expected.class_names
    return names[index] if 0 <= index < len(names) else str(index)


@check("data.y_agree", after={"data.y_unknown": ("data.y_onehot",)})
def y_agree(facts: Facts, expected: Expected) -> Outcome:
    """The labels against their own images' true labels, whichever split the images are from: a
    notebook that trained on (x_test, y_test) has labels that belong to their images (the method
    checks name that mistake), one that shuffled y_train alone has not."""
    origins = {"y_train": facts.provenance.train, "y_test": facts.provenance.test}

    def fault(y: LabelFacts) -> Outcome | None:
        origin = origins.get(y.name)
        labels = origin.labels if origin is not None else None
        if origin is not None and not origin.images.traced:
            return not_run("data.y_untraced", name=y.name, images=origin.name)
        if labels is None or labels.relation == "unknown" or labels.agreement is None:
            return not_run("data.y_unknown", name=y.name)
        if labels.relation == "agree":
            return None
        given = {label for _, label in labels.mapping}
        if len(given) == 1 and len(labels.mapping) == expected.classes - 1:
            (label,) = given
            return failed(
                "data.y_one_label",
                name=y.name,
                label=_class_name(expected, label),
                percent=round(100 * labels.agreement, 1),
            )
        images = origin.images if origin is not None else None
        other = "train" if images is not None and images.test_rows > images.train_rows else "test"
        return failed(
            RELATIONS.get(labels.relation, "data.y_agree"),
            name=y.name,
            percent=round(100 * labels.agreement, 1),
            shift=f"{labels.offset:+d}" if labels.offset else "",
            other=Term(f"split.{other}"),
            mapping=", ".join(
                f"{_class_name(expected, true)} → {_class_name(expected, given)}"
                for true, given in labels.mapping
            ),
        )

    return _labels(facts, fault)
