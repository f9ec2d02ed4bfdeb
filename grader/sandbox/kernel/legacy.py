"""Kernel side: notebooks written for Keras 2 or on Colab run as they would have there.

- ``keras.utils.np_utils``, ``keras.layers.core`` and the other Keras 2 paths Keras 3
  removed (and their ``tensorflow.keras`` twins) resolve to today's modules; each use is
  recorded, and the report asks the student to modernise it, at no cost in points.
- ``google.colab`` is a stand-in where Colab is absent: ``drive.mount``,
  ``files.upload``/``download`` and the like print a note and do nothing.

An assignment may turn either off (``[compat]``): its import then fails as in plain Keras 3, or
outside Colab.  Both are served only when the real import fails (the finder is the last on
``sys.meta_path``), so an environment that has the real module keeps it.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import types
from collections.abc import Callable
from typing import Any

from grader.boundary.legacy_paths import COLAB_CALLS, LEGACY

Record = Callable[..., None]
COLAB_NOTE = (
    "[grader] google.colab.{call}() does nothing while grading: the notebook runs in its own "
    "folder with the course's data."
)


class _Alias(importlib.abc.Loader):
    def __init__(self, target: str, record: Record) -> None:
        self.target, self.record = target, record

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        self.record("legacy_import", name=spec.name)
        return importlib.import_module(self.target)

    def exec_module(self, module: types.ModuleType) -> None:
        return None


def _colab_call(call: str, record: Record) -> Callable[..., Any]:
    def stand_in(*args: Any, **kwargs: Any) -> Any:
        record("colab", call=call)
        print(COLAB_NOTE.format(call=call))
        return {} if call == "files.upload" else None

    return stand_in


class _ColabStandIn(importlib.abc.Loader):
    def __init__(self, record: Record) -> None:
        self.record = record

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        module = types.ModuleType(spec.name)
        if spec.name in ("google", "google.colab"):
            module.__path__ = []
        prefix = spec.name.removeprefix("google.colab.")
        for call in COLAB_CALLS:
            owner, _, function = call.partition(".")
            if owner == prefix:
                setattr(module, function, _colab_call(call, self.record))
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        return None


class _Finder(importlib.abc.MetaPathFinder):
    def __init__(self, record: Record, keras2_paths: bool, colab: bool) -> None:
        self.record = record
        self.legacy = LEGACY if keras2_paths else {}
        self.colab = (
            {"google", "google.colab"} | {f"google.colab.{c.split('.')[0]}" for c in COLAB_CALLS}
            if colab
            else set()
        )

    def find_spec(
        self, fullname: str, path: Any, target: Any = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname in self.legacy:
            return importlib.machinery.ModuleSpec(
                fullname, _Alias(self.legacy[fullname], self.record)
            )
        if fullname in self.colab:
            return importlib.machinery.ModuleSpec(
                fullname,
                _ColabStandIn(self.record),
                is_package=fullname in ("google", "google.colab"),
            )
        return None


def install(record: Record, keras2_paths: bool = True, colab: bool = True) -> None:
    """Serve the Keras 2 paths and the Colab stand-in (each unless the assignment's ``[compat]``
    turned it off), recording each use with ``record``."""
    sys.meta_path.append(_Finder(record, keras2_paths, colab))
