"""Kernel side: watch ``compile``/``fit``/``evaluate``/``predict``; keep ``fit`` within the budget.

The hooks wrap Keras's ``Model`` methods once Keras is imported, so ``keras``,
``tensorflow.keras``, Sequential and functional models are all seen alike.  ``fit`` keeps
the student's epochs and batch size but sees at most ``fit_samples`` samples per epoch and
``validation_samples`` validation samples, which turns a 20-epoch notebook into seconds.
When ``fit`` ends, the trained convolution kernels are kept (filter plots are checked
against them); ``predict`` keeps what it returned (feature maps, class scores).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import numpy as np

from grader.boundary.artifacts import MAX_RECORDED_ELEMENTS, as_json
from grader.sandbox.kernel.offline import after_import
from grader.sandbox.kernel.recorder import Recorder
from grader.sandbox.kernel.streams import cap


@dataclass(frozen=True)
class Budget:
    fit_samples: int
    validation_samples: int
    evaluate_samples: int
    max_epochs: int


def _describe_object(value: Any) -> dict[str, Any]:
    """A compile argument that is not a name (an optimizer, a loss function) as data: its class
    name with its config."""
    described: dict[str, Any] = {"class_name": type(value).__name__}
    if callable(value) and not hasattr(value, "get_config"):
        described["name"] = getattr(value, "__name__", type(value).__name__)
        return described
    try:
        described["config"] = value.get_config()
    except Exception:  # noqa: BLE001
        described["config"] = None
    return described


def _head(value: Any, n: int) -> Any:
    """The first ``n`` samples of an array-like (lists of arrays too), else ``value``."""
    if isinstance(value, (list, tuple)):
        return type(value)(_head(v, n) for v in value)
    if (
        hasattr(value, "shape")
        and hasattr(value, "__getitem__")
        and len(getattr(value, "shape", ())) > 0
    ):
        return value[:n]
    return value


def _outputs(value: Any) -> list[Any]:
    """A model's output(s) as a flat list (one array, or a list/dict of them)."""
    if isinstance(value, dict):
        return list(value.values())
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def _shape(value: Any) -> list[int] | None:
    shape = getattr(value, "shape", None)
    try:
        return [int(d) for d in shape] if shape is not None else None
    except (TypeError, ValueError):
        return None


def _model_json(model: Any) -> str | None:
    try:
        return model.to_json()
    except Exception:  # noqa: BLE001
        return None


def _count(count_params: Any, model: Any) -> int | None:
    try:
        return int(count_params(model))
    except Exception:  # noqa: BLE001 - the student's model may raise anything
        return None


