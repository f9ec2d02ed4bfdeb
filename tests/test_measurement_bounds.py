"""The grader's measurement is bounded: an architecture's cost is worked out from its config
before anything is built (``grader/model/cost.py``, exactly as Keras counts it) and refused over
the assignment's ``[measure]`` limits (``grader/measurement/bounds.py``); a measurer runs under
its own clock and memory limit, and the grader's process never measures in its place."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from typing import Any

import numpy as np
import pytest

from grader.course.assignment import load_assignment
from grader.measurement.bounds import (
    DEFAULT_MAX_ACTIVATIONS,
    DEFAULT_MAX_OPERATIONS,
    DEFAULT_MAX_PARAMS,
    Bounds,
    OverLimit,
)
from grader.measurement.measurer import Measurer, TrainingData
from grader.model.architecture import parse_architecture
from grader.model.cost import cost
from grader.model.training import BuildError
from tests.conftest import ROOT

BUILT_IN = ("week8", "mnist-cnn", "mlp", "cifar10", "save-load")


def sequential(input_shape: list[int], *layers: tuple[str, dict[str, Any]]) -> str:
    entries = [
        {"class_name": "InputLayer", "config": {"name": "in", "batch_shape": [None, *input_shape]}}
    ]
    entries += [
        {"class_name": kind, "config": {"name": f"l{i}", **config}}
        for i, (kind, config) in enumerate(layers)
    ]
    return json.dumps({"class_name": "Sequential", "config": {"name": "s", "layers": entries}})


HUGE = sequential([784], ("Dense", {"units": 2_000_000}), ("Dense", {"units": 10}))


@pytest.mark.parametrize("name", BUILT_IN)
def test_each_built_in_reference_costs_under_a_tenth_of_every_default(name: str) -> None:
    assignment = load_assignment(name)
    expected = assignment.expected
    samples = expected.measure_samples * expected.measure_epochs + (
        expected.measure_test_samples or 10_000
    )
    found = cost(expected.architecture)
    assert found.params == expected.built.total_params
    assert found.params * 10 < DEFAULT_MAX_PARAMS
    assert found.activations * samples * 10 < DEFAULT_MAX_ACTIVATIONS
    assert found.operations * samples * 10 < DEFAULT_MAX_OPERATIONS
    Bounds.of(assignment.measure, assignment.limits.memory_mb).check(expected.architecture, samples)


def test_an_architecture_over_a_limit_is_refused_before_anything_is_built_or_sent() -> None:
    asked: list[str] = []

    def server() -> None:
        asked.append("a fork server")
        return None

    data = TrainingData(
        {},
        np.zeros((2, 784), np.float32),
        np.zeros((2, 10)),
        np.zeros((1, 784)),
        np.zeros(1),
        2,
        1,
        1,
    )
    with pytest.raises(OverLimit, match=r"1,590,000,010 parameters, over the limit of 50,000,000"):
        Measurer(server).measure(parse_architecture(HUGE), 0, data)
    assert asked == []
    # The assignment sets the limits: a lower one refuses the lecture's own model.
    week8 = load_assignment("week8").expected.architecture
    with pytest.raises(OverLimit, match="multiply-adds times samples, over the limit of 1,000"):
        Bounds.of({"max_operations": 1000}, 4000).check(week8, 10)


def test_a_layer_whose_cost_cannot_be_worked_out_is_refused_as_the_rebuild_would() -> None:
    for config, reason in (
        (
            sequential([28, 28, 1], ("Conv2D", {"filters": 8})),
            "(Conv2D) cannot be rebuilt: kernel_size",
        ),
        (sequential([8], ("Lambda", {})), "is a Lambda, which the grader does not rebuild"),
        (sequential([None, 8], ("Dense", {"units": 3})), "no fixed input shape"),
        (
            sequential([4, 4, 1], ("MaxPooling2D", {"pool_size": [9, 9]})),
            "does not fit an input of 4",
        ),
    ):
        with pytest.raises(BuildError, match=reason.replace("(", r"\(").replace(")", r"\)")):
            cost(parse_architecture(config))


# After the measurements (this process has not imported Keras for them): Keras's own counts.
KERAS_MODELS = textwrap.dedent("""
    import math, keras
    from keras import layers as L
    from grader.model.architecture import parse_architecture
    from grader.model.cost import cost
    from grader.model.training import build, measure

    def seq(shape, *layers):
        return keras.Sequential([keras.Input(shape), *layers])

    models = [
        seq((28, 28, 1), L.Conv2D(32, 3, activation="relu"), L.MaxPooling2D(),
            L.Conv2D(64, (3, 3), padding="same", strides=2), L.BatchNormalization(),
            L.Dropout(0.2), L.Flatten(), L.Dense(128), L.Dense(10, activation="softmax")),
        seq((3, 32, 32), L.Conv2D(8, 5, data_format="channels_first", dilation_rate=2),
            L.AveragePooling2D(3, strides=2, padding="same", data_format="channels_first"),
            L.GlobalMaxPooling2D(data_format="channels_first"), L.Dense(4)),
        seq((32, 32, 3), L.SeparableConv2D(16, 3, depth_multiplier=2),
            L.DepthwiseConv2D(3, depth_multiplier=3, use_bias=False),
            L.Conv2DTranspose(5, 3, strides=2), L.Conv2DTranspose(4, 4, strides=3, padding="same"),
            L.ZeroPadding2D(((1, 2), (3, 4))), L.UpSampling2D((2, 3)),
            L.GlobalAveragePooling2D(keepdims=True), L.Flatten(), L.Dense(3)),
        seq((20, 8), L.LSTM(16, return_sequences=True), L.GRU(7, return_sequences=True),
            L.SimpleRNN(5), L.Dense(2)),
        seq((20, 8), L.GRU(7, reset_after=False), L.Dense(2)),
        seq((100, 4), L.Conv1D(8, 5, strides=2, padding="causal"), L.MaxPooling1D(3),
            L.AveragePooling1D(2, padding="same"), L.SpatialDropout1D(0.1),
            L.GlobalAveragePooling1D(), L.Dense(3)),
        seq((12,), L.Embedding(1000, 16), L.Conv1D(4, 3), L.GlobalMaxPooling1D(), L.Dense(1)),
        seq((28, 28, 1), L.Rescaling(1 / 255), L.RandomFlip(), L.Resizing(14, 14),
            L.RandomCrop(10, 10), L.Reshape((100, -1)), L.Permute((2, 1)), L.Reshape((10, 10, 1)),
            L.ReLU(), L.LeakyReLU(), L.ELU(), L.Activation("relu"), L.SpatialDropout2D(0.1),
            L.Flatten(), L.Dense(5, use_bias=False), L.BatchNormalization(center=False)),
        seq((5, 6), L.Dense(7), L.Flatten()),
    ]
    i = keras.Input((16,)); a = L.Dense(8)(i); b = L.Dense(8)(i)
    models.append(keras.Model(i, L.Dense(2)(L.Concatenate()([a, L.Add()([a, b]), b]))))
    i1, i2 = keras.Input((4, 4, 2)), keras.Input((4, 4, 3))
    x = L.Conv2D(3, 2)(L.Concatenate()([i1, i2]))
    models.append(keras.Model([i1, i2], L.Flatten()(L.Multiply()([x, L.Conv2D(3, 2)(i1)]))))
    counts = []
    for model in models:
        architecture = parse_architecture(model.to_json())
        built, worked_out = measure(build(architecture)), cost(architecture)
        inputs = architecture.graph.inputs if architecture.graph else [architecture.input_shape]
        values = sum(math.prod(s) for s in inputs) + sum(
            math.prod(layer.output_shape) for layer in built.layers)
        counts.append([[built.total_params, values], [worked_out.params, worked_out.activations]])
    found["counts"] = counts
    print(json.dumps(found))
