"""The grader's measurement: forked from the fork server (the grader never imports Keras), the
same as one made in the grader's own process, started at the student's first fit and made once."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from grader.boundary.artifacts import ARRAYS_DIR, EVENTS_FILE
from grader.checks.expected import Expected
from grader.course.assignment import load_assignment
from grader.datasets.cache import CACHE_ENV
from grader.datasets.dataset import Dataset
from grader.evidence.tracing import Tracer, preparation, trace
from grader.measurement.early import EarlyMeasurement
from grader.measurement.inputs import training_data
from grader.measurement.measurer import Measured, Measurer, TrainingData
from grader.model.architecture import Architecture, parse_architecture, to_plain
from grader.model.training import Built, LayerMeasure
from grader.sandbox import kernel_start
from grader.sandbox.fork_client import Server
from grader.sandbox.forkserver.measurer import ARRAYS as ARRAY_NAMES
from grader.sandbox.forkserver.measurer import arrays_from
from tests.conftest import ROOT

CONFIG = json.dumps(
    {
        "class_name": "Sequential",
        "config": {
            "name": "s",
            "layers": [
                {
                    "module": "keras.layers",
                    "class_name": "InputLayer",
                    "config": {"name": "in", "batch_shape": [None, 8]},
                },
                {
                    "module": "keras.layers",
                    "class_name": "Dense",
                    "config": {"name": "d", "units": 3, "activation": "softmax"},
                },
            ],
        },
    }
)
# Small inputs a measurement trains on: 8 features, 3 classes.
ARRAYS = textwrap.dedent("""
    import numpy as np
    rng = np.random.default_rng(0)
    x_train, x_test = rng.random((96, 8), dtype=np.float32), rng.random((40, 8), dtype=np.float32)
    y_train = np.eye(3, dtype=np.float32)[rng.integers(0, 3, 96)]
    truth = rng.integers(0, 3, 40)
""")
MEASURE = ARRAYS + textwrap.dedent("""
    import dataclasses, json, sys
    from grader.measurement import measurer as measuring
    from grader.model.architecture import parse_architecture
    from grader.sandbox import kernels
    architecture = parse_architecture(sys.argv[1])
    settings = {"optimizer": "adam", "loss": "categorical_crossentropy"}
    data = measuring.TrainingData(settings, x_train, y_train, x_test, truth,
                                  samples=64, epochs=2, batch_size=16)
    forked = measuring.Measurer(kernels.measuring_server).measure(architecture, 0, data)
    keras_after_forked = "keras" in sys.modules
    # The handler that was sent the arrays is not the one this process's kernels are forked from.
    from tests.test_kernels import SETTINGS
    kernel = kernels.take(SETTINGS)
    assert kernel.pid  # its handler has said which process it is
    handlers = [kernel.km.provisioner.process.owner.handler, kernels.measuring_server().handler]
    kernel.close()

    class Failing:
        def call(self, *_):
            raise RuntimeError("the fork server ended before it answered")

    keys = ("other built key", "other key")
    try:
        measuring.Measurer(Failing)._remembered_or_made(keys, architecture, 0, data)
        fell_back = True
    except measuring.MeasurerFailed:
        fell_back = False
    keras_after_failed = "keras" in sys.modules
    # Where no fork server serves (not Linux), the same code in this process.
    here = measuring.Measurer(lambda: None)._remembered_or_made(keys, architecture, 0, data)
    plain = lambda m: {"built": dataclasses.asdict(m.built), "accuracy": m.training.accuracy,
                       "error": m.training.error}
    print(json.dumps({"keras_after_forked": keras_after_forked, "forked": plain(forked),
                      "here": plain(here), "handlers": handlers, "fell_back": fell_back,
                      "keras_after_failed": keras_after_failed}))
