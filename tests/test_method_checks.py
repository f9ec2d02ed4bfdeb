"""The checks of method, and the data and accuracy checks that read where the arrays came from, on
facts traced from real MNIST arrays: each passes on the lecture's way and fails, with its own
message in both languages, on one mistake; the label check speaks only where the labels, not the
images, are wrong; the grader's test set is the dataset's, prepared the student's way."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from grader.boundary.execution import Execution
from grader.checks import compile, data, fit, method, results
from grader.checks.expected import Expected
from grader.course.assignment import load_assignment
from grader.datasets import Dataset, load
from grader.evidence.facts import CompileFacts, Facts, FitFacts
from grader.evidence.piece_facts import image_facts, label_facts
from grader.evidence.provenance import Preparation
from grader.evidence.tracing import Tracer, trace
from grader.measurement.inputs import prepared_test_split
from grader.messages import render
from grader.model.training import Training
from grader.outcome import Outcome

TRAIN, TEST = 3000, 1000


@pytest.fixture(scope="module")
def mnist() -> Dataset:
    return load("mnist")


@pytest.fixture(scope="module")
def expected() -> Expected:
    return load_assignment("week8").expected


@pytest.fixture(scope="module")
def lecture(mnist: Dataset) -> dict[str, np.ndarray]:
    """The lecture's arrays, in part: the checks read where they come from, not their size."""
    return {
        "x_train": mnist.x_train[:TRAIN].reshape(TRAIN, 28, 28, 1).astype("float32") / 255,
        "y_train": np.eye(10, dtype="float32")[mnist.y_train[:TRAIN]],
        "x_test": mnist.x_test[:TEST].reshape(TEST, 28, 28, 1).astype("float32") / 255,
        "y_test": np.eye(10, dtype="float32")[mnist.y_test[:TEST]],
    }


def facts_of(
    mnist: Dataset,
    arrays: dict[str, np.ndarray],
    validation: tuple[str, str] | None = ("x_test", "y_test"),
    split: float = 0.0,
    **extra: Any,
) -> Facts:
    """The facts of a notebook that fits on ``x_train``, validates on ``validation`` and
    evaluates on ``x_test``, as ``gathering.gather`` makes them."""
    pair = lambda x, y: (arrays.get(x), arrays.get(y))  # noqa: E731
    checked = pair(*validation) if validation else (None, None)
    provenance = trace(
        Tracer(mnist), pair("x_train", "y_train"), checked, pair("x_test", "y_test"), "evaluate"
    )
    shown = provenance.validation
    kind = "split" if split else "none"
    if shown is not None:
        kind = "test" if shown.images.test_rows > 0.99 * shown.images.rows else "other"
    history = ("loss", "accuracy", "val_loss", "val_accuracy")
    return Facts(
        Execution("completed", (), 0.0, False),
        "mnist",
        False,
        x_train=image_facts("x_train", arrays["x_train"]),
        x_test=image_facts("x_test", arrays["x_test"]),
        y_train=label_facts("y_train", arrays["y_train"], provenance.train),
        y_test=label_facts("y_test", arrays["y_test"], provenance.test),
        fit=FitFacts(128, 20, kind, split, history, {}),
        provenance=provenance,
        **extra,
    )


def assert_says(outcome: Outcome, status: str, key: str, *phrases: str) -> None:
    assert outcome.status == status and outcome.message is not None, outcome
    assert outcome.message.key == key, outcome.message
    english = render(outcome.message, "en")
    japanese = render(outcome.message, "ja")
    for part in (english.expected, english.found, english.fix, japanese.found, japanese.fix):
        assert part and "{" not in part, (key, part)
    for phrase in phrases:
        assert phrase in english.found, english.found


METHOD = (method.train_data, method.validation_data, method.test_data, method.same_scaling)
DATA = (data.x_range, data.y_agree)


def test_the_lectures_way_passes_every_check_of_method(mnist, lecture, expected) -> None:
    facts = facts_of(mnist, lecture)
    for check in (*METHOD, *DATA, fit.validation):
        assert check(facts, expected).passed, check.__name__


