"""From evidence to facts: which of the kernel's arrays, events and models are the student's
(``train_arrays``, ``test_arrays``, ``architecture_of``), and ``gather``, which turns them into
the ``Facts`` the checks look at, plus the arrays the measurement needs.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from grader.boundary.execution import Execution
from grader.datasets import Dataset
from grader.evidence.compat_notes import compat_facts
from grader.evidence.facts import Facts
from grader.evidence.figures import shown
from grader.evidence.piece_facts import (
    compile_facts,
    fit_facts,
    image_facts,
    label_facts,
    plot_facts,
)
from grader.evidence.reading import Evidence
from grader.evidence.tracing import Tracer, preparation, trace
from grader.model.architecture import (
    Architecture,
    ArchitectureError,
    SubclassedModel,
    parse_architecture,
)


def architecture_of(
    evidence: Evidence, model: str | None
) -> tuple[Architecture | None, str | None, str | None]:
    """The student's model: the one their last ``fit`` trained, else the variable ``model``."""
    configs: list[Any] = [
        e.get("config")
        for e in evidence.of_kind("fit_end")
        if e.get("model") == model and e.get("config")
    ]
    variable = evidence.variables.get("model", {})
    configs += [variable["config"]] if isinstance(variable, dict) and variable.get("config") else []
    if not configs:
        return (
            None,
            "no model was found: train a keras model with model.fit(...) (or name it `model`)",
            None,
        )
    try:
        return parse_architecture(configs[0]), None, None
    except ArchitectureError as exc:
        return None, str(exc), exc.class_name if isinstance(exc, SubclassedModel) else None


def test_arrays(
    evidence: Evidence, model: str | None
) -> tuple[np.ndarray | None, np.ndarray | None, str]:
    """The student's prepared test set and where it was found: what they evaluated on
    (``evaluate``), else validated on (``validation``), else ``x_test`` (``variable``)."""
    for event in reversed(evidence.of_kind("evaluate")):
        if event.get("model") == model:
            x, y = evidence.array(event.get("x")), evidence.array(event.get("y"))
            if x is not None:
                return x, y, "evaluate"
    for event in reversed(evidence.of_kind("fit_start")):
        if event.get("model") == model and event.get("validation_x"):
            validation = evidence.array(event.get("validation_x"))
            return validation, evidence.array(event.get("validation_y")), "validation"
    return _variable(evidence, "x_test"), _variable(evidence, "y_test"), "variable"


def train_arrays(
    evidence: Evidence,
) -> tuple[dict[str, Any] | None, np.ndarray | None, np.ndarray | None]:
    if (start := evidence.main_fit()) is not None:
        return start, evidence.array(start.get("x")), evidence.array(start.get("y"))
    return None, _variable(evidence, "x_train"), _variable(evidence, "y_train")


def _variable(evidence: Evidence, name: str) -> np.ndarray | None:
    """The array the notebook's variable ``name`` held at its end."""
    found = evidence.variables.get(name)
    return evidence.array(found.get("array")) if isinstance(found, dict) else None


def _same(a: np.ndarray | None, b: np.ndarray | None) -> bool:
    return a is not None and b is not None and a.shape == b.shape and bool(np.array_equal(a, b))


def gather(
    evidence: Evidence, execution: Execution, dataset: Dataset
) -> tuple[Facts, dict[str, Any]]:
    """Facts about data, model, settings and plots; plus the arrays the measurement needs."""
    start, x_train, y_train = train_arrays(evidence)
    model = start.get("model") if start else None
    x_test, y_test, source = test_arrays(evidence, model)
    validation = (
        (evidence.array(start.get("validation_x")), evidence.array(start.get("validation_y")))
        if start and start.get("validation_x")
        else (None, None)
    )
    tracer = Tracer(dataset)
    provenance = trace(tracer, (x_train, y_train), validation, (x_test, y_test), source)
    traced_validation = provenance.validation
    validation_is_test = traced_validation is not None and (
        traced_validation.images.test_rows > 0.99 * traced_validation.images.rows
    )
    # Images the grader cannot trace (another dataset, noise) that are the student's own x_test:
    # they did validate on their test set.
    validation_is_test = validation_is_test or _same(validation[0], _variable(evidence, "x_test"))
    end = next((e for e in reversed(evidence.of_kind("fit_end")) if e.get("model") == model), None)
    compile_event = next(
        (e for e in reversed(evidence.of_kind("compile")) if e.get("model") == model), None
    ) or evidence.last("compile")
    architecture, architecture_error, subclassed = architecture_of(evidence, model)
    facts = Facts(
        execution=execution,
        dataset=dataset.name,
        synthetic_data=dataset.synthetic,
        x_train=image_facts("x_train", x_train) if x_train is not None else None,
        x_test=image_facts("x_test", x_test) if x_test is not None else None,
        y_train=label_facts("y_train", y_train, provenance.train),
        y_test=label_facts("y_test", y_test, provenance.test),
        architecture=architecture,
        architecture_error=architecture_error,
        subclassed=subclassed,
        compile=compile_facts(compile_event) if compile_event else None,
        fit=fit_facts(start, end, validation_is_test) if start else None,
        figures=plot_facts(evidence),
        shown=shown(evidence, model),
        compat=compat_facts(evidence),
        provenance=provenance,
    )
    trained = tracer.images(x_train)
    arrays = {
        "x_train": x_train,
        "y_train": y_train,
        "x_test": x_test,
        "y_test": y_test,
        "compile": compile_event or {},
        "preparation": preparation(provenance, x_train, x_test),
        "trained_on": trained.index if trained is not None else None,
    }
    return facts, arrays
