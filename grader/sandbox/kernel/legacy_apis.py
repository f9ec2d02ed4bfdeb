"""Kernel side: code copied from an older tutorial runs as it meant to, where that is certain.

Keras 3, TensorFlow 2.16+ and scikit-learn removed APIs that old MNIST tutorials use; each is
mapped to today's spelling of the same thing (``boundary.legacy_apis`` names them), and each use
is recorded, so the report asks the student to modernise it at no cost in points:

- Keras 1 argument names (``Dense(output_dim=)``, ``border_mode=``, ``init=``, ``subsample=``,
  ``nb_filter=``, ``fit(nb_epoch=)``, ``to_categorical(nb_classes=)``) and an optimizer's ``lr=``
  are renamed (``keras1_arguments``); a call that gives an old name and its new one both is
  refused (which was meant is not certain);
- ``Convolution2D(32, 3, 3)`` (Keras 1: filters, rows, columns) is ``Conv2D(32, (3, 3))``;
  ``Conv2D(32, 3, 3)`` is left as Keras 3 reads it (strides 3), which the layer check names;
- ``keras.utils.np_utils`` as an attribute, ``Sequential.predict_classes`` / ``predict_proba``
  (as Keras 2 computed them), ``keras.backend.set_image_dim_ordering`` / ``image_dim_ordering``;
- weights saved to ``*.h5`` / ``*.hdf5`` and ``ModelCheckpoint('*.hdf5')`` are written in the
  HDF5 format Keras 2 wrote (and Keras 3 still loads);
- ``sklearn.externals.joblib`` is ``joblib``.

An assignment may turn all of it off (``[compat] legacy_apis = false``): the old code then fails
as it does in Keras 3, and the failing cell's hint names today's spelling.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import types
from collections.abc import Callable
from typing import Any

from grader.boundary.legacy_apis import LEGACY_MODULES
from grader.sandbox.kernel.keras1_arguments import (
    Record,
    keras1_convolution,
    rename_fit_and_to_categorical,
    rename_layer_arguments,
    used,
)
from grader.sandbox.kernel.offline import after_import

DIM_ORDERINGS = {"tf": "channels_last", "th": "channels_first"}
# Keras's public namespaces: ``keras``, and ``tf.keras`` under both of its names.
PUBLIC_ROOTS = ("keras", "keras._tf_keras.keras", "tensorflow.keras")


def _each_public(last: str, apply: Callable[[types.ModuleType], None]) -> None:
    """``apply`` to Keras's public module ``<root>.<last>`` of every root, each now if it is
    imported, else as soon as it is (``tensorflow.keras.layers`` is its own module)."""

    def safely(module: types.ModuleType) -> None:
        try:
            apply(module)
        except Exception:  # noqa: BLE001 - a module without the attribute keeps its own errors
            pass

    for root in PUBLIC_ROOTS:
        after_import(f"{root}.{last}", safely)


class _Attribute(types.ModuleType):
    """A module reached as an attribute that Keras removed (``keras.utils.np_utils``): the
    module of today, its use recorded."""

    def __init__(self, name: str, target: types.ModuleType, used: Callable[[], None]) -> None:
        super().__init__(name)
        self._target, self._on_use = target, used

    def __getattr__(self, attribute: str) -> Any:
        if not attribute.startswith("__"):
            self._on_use()
        return getattr(self._target, attribute)


def _removed_functions(keras: Any, record: Record) -> None:
    data_format = keras.backend.set_image_data_format
    read_format = keras.backend.image_data_format

    def set_image_dim_ordering(dim_ordering: str) -> None:
        if dim_ordering not in DIM_ORDERINGS:
            raise ValueError(f"Unknown dim_ordering: {dim_ordering!r} (Keras 2 took 'tf' or 'th')")
        used(record, "set_image_dim_ordering" + ("_th" if dim_ordering == "th" else ""))
        data_format(DIM_ORDERINGS[dim_ordering])

    def image_dim_ordering() -> str:
        used(record, "image_dim_ordering")
        return "tf" if read_format() == "channels_last" else "th"

    def backend(module: types.ModuleType) -> None:
        for function in (set_image_dim_ordering, image_dim_ordering):
            if not hasattr(module, function.__name__):
                setattr(module, function.__name__, function)

    def utils(module: types.ModuleType) -> None:
        if not hasattr(module, "np_utils"):
            module.np_utils = _Attribute(  # type: ignore[attr-defined]
                f"{module.__name__}.np_utils", module, lambda: used(record, "np_utils")
            )

    _each_public("backend", backend)
    _each_public("utils", utils)


def _predict_methods(sequential: type, record: Record) -> None:
    """Keras 2's ``Sequential.predict_classes`` and ``predict_proba``, computed as it did."""

    def predict_classes(self: Any, x: Any, batch_size: int = 32, verbose: int = 0) -> Any:
        used(record, "predict_classes")
        proba = self.predict(x, batch_size=batch_size, verbose=verbose)
        if proba.shape[-1] > 1:
            return proba.argmax(axis=-1)
        return (proba > 0.5).astype("int32")

    def predict_proba(self: Any, x: Any, batch_size: int = 32, verbose: int = 0) -> Any:
        used(record, "predict_proba")
        return self.predict(x, batch_size=batch_size, verbose=verbose)

    for method in (predict_classes, predict_proba):
        if not hasattr(sequential, method.__name__):
            setattr(sequential, method.__name__, method)


