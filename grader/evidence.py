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

from grader.sandbox.recorder import ARRAYS_DIR, EVENTS_FILE, FIGURES_DIR

ARRAY_NAME = re.compile(r"^a\d{1,6}\.npy$")
FIGURE_NAME = re.compile(r"^fig\d{1,6}\.png$")
MAX_EVENTS_BYTES = 64 * 2**20


@dataclass(frozen=True)
class Figure:
    png: Path | None
    axes: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class Evidence:
    directory: Path
    events: tuple[dict[str, Any], ...]
    figures: tuple[Figure, ...] = field(default=())

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e.get("kind") == kind]

    def last(self, kind: str) -> dict[str, Any] | None:
        found = self.of_kind(kind)
        return found[-1] if found else None

    def array(self, ref: Any) -> np.ndarray | None:
        """The array an event refers to, memory-mapped; ``None`` if absent or unreadable."""
        if not isinstance(ref, str) or not ARRAY_NAME.match(ref):
            return None
        path = self.directory / ARRAYS_DIR / ref
        try:
            return np.load(path, allow_pickle=False, mmap_mode="r")
        except (OSError, ValueError):
            return None

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
            except (json.JSONDecodeError, UnicodeDecodeError):
                continue
            if isinstance(event, dict) and isinstance(event.get("kind"), str):
                events.append(event)
    figures = []
    for event in events:
        if event["kind"] != "figure" or not isinstance(event.get("axes"), list):
            continue
        png = event.get("png")
        png_path = directory / FIGURES_DIR / png if isinstance(png, str) and FIGURE_NAME.match(png) else None
        axes = tuple(a for a in event["axes"] if isinstance(a, dict))
        figures.append(Figure(png_path if png_path and png_path.is_file() else None, axes))
    return Evidence(directory, tuple(events), tuple(figures))
