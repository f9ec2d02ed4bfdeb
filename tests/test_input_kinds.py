"""Every kind of input ``fit`` takes is held to the training budget, with the student's epochs:
arrays, a ``tf.data.Dataset`` (with a dataset as validation), a Python generator, a
``keras.utils.PyDataset`` and a ``Sequence`` (Keras 3 has no ``ImageDataGenerator``).  Each would
train 60,000 samples
an epoch unbudgeted; the batch size is read from the batches."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from grader.boundary.execution import Limits
from grader.sandbox.runner import run_submission
from grader.submissions.cells import Cell, Submission

BUDGET = {"fit_samples": 32, "validation_samples": 32, "evaluate_samples": 32, "max_epochs": 100}
SETUP = """
import numpy as np, keras, tensorflow as tf
x = np.random.rand(60000, 8, 8, 1).astype("float32")
y = keras.utils.to_categorical(np.random.randint(0, 10, 60000), 10)
def model():
    m = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Flatten(),
                          keras.layers.Dense(10, activation="softmax")])
    m.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    return m
"""
KINDS = {
    "arrays": "model().fit(x, y, batch_size=16, epochs=3)",
    "tf.data": (
        "train = tf.data.Dataset.from_tensor_slices((x, y)).batch(16)\n"
        "model().fit(train, epochs=3, validation_data=train)"
    ),
    "generator": (
        "def batches():\n    while True:\n        for i in range(0, 60000, 16):\n            yield "
        "x[i:i + 16], y[i:i + 16]\n"
        "model().fit(batches(), epochs=3, steps_per_epoch=3750)"
    ),
    "PyDataset": (
        "class Batches(keras.utils.PyDataset):\n    def __len__(self):\n        return 3750\n"
        "    def __getitem__(self, i):\n        return x[i * 16:(i + 1) * 16], y[i * 16:(i + 1) * "
        "16]\n"
        "model().fit(Batches(), epochs=3)"
    ),
    "Sequence": (
        "class Old(keras.utils.Sequence):\n    def __len__(self):\n        return 3750\n"
        "    def __getitem__(self, i):\n        return x[i * 16:(i + 1) * 16], y[i * 16:(i + 1) * "
        "16]\n"
        "model().fit(Old(), epochs=3, validation_data=Old())"
    ),
}


def _artifacts(tmp_path: Path) -> Path:
    (tmp_path / "artifacts").mkdir()
    return tmp_path / "artifacts"


@pytest.mark.slow
def test_every_input_kind_is_held_to_the_budget_with_its_epochs(tmp_path: Path) -> None:
    cells = (Cell(1, SETUP), *(Cell(n, source) for n, source in enumerate(KINDS.values(), start=2)))
    execution = run_submission(
        Submission(tmp_path / "kinds.py", cells),
        _artifacts(tmp_path),
        Limits(60, 300, 4000, 65536),
        BUDGET,
    )
    assert [c.outcome for c in execution.cells] == ["ok"] * len(cells), [
        c.error for c in execution.cells
    ]
    events = [
        json.loads(line)
        for line in (tmp_path / "artifacts" / "events.jsonl").read_text().splitlines()
    ]
    starts = [e for e in events if e["kind"] == "fit_start"]
    ends = [e for e in events if e["kind"] == "fit_end"]
    assert len(starts) == len(ends) == len(KINDS)
    for kind, start, end in zip(KINDS, starts, ends):
        # 32 samples in batches of 16: two steps an epoch, the three epochs kept.
        assert end["params"]["steps"] == 2 and end["params"]["epochs"] == 3, (kind, end["params"])
        assert len(end["history"]["loss"]) == 3, kind
        assert start["batch_size"] == 16, (kind, start)
    assert starts[1].get("validation_stream") is True and starts[4].get("validation_stream") is True
