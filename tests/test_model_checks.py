"""The layer check on a model built by real Keras, read back from its config as the grader reads
a student's: the lecture's model passes, Keras 1's ``Convolution2D(n, 3, 3)`` spelling fails
with the modern spelling in its message."""

from __future__ import annotations

import pytest

from grader.checks.model import layers
from grader.course.assignment import load_assignment
from grader.evidence.facts import Facts
from grader.messages import render
from grader.model.architecture import parse_architecture
from grader.model.training import import_keras
from grader.sandbox.runner import Execution


def lecture_model(conv2: object) -> str:
    """The week-8 model as the lecture writes it (``tensorflow.keras``-era spelling), with its
    second convolution given; its config JSON, as the kernel records it."""
    keras = import_keras()
    layers_ = keras.layers
    model = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            layers_.Conv2D(64, (3, 3), padding="same", activation="relu"),
            layers_.MaxPooling2D(pool_size=(2, 2)),
            conv2,
            layers_.MaxPooling2D(pool_size=(2, 2)),
            layers_.Dropout(0.5),
            layers_.Flatten(),
            layers_.Dense(128, activation="relu"),
            layers_.Dropout(0.25),
            layers_.Dense(10, activation="softmax"),
        ]
    )
    return model.to_json()


@pytest.fixture(scope="module")
def week8():
    return load_assignment("week8").expected


def layer_outcome(config_json: str, expected) -> object:
    facts = Facts(
        Execution("completed", (), 0.0, False),
        "mnist",
        False,
        architecture=parse_architecture(config_json),
    )
    return layers(facts, expected)


def test_the_lecture_model_passes(week8) -> None:
    keras = import_keras()
    outcome = layer_outcome(
        lecture_model(keras.layers.Conv2D(128, (3, 3), activation="relu")), week8
    )
    assert outcome.passed


def test_keras1_convolution_spelling_is_named_with_its_fix(week8) -> None:
    keras = import_keras()
    # Keras 1's Convolution2D(128, 3, 3): in Keras 3 the third argument is the strides.
    outcome = layer_outcome(lecture_model(keras.layers.Conv2D(128, 3, 3, activation="relu")), week8)
    assert outcome.status == "failed" and outcome.message.key == "model.keras1_conv"
    rendered = render(outcome.message, "en")
    assert (
        rendered.found.startswith("layer 3:")
        and "strides equal to the kernel size" in rendered.found
    ), rendered
    assert "Keras 1" in rendered.fix and "Conv2D(n, (3, 3))" in rendered.fix
    assert "Keras 1" in render(outcome.message, "ja").fix