""")


@pytest.mark.slow
def test_a_new_architecture_is_measured_in_a_fork_of_the_server_exactly_as_in_the_grader(
    tmp_path: Path,
) -> None:
    """The grader process never imports Keras for it, not even when the server fails (that is a
    grader error, never an unbounded run here); where no server serves (not Linux) the grader's
    process measures with the same result; the handler sent the arrays never forks a kernel (a
    kernel starts with its handler's memory)."""
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, CONFIG],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        env={**os.environ, CACHE_ENV: str(tmp_path / "cache")},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["keras_after_forked"] is False
    assert found["fell_back"] is False and found["keras_after_failed"] is False
    assert found["forked"]["error"] is None and 0.0 <= found["forked"]["accuracy"] <= 1.0
    assert found["forked"]["built"] == {
        "layers": [{"class_name": "Dense", "output_shape": [3], "params": 27}],
        "total_params": 27,
    }
    assert found["forked"] == found["here"]
    kernels_handler, measurements_handler = found["handlers"]
    assert kernels_handler and measurements_handler and kernels_handler != measurements_handler


class Recording(Measurer):
    """Records what would be measured (nothing is trained)."""

    def __init__(self) -> None:
        super().__init__(lambda: None)
        self.made: list[tuple[Architecture, TrainingData | None]] = []

    def _remembered_or_made(
        self,
        ident: tuple[str, str | None],
        architecture: Architecture,
        seed: int,
        data: TrainingData | None,
    ) -> Measured:
        time.sleep(0.3)  # a measurement takes a while: the grading's own ask comes meanwhile
        self.made.append((architecture, data))
        return Measured(Built((LayerMeasure("Dense", (3,), 27),), 27), None)


def _images(count: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (count, 4, 4), dtype=np.uint8)


def _expected() -> Expected:
    """Week 8's expectation with a budget these small arrays fit."""
    return dataclasses.replace(
        load_assignment("week8").expected,
        measure_samples=40,
        measure_test_samples=30,
        measure_epochs=1,
    )


def _write(artifacts: Path, arrays: dict[str, np.ndarray], events: list[dict[str, Any]]) -> None:
    (artifacts / ARRAYS_DIR).mkdir(parents=True, exist_ok=True)
    for name, array in arrays.items():
        np.save(artifacts / ARRAYS_DIR / name, array)
    with open(artifacts / EVENTS_FILE, "a") as f:
        f.writelines(json.dumps(event) + "\n" for event in events)


def test_the_measurement_starts_at_the_first_fit_and_the_gradings_own_ask_waits_for_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    dataset = Dataset(
        "tiny",
        _images(50, 1),
        np.arange(50) % 3,
        _images(30, 2),
        np.arange(30) % 3,
        synthetic=False,
    )
    expected = _expected()
    # The student's prepared data: scaled to [0, 1], their test images shuffled.
    x_train, y_train = (
        dataset.x_train.astype(np.float32) / 255,
        np.eye(3, dtype=np.float32)[dataset.y_train],
    )
    order = np.random.default_rng(3).permutation(30)
    x_test = dataset.x_test[order].astype(np.float32) / 255
    artifacts = tmp_path / "artifacts"
    compiled = {
        "kind": "compile",
        "model": "m0",
        "optimizer": "adam",
        "loss": "categorical_crossentropy",
    }
    _write(
        artifacts,
        {"a0.npy": x_train, "a1.npy": y_train, "a2.npy": x_test},
        [
            compiled,
            {
                "kind": "fit_start",
                "model": "m0",
                "config": CONFIG,
                "x": "a0.npy",
                "y": "a1.npy",
                "validation_x": "a2.npy",
                "batch_size": 8,
            },
        ],
    )
    measurer = Recording()
    early = EarlyMeasurement(artifacts, measurer, dataset, lambda: expected, 0)
    early.start()
    early.join(30)
    assert early.started
    # What the grading finds at the end, read again from other files: the evaluated copy of the test
    # set, traced as the grading traces it.
    x_train, y_train, x_test = x_train.copy(), y_train.copy(), x_test.copy()
    tracer = Tracer(dataset)
    provenance = trace(tracer, (x_train, y_train), (None, None), (x_test, None), "evaluate")
    traced = tracer.images(x_train)
    assert traced is not None and provenance.test is not None
    assert provenance.test.images.order == "permuted"
    final = training_data(
        {
            "x_train": x_train,
            "y_train": y_train,
            "compile": compiled,
            "preparation": preparation(provenance, x_train, x_test),
            "trained_on": traced.index,
        },
        dataset,
        expected,
        8,
    )
    assert isinstance(final, TrainingData)
    # Measured on the dataset's own test split (in its order), prepared as the student prepared
    # theirs.
    truth = dataset.y_test
    measured = measurer.measure(parse_architecture(CONFIG), 0, final)
    assert measured.built.total_params == 27
    assert len(measurer.made) == 1, "measured twice"
    architecture, data = measurer.made[0]
    assert architecture == parse_architecture(CONFIG)
    assert data is not None and data.key(architecture, 0) == final.key(architecture, 0)
    assert (
        np.array_equal(data.truth, truth)
        and data.batch_size == 8
        and data.compile == {"optimizer": "adam", "loss": "categorical_crossentropy"}
    )


