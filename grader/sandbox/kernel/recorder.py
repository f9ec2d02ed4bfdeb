"""Kernel side: writes what the student's code did as plain files (JSON and ``.npy``).

Everything here runs inside the student's process and can be tampered with; that is fine,
because these files are only evidence.  The grader re-derives every verdict from them
(it rebuilds the model from its config and trains it itself) and trusts no number the
student's process reports about itself.  Each record also goes through the kernel's seal
(``sealing.py``, an audit hook): the seal writes each event line itself and seals it with every
array and file, so that the grader can tell the evidence was changed after it was written.
"""

from __future__ import annotations

import io
import json
import math
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np

from grader.boundary.artifacts import (
    ARRAYS_DIR,
    EVENTS_FILE,
    FIGURES_DIR,
    MAX_IMAGE_ELEMENTS,
    MODELS_DIR,
)

# Saved model files larger than this are not copied (the grader reports them as too big).
MAX_MODEL_FILE_BYTES = 64 * 2**20
MAX_CURVE_POINTS = 2_000
# Images shown with imshow are kept as arrays (filters, feature maps), at most this many per figure.
MAX_IMAGES_PER_FIGURE = 512
# A figure larger than this (in pixels at the saved dpi) is described but not rendered.
MAX_FIGURE_PIXELS = 4096 * 4096
FIGURE_DPI = 72


def _plain(value: Any) -> Any:
    """JSON-safe copy of ``value``: numbers, strings, lists and dicts only."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (bool, type(None), str)):
        return value
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        number = float(value)
        return number if math.isfinite(number) else str(number)
    if isinstance(value, np.ndarray) and value.size <= 64:
        return _plain(value.tolist())
    return repr(value)[:200]


def _floats(values: Any) -> list[float] | str:
    try:
        return np.asarray(values, dtype=float)[:MAX_CURVE_POINTS].tolist()
    except (TypeError, ValueError):
        return "not numeric"


class Recorder:
    """Appends events to ``events.jsonl`` and stores arrays once each; ``sealed``: the kernel's
    seal is installed and writes the events itself."""

    def __init__(self, directory: Path, sealed: bool = False) -> None:
        self.directory = directory
        self.sealed = sealed
        (directory / ARRAYS_DIR).mkdir(parents=True, exist_ok=True)
        (directory / FIGURES_DIR).mkdir(parents=True, exist_ok=True)
        self._arrays: dict[int, tuple[Any, str]] = {}
        self._figures = 0
        self._model_files = 0

    def event(self, kind: str, **fields: Any) -> None:
        data = {"kind": kind, **_plain(fields)}
        if self.sealed:
            sys.audit("grader.event", kind, data)
            return
        line = json.dumps(data, allow_nan=False)
        with open(self.directory / EVENTS_FILE, "a", encoding="utf-8") as f:
            f.write(line + "\n")
            f.flush()
            os.fsync(f.fileno())

    def array(self, value: Any) -> str | dict[str, str]:
        """Store ``value`` as ``.npy`` once; returns its file name, or why it could not be."""
        key = id(value)
        if key in self._arrays and self._arrays[key][0] is value:
            return self._arrays[key][1]
        try:
            data = np.asarray(value)
        except Exception as exc:  # noqa: BLE001 - student objects may raise anything
            return {"unstorable": f"{type(value).__name__}: {exc}"[:200]}
        if data.dtype == object or data.dtype.kind not in "biuf":
            return {"unstorable": f"{type(value).__name__} of dtype {data.dtype}"}
        name = f"a{len(self._arrays)}.npy"
        np.save(self.directory / ARRAYS_DIR / name, data, allow_pickle=False)
        sys.audit("grader.array", name, data)
        self._arrays[key] = (value, name)
        return name

    def _image(self, image: Any) -> str | dict[str, str] | None:
        """The array an ``AxesImage`` shows, stored if small (a filter, a feature map)."""
        try:
            data = np.asarray(image.get_array())
        except Exception:  # noqa: BLE001
            return None
        return self.array(data) if 0 < data.size <= MAX_IMAGE_ELEMENTS else None

    def figure(self, fig: Any, saved: dict[str, Any] | None = None) -> None:
        """Store a matplotlib figure as PNG plus the data of its axes (and the arrays it shows).

        ``saved`` describes the student's own ``savefig`` call when that is what showed it.
        Rendered with ``print_figure``, not ``savefig``, which the kernel watches.
        """
        name = f"fig{self._figures}"
        self._figures += 1
        png = None
        try:
            width, height = fig.get_size_inches() * FIGURE_DPI
            if 0 < width * height <= MAX_FIGURE_PIXELS:
                buffer = io.BytesIO()
                fig.canvas.print_figure(buffer, dpi=FIGURE_DPI, format="png")
                self._write(self.directory / FIGURES_DIR / f"{name}.png", buffer.getvalue())
                png = f"{name}.png"
        except Exception:  # noqa: BLE001
            png = None
        axes = []
        images_left = MAX_IMAGES_PER_FIGURE
        for ax in fig.get_axes():
            shown = ax.get_images()[:images_left]
            images_left -= len(shown)
            legend = ax.get_legend()
            axes.append(
                {
                    "title": ax.get_title(),
                    "xlabel": ax.get_xlabel(),
                    "ylabel": ax.get_ylabel(),
                    "legend": [t.get_text() for t in legend.get_texts()] if legend else None,
                    "images": len(ax.get_images()),
                    "image_arrays": [self._image(image) for image in shown],
                    "lines": [
                        {
                            "label": line.get_label(),
                            "x": _floats(line.get_xdata()),
                            "y": _floats(line.get_ydata()),
                            "marker": str(line.get_marker()),
                            "linestyle": str(line.get_linestyle()),
                        }
                        for line in ax.get_lines()
                    ],
                }
            )
        self.event("figure", name=name, png=png, axes=axes, saved=saved)

    def _model_file_name(self, suffix: str) -> Path:
        (self.directory / MODELS_DIR).mkdir(exist_ok=True)
        name = f"f{self._model_files}{suffix}"
        self._model_files += 1
        return self.directory / MODELS_DIR / name

    def model_file(self, path: str) -> str | dict[str, str]:
        """Copy a saved or loaded model file (``.keras``, ``.h5``) for the grader to read as
        data."""
        suffix = (
            ".h5"
            if path.lower().endswith((".h5", ".hdf5"))
            else ".keras"
            if path.lower().endswith(".keras")
            else ".bin"
        )
        try:
            size = os.path.getsize(path)
            if size > MAX_MODEL_FILE_BYTES:
                return {"unstorable": f"{size} bytes, more than {MAX_MODEL_FILE_BYTES}"}
            with open(path, "rb") as source:
                data = source.read(MAX_MODEL_FILE_BYTES)
            target = self._model_file_name(suffix)
            self._write(target, data)
        except OSError as exc:
            return {"unstorable": f"{type(exc).__name__}: {exc}"[:200]}
        return target.name

    def model_text(self, text: str) -> str | dict[str, str]:
        """Store a model's JSON text (what ``model_from_json`` was given)."""
        data = text.encode("utf-8", "replace")
        if len(data) > MAX_MODEL_FILE_BYTES:
            return {"unstorable": f"{len(data)} bytes, more than {MAX_MODEL_FILE_BYTES}"}
        target = self._model_file_name(".json")
        self._write(target, data)
        return target.name

    def _write(self, target: Path, data: bytes) -> None:
        """Write a figure or model file and have it sealed."""
        target.write_bytes(data)
        sys.audit("grader.file", target.name, data)
