"""Week 8: the lecture's convolutional network on MNIST.

Two convolution/pooling blocks, dropout, a dense layer of 128 and a softmax over the ten
digits: 665,738 parameters.  Trained with Adam for 20 epochs in batches of 128, validated
on the test set; the lecture reports a test accuracy of 0.9930.
"""

import keras

from reference.binding import alike
from reference.data import Data, load_mnist

INPUT_SHAPE = (28, 28, 1)
DATASET = "mnist"
NUM_CLASSES = 10
LOSS = "categorical_crossentropy"
OPTIMIZER = "adam"
METRICS = ("accuracy",)
BATCH_SIZE = 128
EPOCHS = 20
VALIDATION_SPLIT = None  # None: validate on the test set
PARAMS = 665_738
PUBLISHED_ACCURACY = 0.9930


def prepare_data() -> Data:
    return load_mnist(INPUT_SHAPE, NUM_CLASSES)


def build_model() -> keras.Sequential:
    return keras.Sequential([
        keras.Input(shape=INPUT_SHAPE),
        keras.layers.Conv2D(64, (3, 3), padding="same", activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Conv2D(128, (3, 3), activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Dropout(0.5),
        keras.layers.Flatten(),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dropout(0.25),
        keras.layers.Dense(NUM_CLASSES, activation="softmax"),
    ])


compile_model, train, evaluate = alike(globals(), "compile_model", "train", "evaluate")
