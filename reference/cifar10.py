"""A small CNN on CIFAR-10, predicting class names.

Two blocks of two 3x3 convolutions (32 then 64 filters, "same" padding) each followed by
max pooling take 32x32x3 images down to 8x8x64; flattened (4096) into a dense layer of
512 and a softmax over the ten classes: 2,168,362 parameters.  Adam, 5 epochs in
batches of 32, 20 % of the training set held out for validation; published 0.7293.
"""

import keras
import numpy as np

from reference.binding import alike
from reference.data import Data, load_cifar10

INPUT_SHAPE = (32, 32, 3)
DATASET = "cifar10"
NUM_CLASSES = 10
CLASS_NAMES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
LOSS = "categorical_crossentropy"
OPTIMIZER = "adam"
METRICS = ("accuracy",)
BATCH_SIZE = 32
EPOCHS = 5
VALIDATION_SPLIT = 0.2
PARAMS = 2_168_362
PUBLISHED_ACCURACY = 0.7293


def prepare_data() -> Data:
    return load_cifar10(INPUT_SHAPE, NUM_CLASSES)


def build_model() -> keras.Sequential:
    return keras.Sequential([
        keras.Input(shape=INPUT_SHAPE),
        keras.layers.Conv2D(32, 3, padding="same", activation="relu"),
        keras.layers.Conv2D(32, 3, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Conv2D(64, 3, padding="same", activation="relu"),
        keras.layers.Conv2D(64, 3, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Flatten(),
        keras.layers.Dense(512, activation="relu"),
        keras.layers.Dense(NUM_CLASSES, activation="softmax"),
    ])


compile_model, train, evaluate = alike(globals(), "compile_model", "train_on_split", "evaluate")


def predict_classes(model: keras.Model, images: np.ndarray) -> list[str]:
    probabilities = model.predict(images, verbose=0)
    return [CLASS_NAMES[index] for index in np.argmax(probabilities, axis=1)]
