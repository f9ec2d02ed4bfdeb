"""``grader build NAME``: compile what a correct solution is into ``expected.json``.

The only module that imports an assignment's reference (``reference`` in its
``assignment.toml``): it builds the solution's model with Keras, measures it, and writes
the data grading reads (``checks/expected_file.py``).  Needed to author an assignment, not to grade.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

from grader.checks.expected import Expected
from grader.checks.expected_file import FILE_NAME, render, to_data
from grader.course.assignment import Assignment
from grader.model.architecture import parse_architecture
from grader.model.keras_names import optimizer_name
from grader.model.training import build, import_keras, measure


def _import_reference(assignment: Assignment) -> Any:
    """The reference module, from the course's folder (its ``reference/`` lies beside the folder
    of assignments, as ``grader new`` lays it out) or wherever it is importable."""
    course = str(assignment.folder.resolve().parent.parent)
    added = course not in sys.path
    if added:
        sys.path.insert(0, course)
    try:
        return importlib.import_module(assignment.reference)
    finally:
        if added:
            sys.path.remove(course)


def expected_from_reference(assignment: Assignment) -> Expected:
    """What the reference module says a correct solution is (imports Keras and the module)."""
    # A fresh session: Keras names layers by a counter (conv2d_3), and the file must not depend
    # on what was built before it.
    import_keras().backend.clear_session()
    module: Any = _import_reference(assignment)
    architecture = parse_architecture(module.build_model().to_json())
    metrics = tuple(module.METRICS)
    split = getattr(module, "VALIDATION_SPLIT", None)
    settings = {"learning_rate": module.LEARNING_RATE} if hasattr(module, "LEARNING_RATE") else {}
    table = assignment.measure
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
        threshold=float(table["threshold"]),
        reference_accuracy=float(table["reference_accuracy"]),
        measure_samples=int(table["samples"]),
        measure_epochs=int(table["epochs"]),
        measure_test_samples=int(table["test_samples"]) if "test_samples" in table else None,
        full_accuracy=getattr(module, "REPRODUCED_ACCURACY", None)
        or getattr(module, "PUBLISHED_ACCURACY", None),
        raw_input_accuracy=getattr(module, "RAW_INPUT_ACCURACY", None),
        default_setting_accuracy=getattr(module, "DEFAULT_RATE_ACCURACY", None),
        kernel_shapes=tuple(tuple(shape) for shape in getattr(module, "KERNEL_SHAPES", ())),
        feature_map_shapes=tuple(
            tuple(shape) for shape in getattr(module, "FEATURE_MAP_SHAPES", ())
        ),
        class_names=tuple(getattr(module, "CLASS_NAMES", ())),
    )


def compiled_text(assignment: Assignment) -> str:
    """The text ``grader build`` writes for ``assignment``."""
    return render(to_data(expected_from_reference(assignment), assignment.reference))


def build_assignment(assignment: Assignment) -> Path:
    """Write ``<folder>/expected.json``; returns its path."""
    path = assignment.folder / FILE_NAME
    path.write_text(compiled_text(assignment), encoding="utf-8")
    return path