def test_a_later_fit_on_other_data_is_measured_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The early measurement is a head start, never the verdict: the grading measures what the
    kernel left at the end, and other data is another measurement."""
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    expected = _expected()
    x_test, truth = np.zeros((30, 16), np.float32), np.arange(30) % 3
    first, later = (
        TrainingData(
            {},
            x_train,
            np.zeros((40, 3), np.float32),
            x_test,
            truth,
            expected.measure_samples,
            expected.measure_epochs,
            8,
        )
        for x_train in (np.zeros((40, 16), np.float32), np.ones((40, 16), np.float32))
    )
    assert isinstance(first, TrainingData) and isinstance(later, TrainingData)
    measurer = Recording()
    architecture = parse_architecture(CONFIG)
    measurer.start(architecture, 0, first)
    measurer.measure(architecture, 0, later)
    deadline = time.monotonic() + 30
    while len(measurer.made) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sorted(id(data) for _, data in measurer.made) == sorted((id(first), id(later)))


@pytest.mark.slow
def test_a_handler_that_was_sent_a_measurement_forks_no_kernel() -> None:
    """Defence in depth beside the grader's own discipline (a connection per purpose): a kernel
    asked for on a connection that carried a submission's measurement ends the connection."""
    server = Server(True, kernel_start.inherited_environment())  # a connection of this test's own
    try:
        result = server.call(
            {"measure": {"architecture": to_plain(parse_architecture(CONFIG)), "seed": 0}}, b"", 120
        )
        assert result["built"]["total_params"] == 27
        number = server.spawn(
            {
                "plan": "/nonexistent",
                "unshare": 0,
                "args": ["-f", "/nonexistent"],
                "env": {},
                "cwd": "/",
            }
        )
        with pytest.raises(RuntimeError, match="ended"):
            server.pid(number, timeout=60)
    finally:
        server.close()


def test_a_measurers_arrays_are_read_as_their_layout_says_and_nothing_else() -> None:
    sent = [
        np.arange(6, dtype=np.float32).reshape(2, 3),
        np.eye(2, dtype=np.float32),
        np.ones((1, 3), np.float64),
        np.array([1, -1], np.int64),
    ]
    layout = [
        [name, array.dtype.str, list(array.shape)]
        for name, array in zip(ARRAY_NAMES, sent, strict=True)
    ]
    payload = b"".join(array.tobytes() for array in sent)
    assert all(
        np.array_equal(got, want) and got.dtype == want.dtype
        for got, want in zip(arrays_from(layout, payload), sent)
    )
    with pytest.raises(ValueError, match="bytes sent"):
        arrays_from(layout, payload + b"\0")
    with pytest.raises(ValueError, match="unexpected array"):
        arrays_from([["truth", "|O", [2]], *layout[1:]], payload)
    with pytest.raises(ValueError, match="unexpected array"):
        arrays_from([layout[1], layout[0], *layout[2:]], payload)
