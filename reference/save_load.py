"""Saving and loading a trained model, checked by comparing predictions.

A small dense network on MNIST (784-512-10, 407,050 parameters; Adam, 5 epochs in
batches of 128) is saved three ways: the native ``.keras`` archive, the legacy ``.h5``
file (both read back with ``keras.models.load_model``), and the architecture as JSON
(``to_json`` / ``keras.models.model_from_json``) with the weights in a separate file
(Keras 3 requires the ``.weights.h5`` suffix).  Each round trip must reproduce the
original predictions exactly: the largest absolute difference is 0.
"""

from pathlib import Path

import keras
import numpy as np

from reference.binding import alike
from reference.data import Data, load_mnist

INPUT_SHAPE = (784,)
DATASET = "mnist"
NUM_CLASSES = 10
LOSS = "categorical_crossentropy"
OPTIMIZER = "adam"
METRICS = ("accuracy",)
BATCH_SIZE = 128
EPOCHS = 5
VALIDATION_SPLIT = None  # None: validate on the test set
PARAMS = 407_050
PUBLISHED_ACCURACY = None  # the exercise is about saving, not a figure


def prepare_data() -> Data:
    return load_mnist(INPUT_SHAPE, NUM_CLASSES)


def build_model() -> keras.Sequential:
    return keras.Sequential([
        keras.Input(shape=INPUT_SHAPE),
        keras.layers.Dense(512, activation="relu"),
        keras.layers.Dense(NUM_CLASSES, activation="softmax"),
    ])


compile_model, train, evaluate = alike(globals(), "compile_model", "train", "evaluate")


def save_and_load(model: keras.Model, path: Path) -> keras.Model:
    """Whole model in one file; the suffix (``.keras`` or ``.h5``) picks the format."""
    model.save(path)
    return keras.models.load_model(path)


def json_and_weights(model: keras.Model, directory: Path) -> keras.Model:
    architecture = directory / "model.json"
    weights = directory / "model.weights.h5"
    architecture.write_text(model.to_json())
    model.save_weights(weights)
    restored = keras.models.model_from_json(architecture.read_text())
    restored.load_weights(weights)
    return restored


def round_trip_differences(model: keras.Model, images: np.ndarray, directory: Path) -> dict[str, float]:
    """Largest absolute difference of the predictions after each round trip (all 0)."""
    directory.mkdir(parents=True, exist_ok=True)
    expected = model.predict(images, verbose=0)
    restored = {
        "keras": save_and_load(model, directory / "model.keras"),
        "h5": save_and_load(model, directory / "model.h5"),
        "json+weights": json_and_weights(model, directory),
    }
    return {name: float(np.max(np.abs(copy.predict(images, verbose=0) - expected))) for name, copy in restored.items()}
