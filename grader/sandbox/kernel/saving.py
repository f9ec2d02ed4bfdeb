"""Kernel side: record which model files the student saved and loaded, and what reloaded models
predicted.

``Model.save``, ``save_weights``, ``load_weights`` and the functions ``load_model``,
``save_model`` and ``model_from_json`` are wrapped once Keras is imported.  Each file
saved or loaded is copied (size-capped) into the artifacts folder, so the grader can read
it as data after the student's scratch folder is gone; ``predict`` on a reloaded model
records its inputs and outputs (the first rows) as evidence to cross-check.  At the end,
the weights of the trained model are written, layer by layer, as the original to compare
against.  Everything here is evidence only: the grader re-derives every verdict from files.
"""

from __future__ import annotations

import functools
import os
import sys
from typing import Any

from grader.sandbox.kernel.hooks import KerasHooks
from grader.sandbox.kernel.offline import after_import

PREDICTION_ROWS = 256


def _path_of(value: Any) -> str | None:
    return os.fspath(value) if isinstance(value, (str, os.PathLike)) else None


class SavingHooks:
    def __init__(self, hooks: KerasHooks) -> None:
        self.hooks = hooks
        self.recorder = hooks.recorder
        # Keras's loaders call one another; only the student's outermost call is recorded.
        self._depth = 0
        # Models made by loading, by ``id`` (``_models`` keeps them alive, so ids stay unique).
        self._loaded: set[int] = set()
        self._models: dict[str, Any] = {}

    def install(self) -> None:
        after_import("keras", self._patch)

    def _file_event(self, kind: str, model: Any, path: Any, **fields: Any) -> None:
        name = _path_of(path)
        copy = (
            self.recorder.model_file(name)
            if name
            else {"unstorable": f"not a path: {type(path).__name__}"}
        )
        key = self.hooks.model_key(model) if model is not None else None
        if key is not None:
            self._models[key] = model
        self.recorder.event(
            kind, model=key, name=os.path.basename(name) if name else None, file=copy, **fields
        )

    def _outermost(self, function: Any, record: Any) -> Any:
        hooks = self

        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            hooks._depth += 1
            try:
                result = function(*args, **kwargs)
            finally:
                hooks._depth -= 1
            if hooks._depth == 0:
                try:
                    record(result, *args, **kwargs)
                except Exception:
                    # Evidence is best effort, never the student's problem.
                    pass
            return result

        return wrapper

    def _patch(self, keras: Any) -> None:
        model_class = keras.Model
        first = lambda args, kwargs, name: args[0] if args else kwargs.get(name)  # noqa: E731

        def saved(kind: str) -> Any:
            return lambda _r, model, *a, **k: self._file_event(kind, model, first(a, k, "filepath"))

        def weights_loaded(_r: Any, model: Any, *a: Any, **k: Any) -> None:
            self._file_event("weights_loaded", model, first(a, k, "filepath"))

        def model_loaded(model: Any, *a: Any, **k: Any) -> None:
            self._file_event("model_loaded", model, first(a, k, "filepath"))
            self._loaded.add(id(model))

        def from_json(model: Any, *a: Any, **k: Any) -> None:
            text = first(a, k, "json_string")
            key = self.hooks.model_key(model)
            self._models[key] = model
            self._loaded.add(id(model))
            copy = (
                self.recorder.model_text(text)
                if isinstance(text, str)
                else {"unstorable": "not text"}
            )
            self.recorder.event("model_from_json", model=key, file=copy)

        def predicted(result: Any, model: Any, *a: Any, **k: Any) -> None:
            if id(model) not in self._loaded:
                return
            x = first(a, k, "x")
            self.recorder.event(
                "reloaded_predict",
                model=self.hooks.model_key(model),
                x=self.recorder.array(x[:PREDICTION_ROWS]),
                y=self.recorder.array(result[:PREDICTION_ROWS]),
            )

        model_class.save = self._outermost(model_class.save, saved("model_saved"))
        model_class.save_weights = self._outermost(model_class.save_weights, saved("weights_saved"))
        model_class.load_weights = self._outermost(model_class.load_weights, weights_loaded)
        model_class.predict = self._outermost(model_class.predict, predicted)
        # Functions are replaced wherever Keras exposes them (``keras.models``, ``keras.saving``,
        # ``tf.keras``...), so every import style is seen; ``Model.save`` calls ``save_model``.
        functions = (
            ("load_model", model_loaded),
            ("model_from_json", from_json),
            (
                "save_model",
                lambda _r, model, *a, **k: self._file_event(
                    "model_saved", model, first(a, k, "filepath")
                ),
            ),
        )
        for name, record in functions:
            original = getattr(keras.models, name)
            wrapped = self._outermost(original, record)
            for module_name, module in list(sys.modules.items()):
                if (
                    module_name.split(".")[0] in ("keras", "tensorflow")
                    and getattr(module, name, None) is original
                ):
                    setattr(module, name, wrapped)

    def final(self, namespace: dict[str, Any]) -> None:
        """After the last cell: the trained model's weights, if anything was saved or loaded."""
        if not self._models:
            return
        trained = {
            id(m): m
            for m in (self.hooks.last_fitted, namespace.get("model"))
            if m is not None and hasattr(m, "layers")
        }
        for model in trained.values():
            layers = [
                [layer.name, [self.recorder.array(w) for w in layer.get_weights()]]
                for layer in model.layers
                if layer.weights
            ]
            self.recorder.event("final_weights", model=self.hooks.model_key(model), layers=layers)
