"""The fixtures an assignment's own pytest checks receive: the student's run, as data only.

Registered as a plugin of the in-process pytest run that ``grader.course.custom_checks`` starts; the
data sits in ``config.stash``.  Arrays are read-only NumPy views of the evidence, the
model is a description (layers, configs, output shapes, parameter counts from the
grader's rebuild), never a live object from the student's process.  A fixture whose data
the run did not produce skips the test, which is then reported as not run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np
import pytest

from grader.checks.expected import Expected
from grader.evidence.facts import CompileFacts, Facts, FigureFacts, FitFacts
from grader.evidence.reloading import SavingFacts

ARRAY_NAMES = ("x_train", "y_train", "x_test", "y_test")
MISSING_PREFIX = "grader-missing:"


@dataclass(frozen=True)
class LayerDescription:
    class_name: str
    name: str
    # Plain config values (numbers, strings, lists) as in the model's JSON config.
    config: Mapping[str, Any]
    output_shape: tuple[int | None, ...] | None
    params: int | None


@dataclass(frozen=True)
class ModelDescription:
    input_shape: tuple[int | None, ...] | None
    layers: tuple[LayerDescription, ...]
    total_params: int | None

    @property
    def class_names(self) -> tuple[str, ...]:
        return tuple(layer.class_name for layer in self.layers)


@dataclass(frozen=True)
class StudentRun:
    """Everything the fixtures hand out, gathered by the engine after the isolated run."""

    facts: Facts
    expected: Expected
    arrays: Mapping[str, np.ndarray | None]


student_key = pytest.StashKey[StudentRun]()


def read_only(arrays: Mapping[str, Any]) -> Mapping[str, np.ndarray | None]:
    """Views of the student's arrays that cannot be written to."""
    views: dict[str, np.ndarray | None] = {}
    for name in ARRAY_NAMES:
        array = arrays.get(name)
        if array is None:
            views[name] = None
            continue
        view = np.asarray(array).view()
        view.flags.writeable = False
        views[name] = view
    return MappingProxyType(views)


def describe_model(facts: Facts) -> ModelDescription | None:
    if facts.architecture is None:
        return None
    measured = (
        facts.built.layers
        if facts.built is not None and len(facts.built.layers) == len(facts.architecture.layers)
        else None
    )
    layers = tuple(
        LayerDescription(
            spec.class_name,
            spec.name,
            MappingProxyType(dict(spec.config)),
            measured[i].output_shape if measured else None,
            measured[i].params if measured else None,
        )
        for i, spec in enumerate(facts.architecture.layers)
    )
    return ModelDescription(
        facts.architecture.input_shape, layers, facts.built.total_params if facts.built else None
    )


def _present(value: Any, what: str) -> Any:
    if value is None:
        pytest.skip(f"{MISSING_PREFIX}{what}")
    return value


def _run(request: pytest.FixtureRequest) -> StudentRun:
    return request.config.stash[student_key]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "points(n): the points this check is worth (default 1)")
    config.addinivalue_line(
        "markers", "title(en, ja): the check's title in each language (default: the docstring)"
    )


@pytest.fixture
def facts(request: pytest.FixtureRequest) -> Facts:
    """All facts the built-in checks see."""
    return _run(request).facts


@pytest.fixture
def expected(request: pytest.FixtureRequest) -> Expected:
    """What the reference solution is (shapes, layers, settings)."""
    return _run(request).expected


@pytest.fixture
def arrays(request: pytest.FixtureRequest) -> Mapping[str, np.ndarray | None]:
    """``x_train``, ``y_train``, ``x_test``, ``y_test`` as read-only arrays (None when absent)."""
    return _run(request).arrays


def _array_fixture(name: str) -> Any:
    """The fixture ``name``: the student's array of that name, read-only (a test needing it skips
    without it)."""

    def array(request: pytest.FixtureRequest) -> np.ndarray:
        return _present(_run(request).arrays.get(name), name)

    return pytest.fixture(name=name)(array)


x_train, y_train, x_test, y_test = (_array_fixture(name) for name in ARRAY_NAMES)


@pytest.fixture
def model(request: pytest.FixtureRequest) -> ModelDescription:
    """The student's model as data: layers, configs, output shapes, parameter counts."""
    return _present(describe_model(_run(request).facts), "model")


@pytest.fixture
def compile_settings(request: pytest.FixtureRequest) -> CompileFacts:
    return _present(_run(request).facts.compile, "compile")


@pytest.fixture
def fit_settings(request: pytest.FixtureRequest) -> FitFacts:
    return _present(_run(request).facts.fit, "fit")


@pytest.fixture
def history(request: pytest.FixtureRequest) -> Mapping[str, tuple[float, ...]]:
    """The history of the student's last ``fit`` (key → one value per epoch)."""
    fit = _present(_run(request).facts.fit, "fit")
    return MappingProxyType({key: tuple(values) for key, values in fit.history.items()})


@pytest.fixture
def figures(request: pytest.FixtureRequest) -> tuple[FigureFacts, ...]:
    """The figures the notebook showed: PNG bytes and the data of each axes."""
    return _run(request).facts.figures


@pytest.fixture
def accuracy(request: pytest.FixtureRequest) -> float:
    """The test accuracy the grader measured itself, training the student's architecture."""
    training = _run(request).facts.training
    return _present(training.accuracy if training is not None else None, "accuracy")


@pytest.fixture
def saved_models(request: pytest.FixtureRequest) -> SavingFacts:
    """Round trips of the saved model files (assignments with saving checks)."""
    return _present(_run(request).facts.saving, "saved_models")