def test_trained_on_the_test_set_is_named_and_not_as_shuffled_labels(
    mnist, lecture, expected
) -> None:
    arrays = dict(lecture, x_train=lecture["x_test"], y_train=lecture["y_test"])
    facts = facts_of(mnist, arrays)
    assert_says(
        method.train_data(facts, expected),
        "failed",
        "method.trained_on_test",
        "1000 images model.fit trains on are test images",
    )
    assert data.y_agree(facts, expected).passed  # the labels do belong to their images
    assert method.test_data(facts, expected).passed


def test_evaluated_on_training_images(mnist, lecture, expected) -> None:
    arrays = dict(lecture, x_test=lecture["x_train"], y_test=lecture["y_train"])
    facts = facts_of(mnist, arrays, validation=None, split=0.1)
    assert_says(
        method.test_data(facts, expected),
        "failed",
        "method.evaluated_on_train",
        "you evaluated on (model.evaluate) are training images",
    )
    assert method.validation_data(facts, expected).passed  # validation_split: held out by Keras
    assert data.y_agree(facts, expected).passed
    mixed = dict(lecture, x_test=np.concatenate([lecture["x_test"], lecture["x_train"][:10]]))
    mixed["y_test"] = np.concatenate([lecture["y_test"], lecture["y_train"][:10]])
    assert_says(
        method.test_data(facts_of(mnist, mixed), expected),
        "failed",
        "method.test_has_train",
        "10 of the 1010 images",
    )


def test_validated_on_the_very_images_it_trains_on(mnist, lecture, expected) -> None:
    facts = facts_of(mnist, lecture, validation=("x_train", "y_train"))
    assert_says(
        method.validation_data(facts, expected),
        "failed",
        "method.validated_on_training",
        "100.0% of the validation images",
    )
    assert_says(
        fit.validation(facts, expected),
        "failed",
        "fit.validation_training_images",
        "3000 training images",
    )
    assert method.train_data(facts, expected).passed
    no_validation = facts_of(mnist, lecture, validation=None)
    # No validation data at all: fit.validation's finding, not a validation on training images.
    assert method.validation_data(no_validation, expected).passed
    assert_says(
        fit.validation(no_validation, expected),
        "failed",
        "fit.validation_test",
        "no validation data",
    )


def test_test_images_scaled_otherwise_than_the_training_images(mnist, lecture, expected) -> None:
    arrays = dict(lecture, x_test=lecture["x_test"] * 255)
    facts = facts_of(mnist, arrays)
    assert_says(
        method.same_scaling(facts, expected),
        "failed",
        "method.scaled_differently",
        "x_train was divided by 255 (p / 255), x_test left as raw pixels (0 to 255) (p)",
    )
    assert_says(data.x_range(facts, expected), "failed", "data.x_range_raw", "not divided by 255")
    own = dict(lecture, x_test=(lecture["x_test"] - 0.13) / 0.31)
    own["x_train"] = (lecture["x_train"] - 0.12) / 0.3
    assert not method.same_scaling(facts_of(mnist, own), expected).passed


def test_images_rearranged_alike_are_traced_and_rearranged_apart_are_named(
    mnist, lecture, expected
) -> None:
    transposed = lambda x: x.transpose(0, 2, 1, 3)  # noqa: E731
    alike = dict(
        lecture, x_train=transposed(lecture["x_train"]), x_test=transposed(lecture["x_test"])
    )
    facts = facts_of(mnist, alike)
    assert all(check(facts, expected).passed for check in (*METHOD, *DATA)), facts.provenance
    apart = facts_of(mnist, dict(lecture, x_train=transposed(lecture["x_train"])))
    assert_says(
        method.same_scaling(apart, expected),
        "failed",
        "method.laid_out_differently",
        "x_train transposed (rows and columns swapped), "
        "x_test laid out as load_data() returns them",
    )
    assert data.y_agree(apart, expected).passed and method.train_data(apart, expected).passed


