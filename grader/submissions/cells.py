"""Grader side: a submission file as a list of code cells, or a clear refusal.

Notebooks are read with nbformat (v4; v3 is upgraded); a ``.py`` module is split at
``# %%`` markers (the percent format that editors use), or taken whole.  The file is
untrusted bytes: its size is checked before it is read, stored outputs are dropped before
the notebook is converted, and anything that is not a readable notebook or module becomes
``InvalidSubmission`` with a reason a student can act on, never an exception of ours.
"""

from __future__ import annotations

import io
import json
import tokenize
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat

MAX_SUBMISSION_BYTES = 50 * 2**20
# Magic numbers of the files students upload by mistake, for a message that names them.
MAGIC = (
    (b"\x89PNG", "a PNG image"),
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a zip archive (a .docx, .xlsx or zipped folder?)"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"\x7fELF", "a program (ELF binary)"),
    (b"\xd0\xcf\x11\xe0", "an old Microsoft Office document"),
)


# The most a saved execution count is believed (a larger one is not a count Jupyter wrote).
MAX_EXECUTION_COUNT = 10**7


@dataclass(frozen=True)
class Cell:
    # 1-based number among the code cells, as a student counts them.
    number: int
    source: str
    # The execution count saved with the cell ([5]): when the student last ran it, in their
    # session; None for a cell never run, or a module.
    execution_count: int | None = None


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


def _cells(sources: list[tuple[str, int | None]]) -> tuple[Cell, ...]:
    kept = [(source, count) for source, count in sources if source.strip()]
    return tuple(Cell(i + 1, source, count) for i, (source, count) in enumerate(kept))


def _execution_count(cell: dict[str, Any]) -> int | None:
    count = cell.get("execution_count")
    if isinstance(count, bool) or not isinstance(count, int):
        return None
    return count if 0 < count <= MAX_EXECUTION_COUNT else None


def _read_bytes(path: Path) -> bytes:
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_SUBMISSION_BYTES + 1)
    except OSError as exc:
        raise InvalidSubmission("submission.missing", type(exc).__name__) from None
    if len(raw) > MAX_SUBMISSION_BYTES:
        raise InvalidSubmission("submission.too_large", f"over {MAX_SUBMISSION_BYTES // 2**20} MiB")
    if not raw.strip():
        raise InvalidSubmission("submission.empty")
    for magic, kind in MAGIC:
        if raw.startswith(magic):
            raise InvalidSubmission("submission.binary", kind)
    if b"\x00" in raw[:4096]:
        raise InvalidSubmission("submission.binary", "binary data")
    return raw


def _not_utf8(raw: bytes, exc: UnicodeDecodeError) -> InvalidSubmission:
    """The refusal for undecodable bytes, naming Shift_JIS when the file reads as that."""
    try:
        raw.decode("cp932")
    except UnicodeDecodeError:
        return InvalidSubmission("submission.encoding", f"byte {exc.start}")
    return InvalidSubmission("submission.encoding", "it looks like Shift_JIS (cp932)")


def _notebook_text(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _not_utf8(raw, exc) from None


def _module_text(raw: bytes) -> str:
    """Decoded as Python does: a BOM or a PEP 263 coding cookie, else UTF-8."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(raw).readline)
    except SyntaxError as exc:
        # An unknown codec in the cookie, or a first line that is not UTF-8.
        encoding = "utf-8" if "encoding declaration" in str(exc) else ""
        if not encoding:
            raise InvalidSubmission("submission.encoding", str(exc)[:200]) from None
    try:
        return raw.decode(encoding).removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise _not_utf8(raw, exc) from None


def _strip_outputs(data: dict[str, Any]) -> None:
    """Drop stored outputs before nbformat sees them: they are never run, only parsed."""
    sheets = data.get("worksheets")
    groups = [data.get("cells")] + (
        [s.get("cells") for s in sheets if isinstance(s, dict)] if isinstance(sheets, list) else []
    )
    for cells in groups:
        for cell in cells if isinstance(cells, list) else ():
            if isinstance(cell, dict):
                cell.pop("outputs", None)
                cell.pop("attachments", None)
                if cell.get("cell_type") == "code":
                    cell["outputs"] = []


def _code_sources(notebook: Any) -> list[tuple[str, int | None]]:
    """The sources of the code cells with their saved execution counts, or a refusal when the
    structure is not a notebook's."""
    cells = notebook.get("cells")
    if not isinstance(cells, list):
        raise InvalidSubmission("submission.not_notebook", "('cells' is not a list)")
    sources = []
    for number, cell in enumerate(cells, start=1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source")
        if isinstance(source, list) and all(isinstance(s, str) for s in source):
            source = "".join(source)
        if not isinstance(source, str):
            raise InvalidSubmission(
                "submission.not_notebook", f"(cell {number} has no source text)"
            )
        sources.append((source, _execution_count(cell)))
    return sources


def _notebook_cells(path: Path) -> tuple[Cell, ...]:
    text = _notebook_text(_read_bytes(path))
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidSubmission(
            "submission.not_json", f"line {exc.lineno}, column {exc.colno}"
        ) from None
    except (RecursionError, ValueError) as exc:
        raise InvalidSubmission("submission.not_json", type(exc).__name__) from None
    if not isinstance(data, dict) or "cells" not in data and "worksheets" not in data:
        raise InvalidSubmission("submission.not_notebook")
    _strip_outputs(data)
    major = data.get("nbformat", 4)
    if major not in (3, 4):
        raise InvalidSubmission(
            "submission.not_notebook", f"(nbformat {str(major)[:20]} is not supported)"
        )
    try:
        notebook = nbformat.convert(nbformat.from_dict(data), 4) if major == 3 else data
    except Exception as exc:  # noqa: BLE001 - nbformat's converters raise many kinds
        raise InvalidSubmission("submission.not_notebook", f"({type(exc).__name__})") from None
    return _cells(_code_sources(notebook))


def _module_cells(path: Path) -> tuple[Cell, ...]:
    text = _module_text(_read_bytes(path))
    chunks: list[list[str]] = [[]]
    for line in text.splitlines(keepends=True):
        if line.startswith("# %%"):
            chunks.append([])
        chunks[-1].append(line)
    return _cells([("".join(chunk), None) for chunk in chunks])


def read_submission(path: Path) -> Submission:
    """Read ``path`` (``.ipynb`` or ``.py``) into cells; raises ``InvalidSubmission``."""
    try:
        if not path.is_file():
            raise InvalidSubmission("submission.missing")
        if path.stat().st_size > MAX_SUBMISSION_BYTES:
            raise InvalidSubmission("submission.too_large", f"{path.stat().st_size // 2**20} MiB")
    except OSError as exc:
        raise InvalidSubmission("submission.missing", type(exc).__name__) from None
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
