"""The grader's own measurement: rebuild the student's architecture and train it.

The model is rebuilt from the parsed ``Architecture`` with a fixed list of Keras layer
classes, optimizers and losses (``keras_names``), keeping only plain config values, so nothing
the student wrote runs here.  It is trained under a fixed budget with a fixed seed on the student's
prepared training data, and evaluated on their prepared test images against the true
labels.  Parameter counts and output shapes come from this rebuilt model, not from
anything the student's process reported.
"""

from __future__ import annotations

import inspect
import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from grader.model.architecture import Architecture, LayerSpec
from grader.model.compile_forms import loss_settings
from grader.model.compile_settings import rebuilt_loss, rebuilt_optimizer
from grader.model.graph_config import MERGE_LAYERS, Graph
from grader.model.keras_names import (
    ACTIVATIONS,
    BUILDABLE_LAYERS,
    LOSSES,
    OPTIMIZERS,
    loss_name,
    optimizer_name,
)


class BuildError(Exception):
    """The architecture cannot be rebuilt; the message names the layer."""


@dataclass(frozen=True)
class LayerMeasure:
    class_name: str
    output_shape: tuple[int | None, ...]
    params: int


@dataclass(frozen=True)
class Built:
    layers: tuple[LayerMeasure, ...]
    total_params: int


@dataclass(frozen=True)
class Training:
    accuracy: float | None
    samples: int
    epochs: int
    batch_size: int
    test_samples: int
    seconds: float
    error: str | None = None


_KERAS_LOCK = threading.Lock()


def import_keras() -> Any:
    """Import Keras with TensorFlow's start-up chatter on stderr silenced.  One thread at a time:
    another (an early measurement, ``measurement.measurer``) may be importing it, and a
    half-imported module is
    in ``sys.modules``."""
    import os
    import sys

    with _KERAS_LOCK:
        if "keras" in sys.modules:
            return sys.modules["keras"]
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        sys.stderr.flush()
        saved = os.dup(2)
        try:
            with open(os.devnull, "w") as devnull:
                os.dup2(devnull.fileno(), 2)
                import keras
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        return keras


def _layer(keras: Any, spec: LayerSpec) -> Any:
    if spec.class_name not in BUILDABLE_LAYERS:
        raise BuildError(
            f"layer {spec.name!r} is a {spec.class_name}, which the grader does not rebuild"
        )
    cls = getattr(keras.layers, spec.class_name)
    accepted = set(inspect.signature(cls.__init__).parameters) - {
        "self",
        "name",
        "dtype",
        "trainable",
        "kwargs",
    }
    kwargs = {k: v for k, v in spec.config.items() if k in accepted and v is not None}
    activation = kwargs.get("activation")
    if activation is not None and activation not in ACTIVATIONS:
        raise BuildError(
            f"layer {spec.name!r} uses its own activation {activation!r}, which the grader does "
            "not rebuild (it rebuilds Keras's built-in ones, by name or as TensorFlow's function: "
            "'relu', tf.nn.relu, keras.activations.relu)"
        )
    kwargs = {key: _tuples(value) for key, value in kwargs.items()}
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as exc:
        raise BuildError(
            f"layer {spec.name!r} ({spec.class_name}) cannot be rebuilt: {exc}"
        ) from None


def _tuples(value: Any) -> Any:
    """JSON lists as the tuples Keras's shape arguments take (nested ones too)."""
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


def build(architecture: Architecture, seed: int = 0) -> Any:
    """A fresh Keras model with the student's layer stack (our code, their settings)."""
    keras = import_keras()

    if architecture.input_shape is None or any(d is None for d in architecture.input_shape):
        raise BuildError(
            "the model has no fixed input shape (give the first layer input_shape=... or use "
            "keras.Input)"
        )
    keras.utils.set_random_seed(seed)
    try:
        if architecture.graph is not None:
            return _graph(keras, architecture.layers, architecture.graph)
        model = keras.Sequential(
            [keras.Input(shape=architecture.input_shape)]
            + [_layer(keras, s) for s in architecture.layers]
        )
    except BuildError:
        raise
    except Exception as exc:  # noqa: BLE001 - shape errors between layers
        raise BuildError(f"the layers do not fit together: {exc}"[:400]) from None
    return model


