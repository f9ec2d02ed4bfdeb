"""Assignments: ``<name>/assignment.toml`` (found by ``locations.py``) plus the reference it points to.

The TOML declares what is the instructor's to choose (points, limits, the budgets, the
accuracy threshold); what a correct solution *is* (shapes, layers, settings) is read from
the reference module, the single source of truth.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from grader.architecture import parse_architecture
from grader.checks.catalog import load_all
from grader.custom import CustomCheck, CustomCheckError, collect
from grader.expected import Expected
from grader.execution import Limits
from grader.locations import Located, LocationError, catalogue, private_folders, sources
from grader.training import build, import_keras, measure, optimizer_name

class AssignmentError(Exception):
    """The assignment is unknown or its description is wrong; the message says which."""


def available(explicit: Sequence[Path] = (), cwd: Path | None = None) -> dict[str, Located]:
    """Every assignment this grader can find, with where it comes from."""
    try:
        return catalogue(sources(explicit, cwd))
    except LocationError as exc:
        raise AssignmentError(str(exc)) from None


@dataclass(frozen=True)
class Assignment:
    name: str
    folder: Path
    title: dict[str, str]
    dataset: str
    reference: str
    limits: Limits
    budget: dict[str, int]
    measure: dict[str, Any]
    points: dict[str, float]
    # The assignment's own pytest checks (``test_*.py`` in its folder), points from their markers.
    custom: tuple[CustomCheck, ...] = ()

    @property
    def private(self) -> tuple[Path, ...]:
        """Folders the student's kernel must not read (see ``locations.private_folders``)."""
        return private_folders(self.folder)

    @property
    def max_score(self) -> float:
        return float(sum(self.points.values()) + sum(c.points for c in self.custom))

    @cached_property
    def expected(self) -> Expected:
        """Built from the reference module (imports Keras; only needed to grade)."""
        import_keras()
        module = importlib.import_module(self.reference)
        architecture = parse_architecture(module.build_model().to_json())
        metrics = tuple(module.METRICS)
        split = getattr(module, "VALIDATION_SPLIT", None)
        settings = {"learning_rate": module.LEARNING_RATE} if hasattr(module, "LEARNING_RATE") else {}
        return Expected(
            input_shape=tuple(module.INPUT_SHAPE),
            classes=int(module.NUM_CLASSES),
            architecture=architecture,
            built=measure(build(architecture)),
            loss=module.LOSS,
            optimizer=optimizer_name(module.OPTIMIZER) or str(module.OPTIMIZER),
            optimizer_settings=settings,
            metrics=metrics,
            batch_size=int(module.BATCH_SIZE),
            epochs=int(module.EPOCHS),
            validation="split" if split else "test",
            validation_split=split,
            history_keys=("loss", *metrics, "val_loss", *(f"val_{m}" for m in metrics)),
            threshold=float(self.measure["threshold"]),
            reference_accuracy=float(self.measure["reference_accuracy"]),
            measure_samples=int(self.measure["samples"]),
            measure_epochs=int(self.measure["epochs"]),
            measure_test_samples=_optional(self.measure, "test_samples", int),
            full_accuracy=getattr(module, "REPRODUCED_ACCURACY", None) or getattr(module, "PUBLISHED_ACCURACY", None),
            raw_input_accuracy=getattr(module, "RAW_INPUT_ACCURACY", None),
            default_setting_accuracy=getattr(module, "DEFAULT_RATE_ACCURACY", None),
            kernel_shapes=tuple(tuple(shape) for shape in getattr(module, "KERNEL_SHAPES", ())),
            feature_map_shapes=tuple(tuple(shape) for shape in getattr(module, "FEATURE_MAP_SHAPES", ())),
            class_names=tuple(getattr(module, "CLASS_NAMES", ())),
        )


def _optional(table: dict[str, Any], key: str, kind: type) -> Any:
    return kind(table[key]) if key in table else None


def _require(table: dict[str, Any], key: str, where: str) -> Any:
    if key not in table:
        raise AssignmentError(f"{where}: missing '{key}'")
    return table[key]


def load_assignment(name: str, root: Path | None = None, *, explicit: Sequence[Path] = (), cwd: Path | None = None) -> Assignment:
    """The assignment ``name`` from the folder of assignments ``root``, else from the first
    source that holds it (``--assignments`` folders ``explicit``, then ``locations.sources``)."""
    if root is not None:
        folder = root / name
    else:
        known = available(explicit, cwd)
        if name not in known:
            raise AssignmentError(f"unknown assignment {name!r} (known: {', '.join(known) or 'none'})")
        folder = known[name].folder
    path = folder / "assignment.toml"
    if not path.is_file():
        raise AssignmentError(f"unknown assignment {name!r}: no {path}")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise AssignmentError(f"{path}: {exc}") from None
    limits = _require(data, "limits", str(path))
    registry = load_all()
    points = {str(k): float(v) for k, v in _require(data, "points", str(path)).items()}
    unknown = [k for k in points if k not in registry]
    if unknown:
        raise AssignmentError(f"{path}: unknown checks {unknown}; known: {sorted(registry)}")
    try:
        custom = collect(folder)
    except CustomCheckError as exc:
        raise AssignmentError(str(exc)) from None
    return Assignment(
        name=name,
        folder=folder,
        title=dict(_require(data, "title", str(path))),
        dataset=str(_require(data, "dataset", str(path))),
        reference=str(_require(data, "reference", str(path))),
        limits=Limits(float(limits["cell_timeout_s"]), float(limits["total_timeout_s"]), int(limits["memory_mb"]), int(limits["output_kb"]) * 1024,
                      **{k: int(limits[k]) for k in ("disk_mb", "max_processes") if k in limits}),
        budget={k: int(v) for k, v in _require(data, "budget", str(path)).items()},
        measure=dict(_require(data, "measure", str(path))),
        points=points,
        custom=custom,
    )


def digest(assignment: Assignment) -> str:
    """sha256 of what defines the grading: ``assignment.toml`` and the custom tests beside it."""
    files = [assignment.folder / "assignment.toml", *sorted(assignment.folder.glob("test_*.py"))]
    hasher = hashlib.sha256()
    for path in files:
        hasher.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return hasher.hexdigest()


def with_limits(assignment: Assignment, cell_timeout_s: float | None = None, total_timeout_s: float | None = None) -> Assignment:
    """The assignment with its time limits overridden (from the command line)."""
    limits = assignment.limits
    if cell_timeout_s is not None:
        limits = dataclasses.replace(limits, cell_timeout_s=cell_timeout_s)
    if total_timeout_s is not None:
        limits = dataclasses.replace(limits, total_timeout_s=total_timeout_s)
    return dataclasses.replace(assignment, limits=limits)
