"""Each piece of evidence as its facts: a prepared image array (``image_facts``), a label array
and how far it agrees with the true labels (``true_labels_for``, ``label_facts``), a ``compile``
call (``compile_facts``), a ``fit`` call (``fit_facts``) and the figures (``plot_facts``).

Computed in the grader's process from the arrays and configs the kernel wrote; ``gathering``
puts them together into ``Facts``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from grader.evidence.alignment import match_images
from grader.evidence.facts import (
    Axes,
    CompileFacts,
    FigureFacts,
    FitFacts,
    ImageFacts,
    LabelFacts,
    Line,
    SavedFile,
)
from grader.evidence.reading import Evidence
from grader.model.keras_names import loss_name, optimizer_name, optimizer_settings


def image_facts(name: str, array: np.ndarray) -> ImageFacts:
    numeric = array.dtype.kind in "biuf" and array.size > 0
    finite = bool(np.isfinite(array).all()) if numeric and array.dtype.kind == "f" else numeric
    low, high = (
        (float(np.nanmin(array)), float(np.nanmax(array)))
        if numeric
        else (float("nan"), float("nan"))
    )
    return ImageFacts(name, tuple(int(d) for d in array.shape), str(array.dtype), low, high, finite)


def true_labels_for(
    x: np.ndarray | None, originals: np.ndarray, labels: np.ndarray
) -> np.ndarray | None:
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
        y.ndim == 2
        and y.shape[1] > 1
        and y.dtype.kind in "biuf"
        and np.isin(y, (0, 1)).all()
        and np.allclose(y.sum(axis=1), 1)
    )
    agreement = None
    if truth is not None and y.shape[:1] == truth.shape[:1] and y.dtype.kind in "biuf":
        classes = (
            np.argmax(y, axis=1) if y.ndim == 2 and y.shape[1] > 1 else y.reshape(len(y), -1)[:, 0]
        )
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
    return CompileFacts(
        loss_name(event.get("loss")),
        optimizer_name(optimizer),
        optimizer_settings(optimizer),
        tuple(names),
    )


def plot_facts(evidence: Evidence) -> tuple[FigureFacts, ...]:
    figures = []
    for figure in evidence.figures:
        axes = []
        for ax in figure.axes:
            lines = tuple(
                Line(
                    str(l.get("label", "")),
                    tuple(float(v) for v in l["y"]) if isinstance(l.get("y"), list) else (),
                    str(l.get("marker", "")),
                    str(l.get("linestyle", "")),
                )
                for l in ax.get("lines", [])
                if isinstance(l, dict)
            )
            legend = ax.get("legend")
            axes.append(
                Axes(
                    str(ax.get("xlabel", "")),
                    str(ax.get("ylabel", "")),
                    str(ax.get("title", "")),
                    tuple(str(t) for t in legend) if isinstance(legend, list) else None,
                    lines,
                    int(ax.get("images", 0) or 0),
                )
            )
        figures.append(FigureFacts(figure.png, tuple(axes), _saved_file(figure.saved)))
    return tuple(figures)


def _saved_file(saved: dict[str, Any] | None) -> SavedFile | None:
    if saved is None:
        return None
    file, form, size = saved.get("file"), saved.get("format"), saved.get("bytes")
    return SavedFile(
        str(file)[:200] if isinstance(file, str) else None,
        str(form).lower()[:20] if isinstance(form, str) else None,
        size if isinstance(size, int) else None,
    )


def fit_facts(
    start: dict[str, Any], end: dict[str, Any] | None, validation_is_test: bool
) -> FitFacts:
    history = end.get("history") if end else None
    history = history if isinstance(history, dict) else {}
    clean = {
        str(k): [float(v) for v in vals if isinstance(v, (int, float))]
        for k, vals in history.items()
        if isinstance(vals, list)
    }
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
