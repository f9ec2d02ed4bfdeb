"""Week 8's lecture written another way, graded end to end in one batch: TensorFlow's activation
functions with loss and optimizer objects and ``'acc'``; activation layers with logits and a
metric object; the whole notebook as a Keras 1 tutorial writes it.  Each earns full marks (the
old APIs with a note each to modernise).  And a notebook that only ran in the student's order is
told which cell ran before which."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from tests.conftest import LECTURE, edited, finished, grade_many, mutate

IMPORTS = (
    "from tensorflow.keras.layers import Conv2D, MaxPooling2D, Dropout, Flatten, Dense",
    "from tensorflow.keras.layers import Conv2D, MaxPooling2D, Dropout, Flatten, Dense, ReLU\n"
    "import tensorflow as tf\nfrom tensorflow import keras",
)
COMPILE = "model.compile(loss='categorical_crossentropy', optimizer='adam', metrics=['accuracy'])"
KERAS1_DENSE = "output_dim=128, init='he_normal'"
FORMS: dict[str, list[tuple[str, str]]] = {
    # tf.nn's functions (softmax is stored as 'softmax_v2'), objects for the loss and optimizer,
    # and Keras's other spelling of the accuracy.
    "functions": [
        IMPORTS,
        ("activation='relu'", "activation=tf.nn.relu"),
        ("Dense(10, activation='softmax')", "Dense(10, activation=tf.nn.softmax)"),
        (
            COMPILE,
            "model.compile(loss=keras.losses.CategoricalCrossentropy(), "
            "optimizer=keras.optimizers.Adam(learning_rate=0.001), metrics=['acc'])",
        ),
        ("history.history['accuracy']", "history.history['acc']"),
        ("history.history['val_accuracy']", "history.history['val_acc']"),
    ],
    # Activation layers, logits read by the loss (TensorFlow's tutorials), a metric object.
    "layers": [
        IMPORTS,
        ("Dense(128, activation='relu')", "Dense(128))\nmodel.add(ReLU()"),
        ("Dense(10, activation='softmax')", "Dense(10)"),
        (
            COMPILE,
            "model.compile(loss=keras.losses.CategoricalCrossentropy(from_logits=True), "
            "optimizer=keras.optimizers.get('Adam'), "
            "metrics=[keras.metrics.CategoricalAccuracy()])",
        ),
        ("history.history['accuracy']", "history.history['categorical_accuracy']"),
        ("history.history['val_accuracy']", "history.history['val_categorical_accuracy']"),
    ],
    # A Keras 1 tutorial's spelling, mapped by the kernel.
    "keras1": [
        (
            "from tensorflow.keras.layers import Conv2D, MaxPooling2D, Dropout, Flatten, Dense\n"
            "from tensorflow.keras.utils import to_categorical",
            "from keras.layers import Convolution2D, MaxPooling2D, Dropout, Flatten, Dense\n"
            "from keras.utils import np_utils\nfrom keras.optimizers import Adam\n"
            "from keras import backend as K\nK.set_image_dim_ordering('tf')",
        ),
        ("to_categorical(y_train, 10)", "np_utils.to_categorical(y_train, nb_classes=10)"),
        ("to_categorical(y_test, 10)", "np_utils.to_categorical(y_test, nb_classes=10)"),
        ("Conv2D(64, (3, 3), padding='same'", "Convolution2D(64, 3, 3, border_mode='same'"),
        ("Conv2D(128, (3, 3)", "Convolution2D(128, 3, 3"),
        ("Dense(128, activation='relu'", f"Dense({KERAS1_DENSE}, activation='relu'"),
        ("optimizer='adam'", "optimizer=Adam(lr=0.001)"),
        ("epochs=epochs", "nb_epoch=epochs"),
    ],
}  # fmt: skip
KERAS1_CELLS = [
    "print(model.predict_classes(x_test[:5]))\nmodel.save_weights('weights.hdf5')",
    "from sklearn.externals import joblib\njoblib.dump(history.history, 'history.pkl')",
]
KERAS1_NOTES = (
    "keras.utils.np_utils.to_categorical",
    "keras.backend.set_image_dim_ordering('tf')",
    "to_categorical(y, nb_classes=...)",
    "Convolution2D(32, 3, 3)",
    "border_mode=",
    "output_dim=",
    "init=",
    "lr=",
    "fit(..., nb_epoch=...)",
    "model.predict_classes(x)",
    "model.save_weights('weights.h5')",
    "sklearn.externals.joblib",
)


def _out_of_order(target: Path) -> Path:
    """The lecture with its preparation cell moved above the cell that loads the data, saved with
    the counts of a student who ran the loading cell first."""
    notebook = edited(LECTURE, [])
    code = [c for c in notebook.cells if c.cell_type == "code"]
    load, prepare = code[1], code[2]
    order = [code[0], prepare, load, *code[3:]]
    counts = [1, 3, 2, *range(4, len(code) + 1)]
    for cell, count in zip(order, counts):
        cell.execution_count = count
    notebook.cells = [c for c in notebook.cells if c.cell_type != "code"] + order
    for i, cell in enumerate(notebook.cells):
        cell.id = f"cell-{i}"
    nbformat.write(notebook, target)
    return target


@pytest.fixture(scope="module")
def records(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    folder = tmp_path_factory.mktemp("forms")
    paths = [
        mutate(LECTURE, folder / f"{name}.ipynb", edits, KERAS1_CELLS if name == "keras1" else [])
        for name, edits in FORMS.items()
    ]
    paths.append(_out_of_order(folder / "out_of_order.ipynb"))
    # Generous limits: the batch runs beside the rest of the suite on a loaded machine.
    limits = ("--cell-timeout", "200", "--total-timeout", "600")
    return finished(grade_many("week8", paths, folder / "out", *limits), folder / "out")


@pytest.mark.slow
@pytest.mark.parametrize("form", list(FORMS))
def test_the_lecture_written_another_way_earns_full_marks(
    form: str, records: dict[str, dict]
) -> None:
    record = records[form]
    failed = {c["id"]: c["message"] for c in record["checks"] if not c["passed"]}
    assert record["score"] == record["max_score"], (failed, record["notes"], record["cells"])
    assert [c["outcome"] for c in record["cells"]] == ["ok"] * len(record["cells"])


@pytest.mark.slow
def test_each_keras1_api_is_noted_to_modernise(records: dict[str, dict]) -> None:
    notes = "\n".join(records["keras1"]["notes"])
    missing = [old for old in KERAS1_NOTES if f"uses `{old}`" not in notes]
    assert not missing, notes


@pytest.mark.slow
def test_a_notebook_that_ran_only_in_the_students_order_is_told_which(
    records: dict[str, dict],
) -> None:
    record = records["out_of_order"]
    run = next(c for c in record["checks"] if c["id"] == "run.cells")
    assert not run["passed"]
    assert (
        "cell 2 stops with NameError: it uses `x_train`, which cell 3 below it defines"
        in (run["message"])
    )
    assert "you ran cell 3 ([2]) before cell 2 ([3])" in run["message"]
