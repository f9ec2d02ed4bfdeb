"""Grader side: a submission file as a list of code cells, or a clear refusal.

Notebooks are read with nbformat (v4; v3 is upgraded); a ``.py`` module is split at
``# %%`` markers (the percent format that editors use), or taken whole.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import nbformat

MAX_SUBMISSION_BYTES = 50 * 2**20


@dataclass(frozen=True)
class Cell:
    # 1-based number among the code cells, as a student counts them.
    number: int
    source: str


@dataclass(frozen=True)
class Submission:
    path: Path
    cells: tuple[Cell, ...]


class InvalidSubmission(Exception):
    """The file is not a notebook or module we can run; ``reason`` is a message key."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason, detail)
        self.reason = reason
        self.detail = detail


def _cells(sources: list[str]) -> tuple[Cell, ...]:
    sources = [s for s in sources if s.strip()]
    return tuple(Cell(i + 1, s) for i, s in enumerate(sources))


def _read_text(path: Path) -> str:
    raw = path.read_bytes()
    if b"\x00" in raw[:4096]:
        raise InvalidSubmission("submission.binary")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidSubmission("submission.encoding", f"byte {exc.start}") from None


def _notebook_cells(path: Path) -> tuple[Cell, ...]:
    text = _read_text(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidSubmission("submission.not_json", f"line {exc.lineno}") from None
    if not isinstance(data, dict) or "cells" not in data and "worksheets" not in data:
        raise InvalidSubmission("submission.not_notebook")
    try:
        notebook = nbformat.reads(text, as_version=4)
    except Exception as exc:  # noqa: BLE001 - nbformat raises many kinds
        raise InvalidSubmission("submission.not_notebook", str(exc)[:200]) from None
    return _cells([c.source for c in notebook.cells if c.cell_type == "code"])


def _module_cells(path: Path) -> tuple[Cell, ...]:
    text = _read_text(path)
    chunks: list[list[str]] = [[]]
    for line in text.splitlines(keepends=True):
        if line.startswith("# %%"):
            chunks.append([])
        chunks[-1].append(line)
    return _cells(["".join(chunk) for chunk in chunks])


def read_submission(path: Path) -> Submission:
    """Read ``path`` (``.ipynb`` or ``.py``) into cells; raises ``InvalidSubmission``."""
    if not path.is_file():
        raise InvalidSubmission("submission.missing")
    if path.stat().st_size > MAX_SUBMISSION_BYTES:
        raise InvalidSubmission("submission.too_large", f"{path.stat().st_size // 2**20} MiB")
    suffix = path.suffix.lower()
    if suffix == ".ipynb":
        cells = _notebook_cells(path)
    elif suffix == ".py":
        cells = _module_cells(path)
    else:
        raise InvalidSubmission("submission.kind", path.suffix)
    if not cells:
        raise InvalidSubmission("submission.empty")
    return Submission(path, cells)


def normalised(source: str) -> str:
    """The source as Python reads identifiers (NFKC: ``model.ﬁt`` is ``model.fit``)."""
    return unicodedata.normalize("NFKC", source)