def _hdf5_saving(keras: Any, record: Record) -> None:
    """Weights saved to ``*.h5`` / ``*.hdf5`` in Keras 2's HDF5 layout, and checkpoints to
    ``*.hdf5``: Keras 3 loads both, and refuses to write them."""
    import h5py
    from keras.src.legacy.saving import legacy_h5_format
    from keras.src.saving import saving_api

    original = saving_api.save_weights

    def save_weights(model: Any, filepath: Any, *args: Any, **kwargs: Any) -> Any:
        path = str(filepath)
        if not path.endswith((".h5", ".hdf5")) or path.endswith(".weights.h5"):
            return original(model, filepath, *args, **kwargs)
        used(record, "hdf5_weights")
        with h5py.File(path, "w") as file:
            legacy_h5_format.save_weights_to_hdf5_group(file, model)
        return None

    saving_api.save_weights = save_weights
    checkpoint = keras.callbacks.ModelCheckpoint
    original_init = checkpoint.__init__

    def __init__(self: Any, filepath: Any, *args: Any, **kwargs: Any) -> None:
        path = str(filepath)
        weights = bool(kwargs.get("save_weights_only", args[3] if len(args) > 3 else False))
        allowed = ".weights.h5" if weights else (".keras", ".h5")
        legacy = path.endswith(".hdf5") or (weights and path.endswith(".h5"))
        if not legacy or path.endswith(allowed):
            original_init(self, filepath, *args, **kwargs)
            return
        # Keras 3 checks the suffix as the callback is made, then saves through ``save`` and
        # ``save_weights``, which write HDF5 for it.
        original_init(self, path + (".weights.h5" if weights else ".keras"), *args, **kwargs)
        self.filepath = path
        used(record, "hdf5_checkpoint")

    __init__.__doc__ = original_init.__doc__
    checkpoint.__init__ = __init__


class _ModuleAliases(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """``sklearn.externals.joblib`` is ``joblib``: served only where the real import fails (the
    last finder on ``sys.meta_path``)."""

    def __init__(self, record: Record) -> None:
        self.record = record

    def find_spec(
        self, fullname: str, path: Any, target: Any = None
    ) -> importlib.machinery.ModuleSpec | None:
        return (
            importlib.machinery.ModuleSpec(fullname, self) if fullname in LEGACY_MODULES else None
        )

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        used(self.record, "sklearn_joblib")
        return importlib.import_module(LEGACY_MODULES[spec.name])

    def exec_module(self, module: types.ModuleType) -> None:
        return None


def _patch(keras: Any, record: Record) -> None:
    """Each mapping on its own: one that this Keras does not allow leaves the others."""
    conv2d = keras.layers.Conv2D
    convolution2d = keras1_convolution(conv2d, record)

    def layers(module: types.ModuleType) -> None:
        if getattr(module, "Convolution2D", None) is conv2d:
            module.Convolution2D = convolution2d  # type: ignore[attr-defined]

    steps: list[Callable[[], None]] = [
        lambda: rename_layer_arguments(keras, record),
        lambda: _each_public("layers", layers),
        lambda: _removed_functions(keras, record),
        lambda: _predict_methods(keras.Sequential, record),
        lambda: _hdf5_saving(keras, record),
        lambda: rename_fit_and_to_categorical(keras, record),
    ]
    for step in steps:
        try:
            step()
        except Exception:  # noqa: BLE001 - a Keras without these internals keeps its own errors
            pass


def install(record: Record, enabled: bool = True) -> None:
    """Map the old APIs (unless the assignment's ``[compat]`` turned them off), recording each
    use with ``record``.  Installed after the Keras hooks, so a renamed ``fit`` argument reaches
    them under its new name."""
    if not enabled:
        return
    sys.meta_path.append(_ModuleAliases(record))
    after_import("keras", lambda keras: _patch(keras, record))
