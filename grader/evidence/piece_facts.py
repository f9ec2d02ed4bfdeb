"""Each piece of evidence as its facts: a prepared image array (``image_facts``), a label array
and how far it agrees with the true labels (``label_facts``, from ``provenance``), a ``compile``
call (``compile_facts``), a ``fit`` call (``fit_facts``) and the figures (``plot_facts``).

Computed in the grader's process from the arrays and configs the kernel wrote; ``gathering``
puts them together into ``Facts``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

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
from grader.evidence.provenance import Origin
from grader.evidence.reading import Evidence
from grader.model.compile_forms import (
    describe_schedule,
    learning_rate_schedule,
    loss_settings,
    metric_names,
)
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


def label_facts(name: str, y: np.ndarray | None, origin: Origin | None) -> LabelFacts | None:
    """A label array's facts; how far it agrees with its images comes from its ``origin``."""
    if y is None:
        return None
    y = np.asarray(y)
    one_hot = bool(
        y.ndim == 2
        and y.shape[1] > 1
        and y.dtype.kind in "biuf"
        and np.isin(y, (0, 1)).all()
        and np.allclose(y.sum(axis=1), 1)
    )
    labels = origin.labels if origin is not None else None
    agreement = labels.agreement if labels is not None else None
    return LabelFacts(name, tuple(int(d) for d in y.shape), str(y.dtype), one_hot, agreement)


def compile_facts(event: dict[str, Any]) -> CompileFacts:
    optimizer = event.get("optimizer")
    settings = optimizer_settings(optimizer)
    schedule = learning_rate_schedule(optimizer)
    if schedule is not None:  # a schedule is no one number: named as written
        settings["learning_rate"] = describe_schedule(schedule)
    return CompileFacts(
        loss_name(event.get("loss")),
        optimizer_name(optimizer),
        settings,
        metric_names(event.get("metrics")),
        loss_settings(event.get("loss")),
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
