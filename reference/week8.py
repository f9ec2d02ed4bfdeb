"""Week 8: the lecture's convolutional network on MNIST.

Two convolution/pooling blocks, dropout, a dense layer of 128 and a softmax over the ten
digits: 665,738 parameters.  Trained with Adam for 20 epochs in batches of 128, validated
on the test set; the lecture reports a test accuracy of 0.9930.
"""

import keras

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


def compile_model(model: keras.Model) -> None:
    model.compile(loss=LOSS, optimizer=OPTIMIZER, metrics=list(METRICS))


def train(model: keras.Model, data: Data, epochs: int | None = None, samples: int | None = None) -> keras.callbacks.History:
    return model.fit(
        data.x_train[:samples],
        data.y_train[:samples],
        batch_size=BATCH_SIZE,
        epochs=epochs or EPOCHS,
        validation_data=(data.x_test, data.y_test),
    )


def evaluate(model: keras.Model, data: Data) -> float:
    loss, accuracy = model.evaluate(data.x_test, data.y_test, verbose=0)
    return float(accuracy)