class KerasHooks:
    def __init__(self, recorder: Recorder, budget: Budget) -> None:
        self.recorder = recorder
        self.budget = budget
        self._model_ids: dict[int, str] = {}
        # ``fit`` calls ``evaluate`` for validation; those calls are Keras's, not the student's.
        self._in_fit = False
        # The model the student trained last: the original a saved copy is compared with.
        self.last_fitted: Any = None

    def model_key(self, model: Any) -> str:
        return self._model_ids.setdefault(id(model), f"m{len(self._model_ids)}")

    def kernels(self, model: Any) -> list[dict[str, Any]]:
        """The convolution kernels of a trained model (what filter plots must show)."""
        found = []
        for layer in getattr(model, "layers", []):
            kernel = getattr(layer, "kernel", None)
            shape = _shape(kernel)
            if shape is None or len(shape) != 4:
                continue
            entry: dict[str, Any] = {"layer": getattr(layer, "name", "?"), "shape": shape}
            if int(np.prod(shape)) <= MAX_RECORDED_ELEMENTS:
                try:
                    entry["array"] = self.recorder.array(np.asarray(kernel))
                except Exception:  # noqa: BLE001
                    pass
            found.append(entry)
        return found

    def outputs(self, result: Any) -> list[dict[str, Any]]:
        """What ``predict`` returned: each output's shape, and the array when small."""
        described = []
        for output in _outputs(result):
            shape = _shape(output)
            entry: dict[str, Any] = {"shape": shape}
            if shape is not None and int(np.prod(shape)) <= MAX_RECORDED_ELEMENTS:
                entry["array"] = self.recorder.array(output)
            described.append(entry)
        return described

    def install(self) -> None:
        after_import("keras", self._patch)

    def _patch(self, keras: Any) -> None:
        model_class = keras.Model
        hooks = self

        original_compile = model_class.compile
        original_fit = model_class.fit
        # Keras's own count, whatever a subclass of the student's says: checked against the model
        # the grader rebuilds from the configuration this fit reports.
        count_params = keras.layers.Layer.count_params
        original_evaluate = model_class.evaluate
        original_predict = model_class.predict

        @functools.wraps(original_compile)
        def compile(self: Any, *args: Any, **kwargs: Any) -> Any:
            names = ("optimizer", "loss", "loss_weights", "metrics")
            bound = dict(zip(names, args), **kwargs)
            hooks.recorder.event(
                "compile",
                model=hooks.model_key(self),
                optimizer=as_json(bound.get("optimizer", "rmsprop"), _describe_object),
                loss=as_json(bound.get("loss"), _describe_object),
                metrics=as_json(bound.get("metrics"), _describe_object),
            )
            return original_compile(self, *args, **kwargs)

        @functools.wraps(original_fit)
        def fit(self: Any, *args: Any, **kwargs: Any) -> Any:
            names = (
                "x",
                "y",
                "batch_size",
                "epochs",
                "verbose",
                "callbacks",
                "validation_split",
                "validation_data",
            )
            bound = dict(zip(names, args), **kwargs)
            budget = hooks.budget
            x, y = bound.get("x"), bound.get("y")
            validation = bound.get("validation_data")
            epochs = bound.get("epochs", 1)
            stream, validation_stream = (
                cap(x, budget.fit_samples),
                cap(validation, budget.validation_samples),
            )
            record = {
                "model": hooks.model_key(self),
                "batch_size": bound.get("batch_size") or stream.batch_size,
                "epochs": epochs,
                "validation_split": bound.get("validation_split", 0.0),
                "shuffle": bound.get("shuffle", True),
                "x": hooks.recorder.array(x),
                "y": hooks.recorder.array(y) if y is not None else None,
                "validation_x": None,
                "validation_y": None,
                "x_type": type(x).__name__,
                # The architecture before training: the grader may start importing Keras for it now.
                "config": _model_json(self),
            }
            if isinstance(validation, (list, tuple)) and len(validation) >= 2:
                record["validation_x"] = hooks.recorder.array(validation[0])
                record["validation_y"] = hooks.recorder.array(validation[1])
                kwargs_validation = (
                    _head(validation[0], budget.validation_samples),
                    _head(validation[1], budget.validation_samples),
                    *validation[2:],
                )
                bound["validation_data"] = tuple(kwargs_validation)
            if stream.steps is not None:
                bound["x"] = stream.value
                bound["steps_per_epoch"] = min(
                    bound.get("steps_per_epoch") or stream.steps, stream.steps
                )
            else:
                bound["x"] = _head(x, budget.fit_samples)
            if validation_stream.steps is not None:
                record["validation_stream"] = True
                bound["validation_data"] = validation_stream.value
                bound["validation_steps"] = min(
                    bound.get("validation_steps") or validation_stream.steps,
                    validation_stream.steps,
                )
            if y is not None:
                bound["y"] = _head(y, budget.fit_samples)
            if isinstance(epochs, int) and epochs > budget.max_epochs:
                bound["epochs"] = budget.max_epochs
            bound["verbose"] = 0
            hooks.recorder.event("fit_start", **record)
            hooks.last_fitted = self
            hooks._in_fit = True
            try:
                history = original_fit(self, **bound)
            finally:
                hooks._in_fit = False
            hooks.recorder.event(
                "fit_end",
                model=hooks.model_key(self),
                config=_model_json(self),
                history=getattr(history, "history", None),
                params=getattr(history, "params", None),
                kernels=hooks.kernels(self),
                param_count=_count(count_params, self),
            )
            return history

        @functools.wraps(original_evaluate)
        def evaluate(self: Any, *args: Any, **kwargs: Any) -> Any:
            if hooks._in_fit:
                return original_evaluate(self, *args, **kwargs)
            names = ("x", "y", "batch_size", "verbose")
            bound = dict(zip(names, args), **kwargs)
            x, y = bound.get("x"), bound.get("y")
            hooks.recorder.event(
                "evaluate",
                model=hooks.model_key(self),
                x=hooks.recorder.array(x),
                y=hooks.recorder.array(y) if y is not None else None,
            )
            bound["x"] = _head(x, hooks.budget.evaluate_samples)
            if y is not None:
                bound["y"] = _head(y, hooks.budget.evaluate_samples)
            bound["verbose"] = 0
            return original_evaluate(self, **bound)

        @functools.wraps(original_predict)
        def predict(self: Any, *args: Any, **kwargs: Any) -> Any:
            result = original_predict(self, *args, **kwargs)
            if hooks._in_fit:
                return result
            x = args[0] if args else kwargs.get("x")
            hooks.recorder.event(
                "predict",
                model=hooks.model_key(self),
                x_shape=_shape(x) if not isinstance(x, (list, tuple, dict)) else None,
                outputs=hooks.outputs(result),
            )
            return result

        model_class.compile = compile
        model_class.fit = fit
        model_class.evaluate = evaluate
        model_class.predict = predict
