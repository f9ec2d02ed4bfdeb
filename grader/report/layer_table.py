"""The student's layers beside the expected ones, row by row, as data.

A row pairs layer ``i`` of the student's model with layer ``i`` of the expected model:
its class and graded settings (``LayerSpec.compared``), and, where the grader rebuilt the
model, its output shape and parameter count (``Built``).  A row says which of these
differ, so a renderer only has to colour them.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import zip_longest

from grader.model.architecture import Architecture, LayerSpec
from grader.model.training import Built, LayerMeasure

COLUMNS = ("layer", "output", "params")


@dataclass(frozen=True)
class LayerCell:
    class_name: str
    name: str
    settings: str
    output_shape: str | None
    params: int | None


@dataclass(frozen=True)
class LayerRow:
    position: int
    found: LayerCell | None
    expected: LayerCell | None
    # The columns (of COLUMNS) that differ; every column when one side has no layer here.
    differs: frozenset[str]


def _shape(shape: tuple[int | None, ...]) -> str:
    return "(" + ", ".join(["None", *("None" if d is None else str(d) for d in shape)]) + ")"


def _cells(architecture: Architecture, built: Built | None) -> list[LayerCell]:
    measures: list[LayerMeasure | None] = (
        list(built.layers)
        if built is not None and len(built.layers) == len(architecture.layers)
        else []
    )
    cells = []
    for index, spec in enumerate(architecture.layers):
        measure = measures[index] if measures else None
        cells.append(
            LayerCell(
                spec.class_name,
                spec.name,
                _settings(spec),
                _shape(measure.output_shape) if measure else None,
                measure.params if measure else None,
            )
        )
    return cells


def _settings(spec: LayerSpec) -> str:
    return ", ".join(f"{key}={value!r}" for key, value in spec.compared().items())


def _differences(found: LayerCell | None, expected: LayerCell | None) -> frozenset[str]:
    if found is None or expected is None:
        return frozenset(COLUMNS)
    differs = set()
    if (found.class_name, found.settings) != (expected.class_name, expected.settings):
        differs.add("layer")
    if (
        found.output_shape is not None
        and expected.output_shape is not None
        and found.output_shape != expected.output_shape
    ):
        differs.add("output")
    if found.params is not None and expected.params is not None and found.params != expected.params:
        differs.add("params")
    return frozenset(differs)


def layer_rows(
    found: Architecture,
    found_built: Built | None,
    expected: Architecture | None,
    expected_built: Built | None,
) -> list[LayerRow]:
    """One row per position in the longer of the two models."""
    mine = _cells(found, found_built)
    theirs = _cells(expected, expected_built) if expected is not None else []
    rows = []
    for position, (have, want) in enumerate(zip_longest(mine, theirs), start=1):
        rows.append(
            LayerRow(
                position,
                have,
                want,
                _differences(have, want) if expected is not None else frozenset(),
            )
        )
    return rows
