"""The copies a grading compares: a saved model file's bytes, its architecture, and models rebuilt
from plain arrays (``reloading`` decides whether a saved copy is the trained model).

A saved file is read through the evidence (``Evidence.model_file``: ``hostile_files``' rules, its
own size limit) and parsed as data (``model.saved_files``); an architecture's cost is checked
(``CostCheck``, the assignment's bounds) before it is built with the grader's whitelist
(``training.build``).  Anything that cannot be compared raises ``Unusable`` with the reason.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np

from grader.evidence.hostile_files import Refused
from grader.evidence.reading import Evidence
from grader.model.architecture import Architecture, ArchitectureError, parse_architecture
from grader.model.saved_files import MAX_FILE_BYTES, ModelFile
from grader.model.training import BuildError, build

FIXED_INPUTS = 256
MODEL_FILE_NAME = re.compile(r"^f\d{1,4}\.(keras|h5|json|bin)$")
# Raises ``BuildError`` when an architecture, run on so many samples, costs more than the grader
# spends (``measurement.bounds.Bounds.check``).
CostCheck = Callable[[Architecture, int], None]


class Unusable(Exception):
    """A saved copy cannot be compared; the message says why."""


def saved_file(evidence: Evidence, ref: Any) -> tuple[bytes, str]:
    """The bytes of the copy the kernel kept of a saved file, and its name there."""
    if not isinstance(ref, str) or not MODEL_FILE_NAME.match(ref):
        reason = ref.get("unstorable") if isinstance(ref, dict) else None
        raise Unusable(f"the file was not kept ({reason})" if reason else "the file was not kept")
    try:
        return evidence.model_file(ref, MAX_FILE_BYTES), ref
    except Refused as exc:
        raise Unusable(str(exc)) from None


def rebuild(
    architecture: Architecture, weights: dict[str, tuple[np.ndarray, ...]], check: CostCheck
) -> Any:
    """Our model with the given layers, its weights set layer by layer from plain arrays; its
    cost on the fixed inputs checked first."""
    try:
        check(architecture, FIXED_INPUTS)
        model = build(architecture)
    except BuildError as exc:
        raise Unusable(str(exc)) from None
    for spec, layer in zip(architecture.layers, model.layers):
        if not layer.weights:
            continue
        arrays = weights.get(spec.name)
        if arrays is None:
            raise Unusable(f"there are no weights for layer {spec.name!r}")
        shapes = [tuple(w.shape) for w in layer.weights]
        if [a.shape for a in arrays] != shapes:
            raise Unusable(
                f"the weights of layer {spec.name!r} have shapes {[a.shape for a in arrays]}, not "
                f"{shapes}"
            )
        layer.set_weights([np.asarray(a, dtype=w.dtype) for a, w in zip(arrays, layer.weights)])
    return model


def predict(model: Any, x: np.ndarray) -> np.ndarray:
    return np.asarray(model(np.asarray(x, dtype="float32"), training=False))


def architecture_of(model_file: ModelFile) -> Architecture:
    try:
        return parse_architecture(model_file.config or "")
    except ArchitectureError as exc:
        raise Unusable(str(exc)) from None


def same_layers(a: Architecture, b: Architecture) -> bool:
    return a.input_shape == b.input_shape and [(l.class_name, l.compared()) for l in a.layers] == [
        (l.class_name, l.compared()) for l in b.layers
    ]


def trained_weights(
    evidence: Evidence, key: str | None
) -> dict[str, tuple[np.ndarray, ...]] | None:
    event = next(
        (e for e in reversed(evidence.of_kind("final_weights")) if e.get("model") == key), None
    )
    if event is None or not isinstance(event.get("layers"), list):
        return None
    weights: dict[str, tuple[np.ndarray, ...]] = {}
    for entry in event["layers"]:
        if not (isinstance(entry, list) and len(entry) == 2 and isinstance(entry[1], list)):
            return None
        arrays = [evidence.array(ref) for ref in entry[1]]
        if any(a is None for a in arrays):
            return None
        weights[str(entry[0])] = tuple(np.asarray(a) for a in arrays)
    return weights
