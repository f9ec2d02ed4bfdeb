"""What a correct solution *is*, as a data file: ``<assignment>/expected.json``.

``grader build NAME`` (``course/compiling.py``) writes it from the reference module; grading reads
only this file, so neither the grader's machine nor a student's needs the solution's code.
It holds what the solution defines (layer specs, output shapes, parameter counts, compile
and fit settings, the reference's published figures); what is the instructor's to choose
(points, limits, budgets, the accuracy threshold) stays in ``assignment.toml``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from grader.checks.expected import Expected
from grader.model.architecture import Architecture, LayerSpec
from grader.model.training import Built, LayerMeasure

FILE_NAME = "expected.json"
FORMAT = 1
# Expected's fields read from assignment.toml's [measure] table, not from the solution.
MEASURED = (
    "threshold",
    "reference_accuracy",
    "measure_samples",
    "measure_epochs",
    "measure_test_samples",
)
# Fields that one check alone reads: a student pack leaves a field out where its check is not
# one of the visible ones (``student_pack.py``), and it then reads as empty.
OWN_FIELDS = {
    "plots.filters": "kernel_shapes",
    "plots.feature_maps": "feature_map_shapes",
    "plots.feature_maps_layers": "feature_map_shapes",
    "results.predictions": "class_names",
}


class ExpectedDataError(Exception):
    """The compiled file is missing or not what ``grader build`` writes; the message says which."""


def _as_is(value: Any) -> Any:
    return value


# Expected's solution-defined fields that are one JSON value each, and how each is read back.
VALUES: dict[str, Callable[[Any], Any]] = {
    "classes": int,
    "loss": _as_is,
    "optimizer": _as_is,
    "optimizer_settings": dict,
    "batch_size": int,
    "epochs": int,
    "validation": _as_is,
    "validation_split": _as_is,
    "full_accuracy": _as_is,
    "raw_input_accuracy": _as_is,
    "default_setting_accuracy": _as_is,
}
# Those that are lists (tuples in Expected), and lists of shapes.
LISTS = ("input_shape", "metrics", "history_keys", "plots", "class_names")
SHAPE_LISTS = ("kernel_shapes", "feature_map_shapes")


def _shape(values: Any) -> tuple[Any, ...]:
    return tuple(values)


def _field(data: dict[str, Any], name: str) -> Any:
    """A field of the document; one that a student pack may leave out (``OWN_FIELDS``) reads as
    empty."""
    return data.get(name, ()) if name in OWN_FIELDS.values() else data[name]


def to_data(expected: Expected, reference: str) -> dict[str, Any]:
    """The JSON document of ``expected``'s solution-defined fields."""
    architecture = expected.architecture
    return {
        "format": FORMAT,
        "reference": reference,
        "architecture": {
            "model_class": architecture.model_class,
            "input_shape": None
            if architecture.input_shape is None
            else list(architecture.input_shape),
            "layers": [
                {"class_name": s.class_name, "name": s.name, "config": s.config}
                for s in architecture.layers
            ],
        },
        "built": {
            "total_params": expected.built.total_params,
            "layers": [
                {
                    "class_name": m.class_name,
                    "output_shape": list(m.output_shape),
                    "params": m.params,
                }
                for m in expected.built.layers
            ],
        },
        **{name: getattr(expected, name) for name in VALUES},
        **{name: list(getattr(expected, name)) for name in LISTS},
        **{name: [list(s) for s in getattr(expected, name)] for name in SHAPE_LISTS},
    }


def from_data(data: dict[str, Any], measure: dict[str, Any]) -> Expected:
    """``Expected`` from the document and the assignment's ``[measure]`` table."""
    if data.get("format") != FORMAT:
        raise ExpectedDataError(
            f"format {data.get('format')!r}, expected {FORMAT}: run `grader build` again"
        )
    arch, built = data["architecture"], data["built"]
    fields: dict[str, Any] = {name: read(data[name]) for name, read in VALUES.items()}
    fields.update({name: _shape(_field(data, name)) for name in LISTS})
    fields.update({name: tuple(_shape(s) for s in _field(data, name)) for name in SHAPE_LISTS})
    return Expected(
        architecture=Architecture(
            arch["model_class"],
            None if arch["input_shape"] is None else _shape(arch["input_shape"]),
            tuple(LayerSpec(s["class_name"], s["name"], dict(s["config"])) for s in arch["layers"]),
        ),
        built=Built(
            tuple(
                LayerMeasure(m["class_name"], _shape(m["output_shape"]), int(m["params"]))
                for m in built["layers"]
            ),
            int(built["total_params"]),
        ),
        threshold=float(measure["threshold"]),
        reference_accuracy=float(measure["reference_accuracy"]),
        measure_samples=int(measure["samples"]),
        measure_epochs=int(measure["epochs"]),
        measure_test_samples=int(measure["test_samples"]) if "test_samples" in measure else None,
        **fields,
    )


def render(data: dict[str, Any]) -> str:
    """The file's text: stable, so a committed file changes only when the solution does."""
    return json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def read(folder: Path, measure: dict[str, Any]) -> Expected:
    path = folder / FILE_NAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return from_data(data, measure)
    except FileNotFoundError:
        raise ExpectedDataError(f"{path} is missing: run `grader build {folder.name}`") from None
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ExpectedDataError(
            f"{path}: {type(exc).__name__}: {exc}; run `grader build {folder.name}`"
        ) from None
