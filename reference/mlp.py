"""A multilayer perceptron on MNIST: 784-500-250-100-10, ReLU then softmax.

543,860 parameters, Adam, 10 epochs in batches of 1000, validated on the test set; the
lecture reports 0.9801.  The inputs must be scaled to [0, 1]: fed the raw 0-255 pixels
the same network reaches only 0.5423.
"""

import keras

from reference.binding import alike
from reference.data import Data, load_mnist

INPUT_SHAPE = (784,)
DATASET = "mnist"
NUM_CLASSES = 10
HIDDEN_UNITS = (500, 250, 100)
LOSS = "categorical_crossentropy"
OPTIMIZER = "adam"
METRICS = ("accuracy",)
BATCH_SIZE = 1000
EPOCHS = 10
VALIDATION_SPLIT = None  # None: validate on the test set
PARAMS = 543_860
PUBLISHED_ACCURACY = 0.9801
RAW_INPUT_ACCURACY = 0.5423


def prepare_data() -> Data:
    return load_mnist(INPUT_SHAPE, NUM_CLASSES)


def build_model() -> keras.Sequential:
    hidden = [keras.layers.Dense(units, activation="relu") for units in HIDDEN_UNITS]
    return keras.Sequential([
        keras.Input(shape=INPUT_SHAPE),
        *hidden,
        keras.layers.Dense(NUM_CLASSES, activation="softmax"),
    ])


compile_model, train, evaluate = alike(globals(), "compile_model", "train", "evaluate")
