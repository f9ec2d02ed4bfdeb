"""From evidence to facts: what the checks look at, computed in the grader's process.

Every number here is computed from the arrays and configs the kernel wrote (shapes,
ranges, label agreement with the true dataset, parameter counts of the rebuilt model, the
grader's own accuracy).  Checks receive these frozen facts and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from grader.alignment import match_images
from grader.architecture import Architecture, ArchitectureError, SubclassedModel, parse_architecture
from grader.compat import Compat, compat_facts
from grader.datasets import Dataset
from grader.evidence import Evidence
from grader.reloading import SavingFacts
from grader.figures import Shown, shown
from grader.execution import Execution
from grader.training import Built, Training, loss_name, optimizer_name, optimizer_settings


@dataclass(frozen=True)
class ArrayFacts:
    """What every prepared array is: its variable's name, shape and dtype."""

    name: str
    shape: tuple[int, ...]
    dtype: str


@dataclass(frozen=True)
class ImageFacts(ArrayFacts):
    minimum: float
    maximum: float
    finite: bool


@dataclass(frozen=True)
class LabelFacts(ArrayFacts):
    # Values are all 0 or 1 and every row sums to 1.
    one_hot: bool
    # Share of rows whose class (argmax) is the true label of the same image; None if unknown.
    agreement: float | None


@dataclass(frozen=True)
class CompileFacts:
    loss: str | None
    optimizer: str | None
    optimizer_settings: dict[str, Any]
    metrics: tuple[str, ...]


@dataclass(frozen=True)
class FitFacts:
    batch_size: int | None
    epochs: int | None
    # "test" (validation_data is the test set), "split", "other" or "none"
    validation: str
    validation_split: float
    history_keys: tuple[str, ...] | None
    history: dict[str, list[float]]


@dataclass(frozen=True)
class Line:
    label: str
    y: tuple[float, ...]
    marker: str
    linestyle: str


@dataclass(frozen=True)
class Axes:
    xlabel: str
    ylabel: str
    title: str
    legend: tuple[str, ...] | None
    lines: tuple[Line, ...]
    images: int


@dataclass(frozen=True)
class SavedFile:
    # The file's base name (None when saved to a buffer), its format, its size once written.
    file: str | None
    format: str | None
    size: int | None


@dataclass(frozen=True)
class FigureFacts:
    png: bytes | None
    axes: tuple[Axes, ...]
    # Set when the student's own ``savefig`` call wrote this figure.
    saved: SavedFile | None = None


@dataclass(frozen=True)
class Facts:
    execution: Execution
    dataset: str
    synthetic_data: bool
    x_train: ImageFacts | None = None
    x_test: ImageFacts | None = None
    y_train: LabelFacts | None = None
    y_test: LabelFacts | None = None
    architecture: Architecture | None = None
    architecture_error: str | None = None
    # The class of a subclassed model (``class Net(keras.Model)``): no check can judge its layers.
    subclassed: str | None = None
    built: Built | None = None
    build_error: str | None = None
    compile: CompileFacts | None = None
    fit: FitFacts | None = None
    figures: tuple[FigureFacts, ...] = ()
    training: Training | None = None
    shown: Shown = field(default_factory=Shown)
    notes: tuple[str, ...] = field(default=())
    # Round trips of saved models (only for assignments with saving checks).
    saving: SavingFacts | None = None
    # Keras 2 paths, Colab calls and pip installs the kernel answered for the notebook.
    compat: Compat = field(default_factory=Compat)


def image_facts(name: str, array: np.ndarray) -> ImageFacts:
    numeric = array.dtype.kind in "biuf" and array.size > 0
    finite = bool(np.isfinite(array).all()) if numeric and array.dtype.kind == "f" else numeric
    low, high = (float(np.nanmin(array)), float(np.nanmax(array))) if numeric else (float("nan"), float("nan"))
    return ImageFacts(name, tuple(int(d) for d in array.shape), str(array.dtype), low, high, finite)


