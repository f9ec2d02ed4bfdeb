"""Where an array came from, found from the data alone: the split, the order, the map from the
pixels (the factor fitted against the matched originals) and how the labels relate to the images.
"""

from __future__ import annotations

import numpy as np
import pytest

from grader.datasets import Dataset, load
from grader.evidence.tracing import Tracer, shared
from grader.evidence.transforms import Transform

ROWS = 2000


@pytest.fixture(scope="module")
def mnist() -> Dataset:
    return load("mnist")


@pytest.fixture(scope="module")
def tracer(mnist: Dataset) -> Tracer:
    return Tracer(mnist)


def _pixels(mnist: Dataset) -> np.ndarray:
    return mnist.x_train[:ROWS].reshape(ROWS, 28, 28, 1).astype("float32")


@pytest.mark.parametrize(
    ("prepare", "kind", "divisor", "offset"),
    [
        (lambda p: p / 255, "scaled", 255, 0.0),
        (lambda p: p / 255 / 255, "scaled_twice", 65025, 0.0),
        (lambda p: p / 127.5 - 1, "centred", 127.5, -1.0),
        (lambda p: p, "unchanged", 1, 0.0),
        (lambda p: p.astype("uint8"), "unchanged", 1, 0.0),
        (lambda p: (p / 255).astype("float16"), "scaled", 255, 0.0),
        (lambda p: p.reshape(len(p), 784).astype("float64") / 255, "scaled", 255, 0.0),
        (lambda p: p / 255 * 0.5 + 0.25, "other", 510, 0.25),
    ],
    ids=["/255", "/255 twice", "/127.5-1", "float", "uint8", "float16", "flat float64", "other"],
)
def test_the_map_from_the_pixels_is_fitted_against_the_matched_originals(
    mnist: Dataset, prepare, kind: str, divisor: float, offset: float
) -> None:
    images = Tracer(mnist).images(prepare(_pixels(mnist)))
    assert images is not None
    found = images.images
    assert (found.split, found.train_rows, found.order) == ("train", ROWS, "subset")
    transform = found.transform
    assert transform.kind == kind
    assert transform.divisor == pytest.approx(divisor, rel=1e-3)
    assert transform.offset == pytest.approx(offset, abs=1e-3)


def test_a_standardisation_with_the_training_sets_statistics_is_named(mnist: Dataset) -> None:
    whole = mnist.x_train.astype("float32")
    mean, std = whole.mean(), whole.std()
    found = Tracer(mnist).images((_pixels(mnist) - mean) / std)
    assert found is not None and found.images.transform.kind == "standardised"
    assert found.images.transform.divisor == pytest.approx(std, rel=1e-3)


def test_values_that_are_no_rescaling_of_the_pixels_are_not_traced(mnist: Dataset) -> None:
    noisy = _pixels(mnist) / 255 + np.random.default_rng(0).normal(0, 0.01, (ROWS, 28, 28, 1))
    found = Tracer(mnist).images(noisy)
    assert found is not None
    assert (found.images.split, found.images.transform.kind) == ("unknown", "unknown")
    assert not found.images.traced and (found.index < 0).all()
    other = np.random.default_rng(1).integers(0, 256, (ROWS, 28, 28, 1)).astype("float32") / 255
    random = Tracer(mnist).images(other)
    assert random is not None and random.images.split == "neither"


@pytest.mark.parametrize(
    ("prepare", "kind", "layout"),
    [
        (lambda x: x[:, ::-1] / 255, "scaled", "flipped_up_down"),
        (lambda x: x[:, :, ::-1] / 255, "scaled", "flipped_left_right"),
        (lambda x: x.transpose(0, 2, 1, 3) / 255, "scaled", "transposed"),
        (lambda x: np.rot90(x, 1, axes=(1, 2)) / 255, "scaled", "rotated_90"),
        (lambda x: np.rot90(x, 2, axes=(1, 2)) / 255, "scaled", "rotated_180"),
        (lambda x: 1 - x / 255, "inverted", "as_loaded"),
        (lambda x: 255 - x.transpose(0, 2, 1, 3), "other", "transposed"),
    ],
    ids=["upside down", "mirrored", "transposed", "quarter turn", "half turn", "inverted", "both"],
)
def test_images_inverted_or_rearranged_are_traced_as_what_was_done(
    mnist: Dataset, prepare, kind: str, layout: str
) -> None:
    x = prepare(_pixels(mnist))
    found = Tracer(mnist).images(x)
    assert found is not None and found.images.split == "train"
    assert (found.images.transform.kind, found.images.transform.layout) == (kind, layout)
    assert (found.index == np.arange(ROWS)).all()
    # Prepared the same way by the grader: the very values the student's array holds.
    again = found.images.transform.apply(mnist.x_train[:ROWS])
    assert np.allclose(again.reshape(x.shape), x, atol=1e-5)


