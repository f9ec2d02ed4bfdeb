"""What the grader's measurement trains on and is judged on (``TrainingData``).

It trains on the student's own prepared training data (their first ``samples`` rows, their
labels), as their notebook did.  It is judged on the dataset's own test split, prepared as the
student prepared their test images (their map from the pixels, their image shape), against the
dataset's true labels: never on the student's test arrays, which may be a part of the test set,
training images, or images the grader cannot label.  What the student evaluated on stays a fact
about their notebook (``provenance``), and the test images the measurement trains on (a student
who trained on the test set) are left out of it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from grader.checks.expected import Expected
from grader.datasets import Dataset
from grader.evidence.provenance import MeasuredOn, Preparation
from grader.measurement.measurer import TrainingData


def _as_trained(values: Any) -> np.ndarray:
    """Data as the grader trains on it: a copy of its own (what a kernel still running writes later
    changes nothing), numbers as float32 (Keras's own type, so a float64 copy of the same data is
    the same measurement)."""
    array = np.array(values)
    return array.astype(np.float32, copy=False) if array.dtype.kind in "fiub" else array


def prepared_test_split(
    dataset: Dataset,
    preparation: Preparation,
    trained_on: np.ndarray | None,
    kept: int | None,
) -> tuple[np.ndarray, np.ndarray, MeasuredOn] | str:
    """The dataset's test images prepared as ``preparation`` says, their true labels, and what they
    are; the message key of the reason when the preparation does not fit them.  ``trained_on``:
    where each training row is among the originals (the training split, then the test split, laid
    end to end)."""
    size = len(dataset.x_test)
    pixels = int(np.prod(dataset.x_test.shape[1:]))
    if int(np.prod(preparation.image_shape)) != pixels:
        return "results.not_reshaped"
    seen = np.zeros(size, dtype=bool)
    if trained_on is not None:
        tests = trained_on[trained_on >= len(dataset.x_train)] - len(dataset.x_train)
        seen[tests] = True
    chosen = np.flatnonzero(~seen)[:kept]
    if len(chosen) == 0:
        return "results.no_test_left"
    images = preparation.transform.apply(dataset.x_test[chosen])
    truth = np.asarray(dataset.y_test).reshape(-1)[chosen].astype(np.int64)
    on = MeasuredOn(len(chosen), size, preparation, int(seen.sum()))
    return images.reshape(len(chosen), *preparation.image_shape), truth, on


def training_data(
    arrays: dict[str, Any], dataset: Dataset, expected: Expected, batch_size: int | None
) -> TrainingData | str | None:
    """The ``TrainingData`` of the arrays ``gathering.gather`` (or the early measurement) found;
    ``None`` when the training arrays are missing, the message key of the reason when the test
    split cannot be prepared as the student prepared theirs.  ``batch_size``: the student's (the
    assignment's when their fit never ran)."""
    x_train, y_train = arrays["x_train"], arrays["y_train"]
    if x_train is None or y_train is None:
        return None
    preparation: Preparation | None = arrays["preparation"]
    if preparation is None:
        return "results.untraced_preparation"
    samples = expected.measure_samples
    trained_on = arrays["trained_on"]
    prepared = prepared_test_split(
        dataset,
        preparation,
        trained_on[:samples] if trained_on is not None else None,
        expected.measure_test_samples,
    )
    if isinstance(prepared, str):
        return prepared
    x_test, truth, on = prepared
    compile_event = arrays["compile"]
    return TrainingData(
        {name: compile_event.get(name) for name in ("optimizer", "loss")},
        _as_trained(x_train[:samples]),
        _as_trained(y_train[:samples]),
        x_test,
        truth,
        samples,
        expected.measure_epochs,
        batch_size or expected.batch_size,
        on,
    )