def _graph(keras: Any, layers: tuple[LayerSpec, ...], graph: Graph) -> Any:
    """The student's layers wired as their functional model was (our code, their settings)."""
    if any(None in shape for shape in graph.inputs):
        raise BuildError("an input of the model has no fixed shape (give keras.Input(shape=...))")
    inputs = [keras.Input(shape=shape) for shape in graph.inputs]
    tensors: list[Any] = []
    for spec, sources in zip(layers, graph.sources):
        args = [inputs[-s - 1] if s < 0 else tensors[s] for s in sources]
        tensors.append(_layer(keras, spec)(args if spec.class_name in MERGE_LAYERS else args[0]))
    outputs = [tensors[i] for i in graph.outputs]
    return keras.Model(
        inputs if len(inputs) > 1 else inputs[0], outputs if len(outputs) > 1 else outputs[0]
    )


def measure(model: Any) -> Built:
    layers = tuple(
        LayerMeasure(type(layer).__name__, tuple(layer.output.shape[1:]), int(layer.count_params()))
        for layer in model.layers
        if type(layer).__name__ != "InputLayer"
    )
    return Built(layers, int(sum(layer.params for layer in layers)))


def train_and_evaluate(
    model: Any,
    compile_settings: dict[str, Any],
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_test: np.ndarray,
    true_test_labels: np.ndarray,
    *,
    samples: int,
    epochs: int,
    batch_size: int,
    seed: int = 0,
) -> Training:
    """Train ``model`` on the first ``samples`` training rows; accuracy on the whole test set."""
    keras = import_keras()

    started = time.monotonic()
    n = min(samples, len(x_train))
    batch_size = max(1, min(int(batch_size or 32), n))
    base = Training(None, n, epochs, batch_size, len(x_test), 0.0)
    optimizer = compile_settings.get("optimizer")
    name = optimizer_name(optimizer)
    if name is None or name not in OPTIMIZERS.values():
        return _failed(base, started, f"optimizer {optimizer!r} is not one the grader can rebuild")
    loss = loss_name(compile_settings.get("loss"))
    if loss is None or loss not in LOSSES.values():
        return _failed(
            base,
            started,
            f"loss {compile_settings.get('loss')!r} is not one the grader can rebuild",
        )
    keras.utils.set_random_seed(seed)
    try:
        model.compile(
            optimizer=rebuilt_optimizer(keras, name, optimizer),
            loss=rebuilt_loss(keras, loss, loss_settings(compile_settings.get("loss"))),
        )
        model.fit(
            np.asarray(x_train[:n]),
            np.asarray(y_train[:n]),
            batch_size=batch_size,
            epochs=epochs,
            verbose=0,
            shuffle=False,
        )
        scores = model.predict(np.asarray(x_test), batch_size=512, verbose=0)
    except Exception as exc:  # noqa: BLE001 - the student's data may not fit their model
        return _failed(
            base,
            started,
            f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"[
                :400
            ],
        )
    if scores.ndim != 2 or scores.shape[0] != len(true_test_labels):
        return _failed(
            base,
            started,
            f"the model outputs shape {scores.shape}, not one score per class and image",
        )
    predicted = np.argmax(scores, axis=1)
    accuracy = float(np.mean(predicted == np.asarray(true_test_labels).reshape(-1)))
    return Training(accuracy, n, epochs, batch_size, len(x_test), time.monotonic() - started)


def _failed(base: Training, started: float, error: str) -> Training:
    return Training(
        None,
        base.samples,
        base.epochs,
        base.batch_size,
        base.test_samples,
        time.monotonic() - started,
        error,
    )
