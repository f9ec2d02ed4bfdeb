"""Kernel side: ``keras.datasets.*.load_data()`` served from the grader's cache.

Keras downloads datasets and checks a sha256 of its own archive, so the cache cannot pose
as Keras's file.  Instead the loaders themselves are replaced as soon as Keras is imported,
in every module that exposes them (``keras.datasets``, ``tensorflow.keras.datasets``,
``from keras.datasets import mnist``), before student code can hold a reference.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any

from grader.datasets import NAMES, Dataset, load

LoadCallback = Callable[[Dataset], None]


class _AfterImport(importlib.abc.MetaPathFinder):
    """Runs callbacks right after a watched module has executed (one finder for all)."""

    def __init__(self) -> None:
        self.callbacks: dict[str, list[Callable[[ModuleType], None]]] = {}

    def find_spec(
        self, fullname: str, path: Any, target: Any = None
    ) -> importlib.machinery.ModuleSpec | None:
        # Not popped here: ``importlib.util.find_spec`` (TensorFlow uses it to probe for
        # Keras) asks without importing; the callbacks belong to the real import.
        if not self.callbacks.get(fullname):
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        loader = spec.loader
        original_exec = loader.exec_module

        callbacks = self.callbacks

        def exec_then_call(module: ModuleType) -> None:
            original_exec(module)
            for callback in callbacks.pop(fullname, []):
                callback(module)

        loader.exec_module = exec_then_call  # type: ignore[method-assign]
        return spec


_FINDER = _AfterImport()


def after_import(name: str, callback: Callable[[ModuleType], None]) -> None:
    """Call ``callback`` once ``name`` is imported (now, if it already is)."""
    if name in sys.modules:
        callback(sys.modules[name])
        return
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)
    _FINDER.callbacks.setdefault(name, []).append(callback)


def _make_loader(name: str, on_load: LoadCallback | None) -> Callable[..., Any]:
    def load_data(*args: Any, **kwargs: Any) -> Any:
        dataset = load(name, provision_missing=False)
        if on_load is not None:
            on_load(dataset)
        return dataset.keras_tuple()

    load_data.__name__ = "load_data"
    load_data.__doc__ = f"{name}.load_data(), served offline by the grader."
    return load_data


def patch_keras_datasets(on_load: LoadCallback | None = None) -> None:
    """Replace every ``*.datasets.<name>.load_data`` now loaded, and Keras's own."""
    loaders = {name: _make_loader(name, on_load) for name in NAMES}
    for module_name, module in list(sys.modules.items()):
        for name, loader in loaders.items():
            if module_name.endswith(f"datasets.{name}") and hasattr(module, "load_data"):
                module.load_data = loader  # type: ignore[attr-defined]


def install(on_load: LoadCallback | None = None) -> None:
    """Serve Keras's dataset loaders from the cache, whenever Keras gets imported."""
    after_import("keras", lambda _keras: patch_keras_datasets(on_load))
