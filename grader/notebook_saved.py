"""Whether the saved notebook is what the student last ran: a self-check grades the file, which
the kernel may have moved past.

The kernel's input history (IPython's ``In``: the code of execution ``n`` at ``In[n]``) is
compared with the saved cells and their execution counts.  The file is behind when it was saved
before the latest cell the kernel ran (no saved cell has that count), or when a saved cell's code
differs from what the kernel ran under its count.  The self-check's own cells (``%grade``,
``grader.check``) do not count: running one is not a change to save.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import nbformat

# A line of a self-check's own cell (``%load_ext grader`` included).
SELF_CHECK_LINES = ("%grade", "%load_ext grader", "%reload_ext grader", "import grader")


def is_self_check(code: str) -> bool:
    """Whether ``code`` does nothing but check the notebook (or load the checker)."""
    lines = [line.strip() for line in code.splitlines()]
    lines = [line for line in lines if line and not line.startswith("#")]
    return bool(lines) and all(
        line.startswith(SELF_CHECK_LINES) or "grader.check(" in line for line in lines
    )


def _same(saved: str, ran: str) -> bool:
    return saved.replace("\r\n", "\n").rstrip() == ran.replace("\r\n", "\n").rstrip()


def behind(saved: Mapping[int, str], history: Sequence[str], current: int) -> bool:
    """Whether the saved cells (``saved``: execution count -> code) miss what the kernel ran
    before execution ``current`` (``history``: IPython's ``In``)."""
    ran = [
        count
        for count in range(1, min(current, len(history)))
        if history[count].strip() and not is_self_check(history[count])
    ]
    if not ran:
        return False
    if ran[-1] not in saved:
        return True
    return any(count in saved and not _same(saved[count], history[count]) for count in ran)


def saved_cells(path: Path) -> dict[int, str] | None:
    """The code cells of the notebook ``path`` that were run, by execution count (``None`` for a
    file that is not a readable notebook)."""
    try:
        notebook = nbformat.read(path, as_version=4)
    except Exception:  # noqa: BLE001 - grading says what is wrong with the file
        return None
    return {
        cell.execution_count: cell.source
        for cell in notebook.cells
        if cell.cell_type == "code" and isinstance(cell.get("execution_count"), int)
    }
