"""Whether the saved notebook is what the student last ran: a self-check grades the file, which
the kernel may have moved past.

The kernel's input history (IPython's ``In``: the code of execution ``n`` at ``In[n]``) is
compared with the saved cells, their code and execution counts.  The last execution whose code a
saved cell holds under the same count is when the file was last saved in this session (none: not
since the kernel started).  The file is behind when code the kernel ran after that is in no saved
cell (saved before the latest cell ran, or not since the kernel started), or when a cell saved
with a count of this session holds other code than the kernel ran under it.  Code run again
unchanged, or run and then corrected and saved, is no change to save; nor are the self-check's
own cells (``%grade``, ``grader.check``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import nbformat

# A line of a self-check's own cell (``%load_ext grader`` included).
SELF_CHECK_LINES = ("%grade", "%load_ext grader", "%reload_ext grader", "import grader")


@dataclass(frozen=True)
class Saved:
    """A saved notebook's code: each code cell's, and each run cell's by its execution count."""

    code: frozenset[str]
    by_count: dict[int, str]

    @classmethod
    def of(cls, cells: Sequence[tuple[int | None, str]]) -> Saved:
        """From ``(execution count or None, code)`` of each code cell."""
        return cls(
            frozenset(_normal(code) for _, code in cells),
            {count: code for count, code in cells if count is not None},
        )


def is_self_check(code: str) -> bool:
    """Whether ``code`` does nothing but check the notebook (or load the checker)."""
    lines = [line.strip() for line in code.splitlines()]
    lines = [line for line in lines if line and not line.startswith("#")]
    return bool(lines) and all(
        line.startswith(SELF_CHECK_LINES) or "grader.check(" in line for line in lines
    )


def _normal(code: str) -> str:
    return code.replace("\r\n", "\n").rstrip()


def behind(saved: Saved, history: Sequence[str], current: int) -> bool:
    """Whether ``saved`` misses what the kernel ran before execution ``current`` (``history``:
    IPython's ``In``)."""
    ran = [
        count
        for count in range(1, min(current, len(history)))
        if history[count].strip() and not is_self_check(history[count])
    ]
    kept = [
        k for k in ran if k in saved.by_count and _normal(saved.by_count[k]) == _normal(history[k])
    ]
    since = kept[-1] if kept else 0
    if any(_normal(history[k]) not in saved.code for k in ran if k > since):
        return True
    return any(
        k in saved.by_count and _normal(saved.by_count[k]) != _normal(history[k])
        for k in ran
        if k <= since
    )


def saved_cells(path: Path) -> Saved | None:
    """The code cells of the notebook ``path`` (``None`` for a file that is not a readable
    notebook)."""
    try:
        notebook = nbformat.read(path, as_version=4)
    except Exception:  # noqa: BLE001 - grading says what is wrong with the file
        return None
    return Saved.of(
        [
            (count if isinstance(count := cell.get("execution_count"), int) else None, cell.source)
            for cell in notebook.cells
            if cell.cell_type == "code"
        ]
    )