""")


LIMITED = textwrap.dedent("""
    import json, sys, time
    import numpy as np
    from grader.measurement.bounds import Bounds
    from grader.measurement.measurer import Measurer, TrainingData
    from grader.model.architecture import parse_architecture
    from grader.sandbox import kernels

    rng = np.random.default_rng(0)
    x = rng.random((4000, 784), dtype=np.float32)
    y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, 4000)]
    settings = {"optimizer": "adam", "loss": "categorical_crossentropy"}
    data = TrainingData(settings, x, y, x[:500], rng.integers(0, 10, 500), 4000, 1, 32)
    kernels.measuring_server().connected.wait(120)  # started (or found) before the clocks below
    found = {}
    for name, config, bounds in (
        ("time", sys.argv[1], Bounds(timeout_s=1)),
        ("memory", sys.argv[2], Bounds(memory_mb=120)),
    ):
        started = time.monotonic()
        measured = Measurer(kernels.measuring_server, bounds).measure(
            parse_architecture(config), 0, data)
        found[name] = [measured.built.total_params, measured.training.error,
                       time.monotonic() - started]
    found["keras"] = "keras" in sys.modules
""")


@pytest.fixture(scope="module")
def measured() -> dict[str, Any]:
    """One process measures under low limits through the fork server (no Keras of its own), then
    imports Keras to count what models of every kind of layer hold."""
    wide = sequential(
        [784], ("Dense", {"units": 1024}), ("Dense", {"units": 1024}), ("Dense", {"units": 10})
    )
    wider = sequential(
        [784], ("Dense", {"units": 2048}), ("Dense", {"units": 2048}), ("Dense", {"units": 10})
    )
    done = subprocess.run(
        [sys.executable, "-c", LIMITED + KERAS_MODELS, wide, wider],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


@pytest.mark.slow
def test_the_cost_worked_out_from_a_config_is_what_keras_builds(measured: dict[str, Any]) -> None:
    """Parameters and layer outputs, for every kind of layer the grader rebuilds."""
    assert len(measured["counts"]) == 11
    for keras_counts, worked_out in measured["counts"]:
        assert worked_out == keras_counts


@pytest.mark.slow
def test_a_measurer_past_its_clock_or_its_memory_is_stopped_and_says_which(
    measured: dict[str, Any],
) -> None:
    """Within the limits the architecture is allowed; the measurer itself is not: stopped, its
    layers kept, the reason in the training's error; the grader's process imports no Keras."""
    found = measured
    params, error, seconds = found["time"]
    assert params == 1_863_690 and "took longer than its limit of 1 s" in error
    assert seconds < 1 + 15  # the measurer's clock, and the answer relayed
    params, error, seconds = found["memory"]
    assert params == 5_824_522 and "needed more than its limit of 120 MB of memory" in error
    assert found["keras"] is False
