"""What crosses the boundary: the files the student's kernel wrote, read as plain data.

Only JSON and ``.npy`` (``allow_pickle=False``) are read; file names are checked against a
fixed pattern so a student cannot point the grader at other files.  Malformed lines are
skipped: the kernel side is untrusted, so its files are evidence, not instructions.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from grader.boundary.artifacts import ARRAYS_DIR, EVENTS_FILE, FIGURES_DIR

ARRAY_NAME = re.compile(r"^a\d{1,6}\.npy$")
FIGURE_NAME = re.compile(r"^fig\d{1,6}\.png$")
MAX_EVENTS_BYTES = 64 * 2**20
# Figures travel as PNG bytes (so nothing outlives the scratch folder); larger or more
# figures than this are dropped, not read.
MAX_FIGURE_BYTES = 4 * 2**20
MAX_FIGURES = 40
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class Figure:
    png: bytes | None
    axes: tuple[dict[str, Any], ...]
    # The student's ``savefig`` call that produced this record (file, format, bytes), if any.
    saved: dict[str, Any] | None = None


@dataclass(frozen=True)
class Evidence:
    directory: Path
    events: tuple[dict[str, Any], ...]
    figures: tuple[Figure, ...] = field(default=())
    # One array object per file, so facts can recognise the same array used twice.
    _arrays: dict[str, np.ndarray | None] = field(default_factory=dict, compare=False, repr=False)

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e.get("kind") == kind]

    def last(self, kind: str) -> dict[str, Any] | None:
        found = self.of_kind(kind)
        return found[-1] if found else None

    def array(self, ref: Any) -> np.ndarray | None:
        """The array an event refers to, memory-mapped; ``None`` if absent or unreadable."""
        if not isinstance(ref, str) or not ARRAY_NAME.match(ref):
            return None
        if ref not in self._arrays:
            try:
                self._arrays[ref] = np.load(
                    self.directory / ARRAYS_DIR / ref, allow_pickle=False, mmap_mode="r"
                )
            except (OSError, ValueError):
                self._arrays[ref] = None
        return self._arrays[ref]

    @property
    def variables(self) -> dict[str, Any]:
        final = self.last("final")
        variables = final.get("variables") if final else None
        return variables if isinstance(variables, dict) else {}


def read_evidence(directory: Path) -> Evidence:
    events: list[dict[str, Any]] = []
    path = directory / EVENTS_FILE
    if path.is_file():
        with open(path, "rb") as f:
            raw = f.read(MAX_EVENTS_BYTES)
        for line in raw.splitlines():
            try:
                event = json.loads(line)
            except (ValueError, RecursionError):  # bad JSON or UTF-8, or nested too deep
                continue
            if isinstance(event, dict) and isinstance(event.get("kind"), str):
                events.append(event)
    figures: list[Figure] = []
    for event in events:
        if event["kind"] != "figure" or not isinstance(event.get("axes"), list):
            continue
        axes = tuple(a for a in event["axes"] if isinstance(a, dict))
        png = _png(directory, event.get("png")) if len(figures) < MAX_FIGURES else None
        saved = event.get("saved")
        figures.append(Figure(png, axes, saved if isinstance(saved, dict) else None))
    return Evidence(directory, tuple(events), tuple(figures))


def _png(directory: Path, name: Any) -> bytes | None:
    """The bytes of a figure the kernel saved, if it is a small, real PNG."""
    if not isinstance(name, str) or not FIGURE_NAME.match(name):
        return None
    path = directory / FIGURES_DIR / name
    try:
        if not path.is_file() or path.is_symlink() or path.stat().st_size > MAX_FIGURE_BYTES:
            return None
        data = path.read_bytes()
    except OSError:
        return None
    return data if data.startswith(PNG_SIGNATURE) else None