def test_the_split_and_the_order_are_found(mnist: Dataset, tracer: Tracer) -> None:
    test = mnist.x_test.reshape(10000, 784).astype("float32") / 255
    permuted = test[np.random.default_rng(1).permutation(10000)]
    cases = {
        "as loaded": (test, "test", "as_loaded"),
        "permuted": (permuted, "test", "permuted"),
        "a subset": (test[::7], "test", "subset"),
        "repeated": (np.concatenate([test, test[:10]]), "test", "repeated"),
        "both": (
            np.concatenate([test, mnist.x_train[:500].reshape(500, 784) / 255]),
            "both",
            "as_loaded",
        ),
    }
    for name, (x, split, order) in cases.items():
        found = tracer.images(x, "test")
        assert found is not None, name
        assert (found.images.split, found.images.order) == (split, order), name
    mixed = tracer.images(cases["both"][0], "test")
    assert mixed is not None and (mixed.images.train_rows, mixed.images.test_rows) == (500, 10000)


def test_the_labels_are_related_to_their_images(mnist: Dataset, tracer: Tracer) -> None:
    x = _pixels(mnist) / 255
    y = np.eye(10, dtype="float32")[mnist.y_train[:ROWS]]
    images = tracer.images(x)
    shifted = tracer.images(x[1:])
    assert images is not None and shifted is not None
    shuffled = y[np.random.default_rng(2).permutation(ROWS)]
    relations = {
        "agree": tracer.labels_of(y, images),
        "integers": tracer.labels_of(mnist.y_train[:ROWS], images),
        "permuted": tracer.labels_of(shuffled, images),
        "offset": tracer.labels_of(y[:-1], shifted),
        "other split": tracer.labels_of(np.eye(10)[mnist.y_test[:ROWS]], images),
        "disagree": tracer.labels_of(
            np.eye(10)[np.random.default_rng(3).integers(0, 10, ROWS)], images
        ),
        "plus one": tracer.labels_of(np.eye(10)[(mnist.y_train[:ROWS] + 1) % 10], images),
        "nine minus": tracer.labels_of((9 - mnist.y_train[:ROWS]).astype("float32"), images),
        "all zeros": tracer.labels_of(np.eye(10)[np.zeros(ROWS, dtype=int)], images),
        "few rows": tracer.labels_of(
            np.eye(10)[(mnist.y_train[:12] + 1) % 10], tracer.images(x[:12])
        ),
        "unknown": tracer.labels_of(y[:10], images),
    }
    found = {name: labels.relation for name, labels in relations.items() if labels is not None}
    assert found == {
        "agree": "agree",
        "integers": "agree",
        "permuted": "permuted",
        "offset": "offset",
        "other split": "other_split",
        "disagree": "disagree",
        "plus one": "relabelled",
        "nine minus": "relabelled",
        "all zeros": "relabelled",
        "few rows": "disagree",
        "unknown": "unknown",
    }
    assert relations["plus one"] is not None
    assert relations["plus one"].mapping == tuple((c, (c + 1) % 10) for c in range(10))
    assert relations["nine minus"] is not None and (4, 5) in relations["nine minus"].mapping
    assert relations["all zeros"] is not None and (0, 0) not in relations["all zeros"].mapping
    assert relations["offset"] is not None and relations["offset"].offset == -1
    assert relations["permuted"] is not None and relations["permuted"].agreement < 0.2


def test_test_images_trained_on_are_agreeing_labels_of_the_test_split(
    mnist: Dataset, tracer: Tracer
) -> None:
    """fit(x_test, y_test): the images are the test split's and their labels belong to them."""
    x = mnist.x_test.reshape(10000, 28, 28, 1).astype("float32") / 255
    traced = tracer.images(x, "train")  # searched in the training split first: not there
    assert traced is not None and traced.images.split == "test"
    labels = tracer.labels_of(np.eye(10)[mnist.y_test], traced)
    assert labels is not None and labels.relation == "agree"


def test_the_images_two_arrays_share(mnist: Dataset, tracer: Tracer) -> None:
    x = _pixels(mnist) / 255
    assert shared(tracer.images(x), tracer.images(x[:500])) == 1.0
    assert shared(tracer.images(x[:1000]), tracer.images(x[500:1500])) == 0.5
    test = tracer.images(mnist.x_test[:100] / 255, "test")
    assert shared(tracer.images(x), test) == 0.0


def test_a_named_map_applied_to_the_originals_gives_the_students_very_values(
    mnist: Dataset,
) -> None:
    pixels = mnist.x_test[:100]
    student = pixels.astype("float32") / 255 / 255
    found = Tracer(mnist).images(student, "test")
    assert found is not None
    assert np.array_equal(found.images.transform.apply(pixels), student)
    other = Transform("other", 2.0, 1.0, "float32")
    assert np.array_equal(other.apply(pixels[:1]), pixels[:1].astype("float32") * 2 + 1)


def test_images_divided_by_their_own_maximum_are_traced_where_it_is_255(mnist: Dataset) -> None:
    """x / x.max(axis=(1, 2, 3), keepdims=True): nine in ten MNIST images have 255 as their
    largest pixel, so those are the dataset's images divided by 255, and the rest are not found."""
    x = _pixels(mnist)
    found = Tracer(mnist).images(x / x.max(axis=(1, 2, 3), keepdims=True))
    assert found is not None and found.images.split == "train"
    assert found.images.transform.kind == "scaled"
    brightest = x.reshape(ROWS, -1).max(axis=1) == 255
    assert ((found.index >= 0) == brightest).all() and 0.8 < brightest.mean() < 0.95
