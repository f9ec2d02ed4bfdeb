"""What every exercise does alike, written once: compile with its settings, train, evaluate.

The functions read the exercise's own constants by name, as a solution notebook does; an
exercise module takes them bound to its constants (``reference.binding.alike``), and
``reference.notebooks`` writes their text into its notebook.  What differs from one
exercise to another (its data, its model, an optimizer with its own rate) stays in its file.
"""

import keras

from reference.data import Data

# The exercise's constants the functions read (each exercise module defines them).
LOSS: str
OPTIMIZER: str
METRICS: tuple[str, ...]
BATCH_SIZE: int
EPOCHS: int
VALIDATION_SPLIT: float


def compile_model(model: keras.Model) -> None:
    model.compile(loss=LOSS, optimizer=OPTIMIZER, metrics=list(METRICS))


# Validated on the test set.
def train(model: keras.Model, data: Data, epochs: int | None = None, samples: int | None = None) -> keras.callbacks.History:
    return model.fit(
        data.x_train[:samples],
        data.y_train[:samples],
        batch_size=BATCH_SIZE,
        epochs=epochs or EPOCHS,
        validation_data=(data.x_test, data.y_test),
    )


# Validated on the last ``VALIDATION_SPLIT`` of the training set.
def train_on_split(model: keras.Model, data: Data, epochs: int | None = None, samples: int | None = None) -> keras.callbacks.History:
    return model.fit(
        data.x_train[:samples],
        data.y_train[:samples],
        batch_size=BATCH_SIZE,
        epochs=epochs or EPOCHS,
        validation_split=VALIDATION_SPLIT,
    )


def evaluate(model: keras.Model, data: Data) -> float:
    loss, accuracy = model.evaluate(data.x_test, data.y_test, verbose=0)
    return float(accuracy)