@pytest.mark.parametrize(
    ("prepare", "key", "phrase"),
    [
        (lambda x: x / 255, "data.x_scaled_twice", "divided by 255 twice"),
        (lambda x: x * 2 - 1, "data.x_scaled_otherwise", "mapped to [-1, 1]"),
        (lambda x: (x - 0.1307) / 0.3081, "data.x_scaled_otherwise", "standardised"),
        (lambda x: 1 - x, "data.x_scaled_otherwise", "the pixels were inverted (1 - x / 255)"),
    ],
    ids=["twice", "centred", "standardised", "inverted"],
)
def test_the_range_check_judges_the_map_not_only_the_range(
    mnist, lecture, expected, prepare, key: str, phrase: str
) -> None:
    arrays = dict(lecture, x_train=prepare(lecture["x_train"]), x_test=prepare(lecture["x_test"]))
    facts = facts_of(mnist, arrays)
    assert_says(data.x_range(facts, expected), "failed", key, phrase)
    assert method.same_scaling(facts, expected).passed


@pytest.mark.parametrize(
    ("labels", "key", "phrase"),
    [
        (lambda y: y[np.random.default_rng(0).permutation(len(y))], "data.y_permuted", "order"),
        (lambda y: np.roll(y, 1, axis=0), "data.y_offset", "image i-1"),
        (
            lambda y: np.eye(10)[np.random.default_rng(0).integers(0, 10, len(y))],
            "data.y_agree",
            "are the class of their image",
        ),
        (lambda y: np.roll(y, 1, axis=1), "data.y_relabelled", "0 → 1, 1 → 2"),
        (lambda y: np.zeros_like(y) + np.eye(10)[3], "data.y_one_label", "the label 3"),
    ],
    ids=["permuted", "offset", "disagree", "relabelled", "one label"],
)
def test_labels_apart_from_their_images(
    mnist, lecture, expected, labels, key: str, phrase: str
) -> None:
    facts = facts_of(mnist, dict(lecture, y_train=labels(lecture["y_train"])))
    assert_says(data.y_agree(facts, expected), "failed", key, phrase)
    assert all(check(facts, expected).passed for check in METHOD)


def test_labels_of_the_other_split(mnist, lecture, expected) -> None:
    other = np.eye(10, dtype="float32")[mnist.y_test[:TEST]]
    arrays = dict(lecture, x_train=lecture["x_train"][:TEST], y_train=other)
    assert_says(
        data.y_agree(facts_of(mnist, arrays), expected),
        "failed",
        "data.y_other_split",
        "labels of the test set",
    )


def test_images_that_cannot_be_traced_are_not_judged_by_method(mnist, lecture, expected) -> None:
    noisy = lecture["x_train"] + np.random.default_rng(0).normal(0, 0.01, lecture["x_train"].shape)
    facts = facts_of(mnist, dict(lecture, x_train=noisy))
    assert_says(method.train_data(facts, expected), "not_run", "method.train_untraced", "x_train")
    assert_says(data.y_agree(facts, expected), "not_run", "data.y_untraced", "noise, crops")
    assert method.test_data(facts, expected).passed


def _measured(facts: Facts, accuracy: float = 0.1, samples: int = 2000) -> Facts:
    from dataclasses import replace

    prepared = prepared_test_split(
        load("mnist"),
        Preparation(
            "x_test",
            facts.provenance.test.images.transform,  # type: ignore[union-attr]
            (28, 28, 1),
        ),
        None,
        None,
    )
    assert not isinstance(prepared, str)
    training = Training(accuracy, samples, 1, 128, prepared[2].images, 1.0)
    return replace(facts, training=training, measured_on=prepared[2])