def true_labels_for(x: np.ndarray | None, originals: np.ndarray, labels: np.ndarray) -> np.ndarray | None:
    """The true label of each prepared image (-1 where the image is not in the dataset)."""
    if x is None:
        return None
    index = match_images(x, originals)
    if index is None:
        return None
    flat = labels.reshape(-1)
    return np.where(index >= 0, flat[np.clip(index, 0, None)], -1)


def label_facts(name: str, y: np.ndarray, truth: np.ndarray | None) -> LabelFacts:
    y = np.asarray(y)
    one_hot = bool(
        y.ndim == 2 and y.shape[1] > 1 and y.dtype.kind in "biuf"
        and np.isin(y, (0, 1)).all() and np.allclose(y.sum(axis=1), 1)
    )
    agreement = None
    if truth is not None and y.shape[:1] == truth.shape[:1] and y.dtype.kind in "biuf":
        classes = np.argmax(y, axis=1) if y.ndim == 2 and y.shape[1] > 1 else y.reshape(len(y), -1)[:, 0]
        known = truth >= 0
        if known.any():
            agreement = float(np.mean(classes[known] == truth[known]))
    return LabelFacts(name, tuple(int(d) for d in y.shape), str(y.dtype), one_hot, agreement)


def compile_facts(event: dict[str, Any]) -> CompileFacts:
    metrics = event.get("metrics") or []
    names = []
    for metric in metrics if isinstance(metrics, list) else [metrics]:
        if isinstance(metric, str):
            names.append(metric)
        elif isinstance(metric, dict):
            names.append(str(metric.get("name") or metric.get("class_name")))
    optimizer = event.get("optimizer")
    return CompileFacts(loss_name(event.get("loss")), optimizer_name(optimizer), optimizer_settings(optimizer), tuple(names))


def architecture_of(evidence: Evidence, model: str | None) -> tuple[Architecture | None, str | None, str | None]:
    """The student's model: the one their last ``fit`` trained, else the variable ``model``."""
    configs: list[Any] = [e.get("config") for e in evidence.of_kind("fit_end") if e.get("model") == model and e.get("config")]
    variable = evidence.variables.get("model", {})
    configs += [variable["config"]] if isinstance(variable, dict) and variable.get("config") else []
    if not configs:
        return None, "no model was found: train a keras model with model.fit(...) (or name it `model`)", None
    try:
        return parse_architecture(configs[0]), None, None
    except ArchitectureError as exc:
        return None, str(exc), exc.class_name if isinstance(exc, SubclassedModel) else None


def plot_facts(evidence: Evidence) -> tuple[FigureFacts, ...]:
    figures = []
    for figure in evidence.figures:
        axes = []
        for ax in figure.axes:
            lines = tuple(
                Line(str(l.get("label", "")), tuple(float(v) for v in l["y"]) if isinstance(l.get("y"), list) else (),
                     str(l.get("marker", "")), str(l.get("linestyle", "")))
                for l in ax.get("lines", []) if isinstance(l, dict)
            )
            legend = ax.get("legend")
            axes.append(Axes(str(ax.get("xlabel", "")), str(ax.get("ylabel", "")), str(ax.get("title", "")),
                             tuple(str(t) for t in legend) if isinstance(legend, list) else None, lines, int(ax.get("images", 0) or 0)))
        figures.append(FigureFacts(figure.png, tuple(axes), _saved_file(figure.saved)))
    return tuple(figures)


def _saved_file(saved: dict[str, Any] | None) -> SavedFile | None:
    if saved is None:
        return None
    file, form, size = saved.get("file"), saved.get("format"), saved.get("bytes")
    return SavedFile(str(file)[:200] if isinstance(file, str) else None, str(form).lower()[:20] if isinstance(form, str) else None,
                     size if isinstance(size, int) else None)


