"""Cells that only worked in the order the student ran them.

The grader runs a notebook's cells top to bottom in a fresh kernel; the student may have run them
in another order, which the execution counts saved in the notebook record (``[7]`` above a cell
run seventh).  Where the first cell that fails in file order was run after cells that come below
it, that order is named: the cell below that defines the name a ``NameError`` misses, else the
cells below that assign a name the failing cell reads, else every cell below run before it.

Plain data: the cells' sources, outcomes and saved counts (``CellRun``); sources are parsed with
``ast`` and never run.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from grader.boundary.execution import CellRun

UNDEFINED = re.compile(r"^name '([A-Za-z_][A-Za-z0-9_]{0,79})' is not defined")
# Lines IPython reads and Python does not (magics, shell commands), left out before parsing.
IPYTHON_LINE = re.compile(r"^\s*[%!?]")


@dataclass(frozen=True)
class RunOrder:
    """Cell ``failed`` stops in file order; the saved counts show ``before`` (cells below it) ran
    before it.  ``name``: the name it misses, defined in ``before[0]``, where that is known."""

    failed: int
    failed_count: int
    before: tuple[int, ...]
    before_counts: tuple[int, ...]
    name: str | None = None


def _tree(source: str) -> ast.Module | None:
    lines = [line for line in source.splitlines() if not IPYTHON_LINE.match(line)]
    try:
        return ast.parse("\n".join(lines))
    except (SyntaxError, ValueError, RecursionError):
        return None


# Scopes of their own: the names bound inside are not the notebook's.
SCOPES = (
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.ClassDef,
    ast.Lambda,
    ast.ListComp,
    ast.SetComp,
    ast.DictComp,
    ast.GeneratorExp,
)


def _top_level(tree: ast.AST) -> list[ast.AST]:
    """Every node of ``tree`` outside the scopes it opens (those scopes' own nodes included)."""
    found, todo = [], [tree]
    while todo:
        node = todo.pop()
        found.append(node)
        if not isinstance(node, SCOPES) or node is tree:
            todo.extend(ast.iter_child_nodes(node))
    return found


def assigned(source: str) -> set[str]:
    """The names a cell binds in the notebook's namespace: assignments, imports, definitions,
    loop and ``with`` targets."""
    tree = _tree(source)
    if tree is None:
        return set()
    names: set[str] = set()
    for node in _top_level(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names if a.name != "*")
    return names


def read(source: str) -> set[str]:
    """The names a cell reads."""
    tree = _tree(source)
    if tree is None:
        return set()
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def run_order(cells: tuple[CellRun, ...]) -> RunOrder | None:
    """What the saved counts say of the first cell that failed in file order, if they show it
    was run after cells below it; ``None`` otherwise (no failure, no counts, the file's order)."""
    failed = next((c for c in cells if c.outcome == "error" and c.error is not None), None)
    if failed is None or failed.error is None or failed.execution_count is None:
        return None
    count = failed.execution_count
    below = [
        c
        for c in cells
        if c.number > failed.number and c.execution_count is not None and c.execution_count < count
    ]
    if not below:
        return None
    missing = UNDEFINED.match(failed.error.value) if failed.error.name == "NameError" else None
    if missing is not None:
        defining = [c for c in below if missing.group(1) in assigned(c.source)]
        if defining:
            first = min(defining, key=lambda c: c.execution_count or 0)
            return _order(failed, [first], missing.group(1))
    needed = read(failed.source)
    feeding = [c for c in below if assigned(c.source) & needed]
    return _order(failed, feeding or below, None)


def _order(failed: CellRun, before: list[CellRun], name: str | None) -> RunOrder:
    before = sorted(before, key=lambda c: c.number)
    return RunOrder(
        failed.number,
        failed.execution_count or 0,
        tuple(c.number for c in before),
        tuple(c.execution_count or 0 for c in before),
        name,
    )