@pytest.mark.parametrize(
    ("change", "key", "phrase"),
    [
        ({"x_train": lambda a: a["x_train"] / 255}, "results.accuracy_scaling", "twice"),
        ({"x_test": lambda a: a["x_test"] * 255}, "results.accuracy_prepared_differently", "raw"),
        (
            {"y_train": lambda a: a["y_train"][np.random.default_rng(0).permutation(TRAIN)]},
            "results.accuracy_labels",
            "labels that are not the classes of their images",
        ),
        ({"x_train": lambda a: a["x_train"] * 255}, "results.accuracy_raw", "not scaled"),
        ({}, "results.accuracy", "prepared as your x_test"),
    ],
    ids=["twice", "test raw", "labels", "raw", "none"],
)
def test_a_low_accuracy_names_the_cause_its_data_shows(
    mnist, lecture, expected, change, key: str, phrase: str
) -> None:
    arrays = dict(lecture, **{name: make(lecture) for name, make in change.items()})
    facts = _measured(facts_of(mnist, arrays))
    assert_says(results.accuracy(facts, expected), "failed", key, phrase, "10000")


def test_the_test_split_is_prepared_the_students_way_less_what_it_trains_on(mnist) -> None:
    transform = Tracer(mnist).images(mnist.x_test[:50] / 127.5 - 1, "test")
    assert transform is not None
    preparation = Preparation("x_test", transform.images.transform, (784,))
    trained_on = np.concatenate([np.arange(5), len(mnist.x_train) + np.arange(100)])
    prepared = prepared_test_split(mnist, preparation, trained_on, 2000)
    assert not isinstance(prepared, str)
    images, truth, on = prepared
    assert images.shape == (2000, 784) and (on.images, on.left_out, on.split_size) == (
        2000,
        100,
        10000,
    )
    assert np.array_equal(images[0], mnist.x_test[100].reshape(784) / np.float32(127.5) - 1)
    assert np.array_equal(truth, mnist.y_test[100:2100])
    wrong = Preparation("x_test", transform.images.transform, (27, 27))
    assert prepared_test_split(mnist, wrong, None, None) == "results.not_reshaped"


def test_a_low_accuracy_from_a_few_training_images_says_so(mnist, lecture, expected) -> None:
    """fit(x_train[:300], y_train[:300]): the grader trains on those 300, and says that is why; a
    subset as large as the grader's budget is no cause."""
    few = dict(lecture, x_train=lecture["x_train"][:300], y_train=lecture["y_train"][:300])
    facts = _measured(facts_of(mnist, few), samples=300)
    assert_says(
        results.accuracy(facts, expected),
        "failed",
        "results.accuracy_few_images",
        f"only 300 of the {len(mnist.x_train)} training images",
    )
    enough = _measured(facts_of(mnist, lecture), samples=expected.measure_samples)
    assert_says(results.accuracy(enough, expected), "failed", "results.accuracy")


def test_class_numbers_with_the_sparse_loss_cost_one_point_said_as_it_is(
    mnist, lecture, expected
) -> None:
    """Integer labels with sparse_categorical_crossentropy train the same model: the label check
    says the assignment asks for one-hot labels; the loss is the one those labels call for."""
    numbers = dict(lecture, y_train=mnist.y_train[:TRAIN], y_test=mnist.y_test[:TEST])
    sparse = CompileFacts("sparse_categorical_crossentropy", "adam", {}, ("accuracy",))
    facts = facts_of(mnist, numbers, compile=sparse)
    assert_says(data.y_onehot(facts, expected), "failed", "data.y_sparse", "trains the same model")
    assert compile.loss(facts, expected).passed
    # One-hot labels with the sparse loss: the loss is wrong, and said so.
    mismatched = facts_of(mnist, lecture, compile=sparse)
    assert data.y_onehot(mismatched, expected).passed
    assert_says(compile.loss(mismatched, expected), "failed", "compile.loss")


def test_labels_encoded_twice_are_named_and_what_follows_rests_on_it(
    mnist, lecture, expected
) -> None:
    twice = dict(lecture, y_train=np.eye(10, dtype="float32")[lecture["y_train"].astype(int)])
    facts = facts_of(mnist, twice)
    assert_says(data.y_onehot(facts, expected), "failed", "data.y_encoded_twice", "already one-hot")
    assert_says(data.y_agree(facts, expected), "not_run", "data.y_unknown")
