"""The reference learning curves a student's curves are shown beside.

``reference/curves.py`` trains the reference under the assignment's ``[budget]`` (the
caps the sandbox puts on the student's own ``fit``) and writes
``assignments/<name>/reference_curves.json``.  Here that file is read as plain data,
checked to still match the assignment (same budget, the expected history keys and
epochs; a stale file is not shown), and drawn with matplotlib's Agg backend in the
grader's process, once per machine (the pictures are kept in the grader's cache).
"""

from __future__ import annotations

import hashlib
import io
import json
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

from grader.atomic_write import write_atomic
from grader.checks.expected import Expected
from grader.datasets import cache_dir

FILE_NAME = "reference_curves.json"
# Where the drawn curves are kept, in the grader's cache folder.
FOLDER = "curves"
# Each drawn figure: a quantity, its training curve and its validation curve.
QUANTITIES = ("loss", "accuracy")
FIGURE_SIZE = (6.4, 4.0)
DPI = 80


@dataclass(frozen=True)
class ReferenceCurves:
    budget: dict[str, int]
    batch_size: int
    epochs: int
    history: dict[str, tuple[float, ...]]


def parse_curves(data: Any) -> ReferenceCurves | None:
    """The JSON document as ``ReferenceCurves``; ``None`` if it is not the expected shape."""
    if not isinstance(data, dict):
        return None
    budget, history = data.get("budget"), data.get("history")
    batch_size, epochs = data.get("batch_size"), data.get("epochs")
    if not (
        isinstance(budget, dict)
        and isinstance(history, dict)
        and isinstance(batch_size, int)
        and isinstance(epochs, int)
    ):
        return None
    clean: dict[str, tuple[float, ...]] = {}
    for key, values in history.items():
        if not isinstance(values, list) or len(values) != epochs:
            return None
        if not all(isinstance(v, (int, float)) and math.isfinite(v) for v in values):
            return None
        clean[str(key)] = tuple(float(v) for v in values)
    return ReferenceCurves(
        {str(k): int(v) for k, v in budget.items() if isinstance(v, int)}, batch_size, epochs, clean
    )


def is_current(curves: ReferenceCurves, budget: dict[str, int], expected: Expected | None) -> bool:
    """Made under this budget and, when the expectation is known, with its history keys and
    epochs."""
    if curves.budget != budget:
        return False
    if expected is None:
        return True
    return set(expected.history_keys) <= set(curves.history) and curves.epochs == min(
        expected.epochs, budget.get("max_epochs", expected.epochs)
    )


def reference_curves(
    folder: Path, budget: dict[str, int], expected: Expected | None
) -> ReferenceCurves | None:
    """The current reference curves in an assignment's ``folder``, or ``None`` (missing or
    stale)."""
    try:
        curves = parse_curves(json.loads((folder / FILE_NAME).read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return None
    return curves if curves is not None and is_current(curves, budget, expected) else None


def _draw(history: tuple[tuple[str, tuple[float, ...]], ...], quantity: str, xlabel: str) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    figure = Figure(figsize=FIGURE_SIZE, dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.subplots()
    for key, values in history:
        axes.plot(range(1, len(values) + 1), values, marker=".", label=key)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_xlabel(xlabel)
    axes.set_ylabel(quantity)
    axes.set_title(quantity)
    axes.grid(True)
    axes.legend()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


@lru_cache(maxsize=16)
def _cached_draw(
    history: tuple[tuple[str, tuple[float, ...]], ...], quantity: str, xlabel: str
) -> bytes:
    """Drawn once per machine: kept in the grader's cache folder under a digest of what it shows,
    of this drawing code and of matplotlib's version (importing matplotlib and drawing take half a
    second, which a student re-running the grader would pay on every run)."""
    try:
        version = metadata.version("matplotlib")
    except metadata.PackageNotFoundError:
        version = "missing"
    digest = hashlib.sha256(
        repr((history, quantity, xlabel, version)).encode() + Path(__file__).read_bytes()
    ).hexdigest()
    path = cache_dir() / FOLDER / f"{digest}.png"
    try:
        return path.read_bytes()
    except OSError:
        pass
    drawn = _draw(history, quantity, xlabel)
    try:
        write_atomic(path, drawn)
    except OSError:
        pass  # a read-only cache: drawn again next time
    return drawn


def curve_pngs(curves: ReferenceCurves, xlabel: str) -> list[tuple[str, bytes]]:
    """One PNG per quantity in the history: its training and validation curves."""
    figures = []
    for quantity in QUANTITIES:
        lines = tuple(
            (key, curves.history[key])
            for key in (quantity, f"val_{quantity}")
            if key in curves.history
        )
        if lines:
            figures.append((quantity, _cached_draw(lines, quantity, xlabel)))
    return figures
