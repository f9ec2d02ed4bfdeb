"""What crosses the boundary: the files the student's kernel wrote, read as plain data.

Only JSON, ``.npy`` (numbers, no pickle) and PNG bytes are read, each through
``hostile_files`` (no link followed, regular files only, bounded, copied into memory); file
names are checked against a fixed pattern so a student cannot point the grader at other files.
Malformed lines are skipped: the kernel side is untrusted, so its files are evidence, not
instructions.  A file refused is kept with its reason (``Evidence.refused``) for the record.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from grader.boundary.artifacts import ARRAYS_DIR, EVENTS_FILE, FIGURES_DIR, MODELS_DIR
from grader.evidence import hostile_files
from grader.evidence.hostile_files import Refused, TooLarge

ARRAY_NAME = re.compile(r"^a\d{1,6}\.npy$")
FIGURE_NAME = re.compile(r"^fig\d{1,6}\.png$")
MAX_EVENTS_BYTES = 64 * 2**20
# Figures travel as PNG bytes (so nothing outlives the scratch folder); larger or more
# figures than this are dropped, not read.
MAX_FIGURE_BYTES = 4 * 2**20
MAX_FIGURES = 40
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# What the grader reads of one kernel's arrays and saved models, each and in all: what a kernel
# may write by default (``Limits.disk_mb``); ``read_evidence`` is given the assignment's.
DEFAULT_LIMIT_BYTES = 2000 * 2**20


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
    # The most bytes read of arrays and saved models, each and in all.
    limit_bytes: int = DEFAULT_LIMIT_BYTES
    # Each file refused (its name in the folder, why), in the order met: the record's notes.
    refused: list[tuple[str, str]] = field(default_factory=list, compare=False)
    # One array object per file, so facts can recognise the same array used twice.
    _arrays: dict[str, np.ndarray | None] = field(default_factory=dict, compare=False, repr=False)
    _bytes_read: list[int] = field(default_factory=lambda: [0], compare=False, repr=False)

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e.get("kind") == kind]

    def last(self, kind: str) -> dict[str, Any] | None:
        found = self.of_kind(kind)
        return found[-1] if found else None

    def main_fit(self) -> dict[str, Any] | None:
        """The ``fit_start`` of the training the notebook is about: the last fit that finished of
        the model it evaluated last, else the last fit that finished, else the last fit.  A copy
        trained a little more after it was loaded, or a fit that raised, is not that training."""
        starts = [i for i, e in enumerate(self.events) if e.get("kind") == "fit_start"]
        finished = [i for i in starts if self._finished(i)]
        for evaluated in reversed(self.of_kind("evaluate")):
            model = evaluated.get("model")
            theirs = [i for i in finished if self.events[i].get("model") == model]
            if theirs:
                return self.events[theirs[-1]]
        chosen = finished or starts
        return self.events[chosen[-1]] if chosen else None

    def _finished(self, start: int) -> bool:
        """Whether the fit that began at ``events[start]`` ended (fits run one after another)."""
        model = self.events[start].get("model")
        for event in self.events[start + 1 :]:
            if event.get("kind") == "fit_end":
                return bool(event.get("model") == model)
            if event.get("kind") == "fit_start":
                return False
        return False

    def array(self, ref: Any) -> np.ndarray | None:
        """The array an event refers to, read-only, in this process's memory; ``None`` if absent
        or refused."""
        if not isinstance(ref, str) or not ARRAY_NAME.match(ref):
            return None
        if ref not in self._arrays:
            name = f"{ARRAYS_DIR}/{ref}"
            data = self.read(name)
            try:
                self._arrays[ref] = None if data is None else hostile_files.array(data, name)
            except Refused as exc:
                self.refuse(name, str(exc))
                self._arrays[ref] = None
        return self._arrays[ref]

    def leading_rows(self, ref: Any, rows: int) -> np.ndarray | None:
        """The first ``rows`` rows of the array an event refers to, read-only, read without the
        rest of the file (kept apart from ``array``'s: only the whole file is that array);
        ``None`` if absent or refused."""
        if not isinstance(ref, str) or not ARRAY_NAME.match(ref):
            return None
        name = f"{ARRAYS_DIR}/{ref}"
        try:
            head = self.read(name, hostile_files.NPY_HEADER_BYTES, prefix=True)
            size = None if head is None else hostile_files.leading_bytes(head, name, rows)
            data = None if size is None else self.read(name, size, prefix=True)
            return None if data is None else hostile_files.array(data, name, rows)
        except Refused as exc:
            self.refuse(name, str(exc))
            return None

    def model_file(self, name: str, limit: int) -> bytes:
        """A saved model the kernel copied into its ``models`` folder (at most ``limit`` bytes);
        raises ``Refused`` with the reason when it is absent or refused."""
        path = f"{MODELS_DIR}/{name}"
        data = self.read(path, limit)
        if data is None:
            raise Refused(dict(self.refused).get(path, "the file was not kept"))
        return bytes(data)

    def read(
        self, name: str, limit: int | None = None, *, prefix: bool = False
    ) -> bytearray | None:
        """The bytes of ``name`` in the folder (at most ``limit``; with ``prefix``, its first
        ``limit``), within what is left of ``limit_bytes``; ``None`` when it is absent or refused
        (``refused`` says why)."""
        left = self.limit_bytes - self._bytes_read[0]
        try:
            data = hostile_files.read(self.directory, name, min(left, limit or left), prefix=prefix)
        except TooLarge as exc:
            total = hostile_files.mib(self.limit_bytes)
            alone = limit is not None and limit <= left or left == self.limit_bytes
            self.refuse(
                name, str(exc) if alone else f"{name} and the files before it exceed {total}"
            )
            return None
        except Refused as exc:
            self.refuse(name, str(exc))
            return None
        self._bytes_read[0] += len(data) if data is not None else 0
        return data

    def refuse(self, name: str, reason: str) -> None:
        if (name, reason) not in self.refused:
            self.refused.append((name, reason))

    @property
    def variables(self) -> dict[str, Any]:
        final = self.last("final")
        variables = final.get("variables") if final else None
        return variables if isinstance(variables, dict) else {}


def read_evidence(directory: Path, limit_bytes: int = DEFAULT_LIMIT_BYTES) -> Evidence:
    """Everything the kernel left in ``directory``: its events (the first ``MAX_EVENTS_BYTES``)
    and figures now, its arrays and saved models when asked for (at most ``limit_bytes``)."""
    events: list[dict[str, Any]] = []
    refused: list[tuple[str, str]] = []
    try:
        raw = hostile_files.read(directory, EVENTS_FILE, MAX_EVENTS_BYTES, prefix=True)
    except Refused as exc:
        raw = None
        refused.append((EVENTS_FILE, str(exc)))
    if raw is not None:
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
        png = _png(directory, event.get("png"), refused) if len(figures) < MAX_FIGURES else None
        saved = event.get("saved")
        figures.append(Figure(png, axes, saved if isinstance(saved, dict) else None))
    return Evidence(directory, tuple(events), tuple(figures), limit_bytes, refused)


def _png(directory: Path, name: Any, refused: list[tuple[str, str]]) -> bytes | None:
    """The bytes of a figure the kernel saved, if it is a small, real PNG."""
    if not isinstance(name, str) or not FIGURE_NAME.match(name):
        return None
    try:
        data = hostile_files.read(directory, f"{FIGURES_DIR}/{name}", MAX_FIGURE_BYTES)
    except Refused as exc:
        refused.append((f"{FIGURES_DIR}/{name}", str(exc)))
        return None
    return bytes(data) if data is not None and data.startswith(PNG_SIGNATURE) else None