def fit_facts(start: dict[str, Any], end: dict[str, Any] | None, validation_is_test: bool) -> FitFacts:
    history = end.get("history") if end else None
    history = history if isinstance(history, dict) else {}
    clean = {str(k): [float(v) for v in vals if isinstance(v, (int, float))] for k, vals in history.items() if isinstance(vals, list)}
    split = start.get("validation_split") or 0.0
    if start.get("validation_x"):
        validation = "test" if validation_is_test else "other"
    elif isinstance(split, (int, float)) and split > 0:
        validation = "split"
    else:
        validation = "none"
    batch = start.get("batch_size")
    epochs = start.get("epochs")
    return FitFacts(
        batch if isinstance(batch, int) else None,
        epochs if isinstance(epochs, int) else None,
        validation,
        float(split) if isinstance(split, (int, float)) else 0.0,
        tuple(clean) if end else None,
        clean,
    )


def test_arrays(evidence: Evidence, model: str | None) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The student's prepared test set: what they evaluated on, else validated on, else ``x_test``."""
    for event in reversed(evidence.of_kind("evaluate")):
        if event.get("model") == model:
            x, y = evidence.array(event.get("x")), evidence.array(event.get("y"))
            if x is not None:
                return x, y
    for event in reversed(evidence.of_kind("fit_start")):
        if event.get("model") == model and event.get("validation_x"):
            return evidence.array(event.get("validation_x")), evidence.array(event.get("validation_y"))
    variables = evidence.variables
    return (
        evidence.array(variables.get("x_test", {}).get("array")) if isinstance(variables.get("x_test"), dict) else None,
        evidence.array(variables.get("y_test", {}).get("array")) if isinstance(variables.get("y_test"), dict) else None,
    )


def train_arrays(evidence: Evidence) -> tuple[dict[str, Any] | None, np.ndarray | None, np.ndarray | None]:
    if (start := evidence.last("fit_start")) is not None:
        return start, evidence.array(start.get("x")), evidence.array(start.get("y"))
    variables = evidence.variables
    pick = lambda n: evidence.array(variables[n].get("array")) if isinstance(variables.get(n), dict) else None  # noqa: E731
    return None, pick("x_train"), pick("y_train")


def gather(evidence: Evidence, execution: Execution, dataset: Dataset) -> tuple[Facts, dict[str, Any]]:
    """Facts about data, model, settings and plots; plus the arrays the measurement needs."""
    start, x_train, y_train = train_arrays(evidence)
    model = start.get("model") if start else None
    x_test, y_test = test_arrays(evidence, model)
    train_truth = true_labels_for(x_train, dataset.x_train, dataset.y_train)
    test_truth = true_labels_for(x_test, dataset.x_test, dataset.y_test)
    test_matches = {id(x_test): test_truth}
    end = next((e for e in reversed(evidence.of_kind("fit_end")) if e.get("model") == model), None)
    validation_is_test = False
    if start and start.get("validation_x"):
        vx = evidence.array(start["validation_x"])
        # Usually the very array evaluated on: matched once.
        validation_truth = test_matches[id(vx)] if id(vx) in test_matches else true_labels_for(vx, dataset.x_test, dataset.y_test)
        validation_is_test = validation_truth is not None and bool(np.mean(validation_truth >= 0) > 0.99)
    compile_event = next((e for e in reversed(evidence.of_kind("compile")) if e.get("model") == model), None) or evidence.last("compile")
    architecture, architecture_error, subclassed = architecture_of(evidence, model)
    facts = Facts(
        execution=execution,
        dataset=dataset.name,
        synthetic_data=dataset.synthetic,
        x_train=image_facts("x_train", x_train) if x_train is not None else None,
        x_test=image_facts("x_test", x_test) if x_test is not None else None,
        y_train=label_facts("y_train", y_train, train_truth) if y_train is not None else None,
        y_test=label_facts("y_test", y_test, test_truth) if y_test is not None else None,
        architecture=architecture,
        architecture_error=architecture_error,
        subclassed=subclassed,
        compile=compile_facts(compile_event) if compile_event else None,
        fit=fit_facts(start, end, validation_is_test) if start else None,
        figures=plot_facts(evidence),
        shown=shown(evidence, model),
        compat=compat_facts(evidence),
    )
    arrays = {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test, "test_truth": test_truth,
              "compile": compile_event or {}}
    return facts, arrays
