"""The layout ARCHITECTURE.md draws holds: no import cycles, no back edges into report/, small modules.

Every import counts, those inside functions too: the graph is read from the source with
``ast``, not from what happens to be imported at run time.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

PACKAGE = ROOT / "grader"
MAX_LINES = 300
# The modules allowed above report/: the front ends and the batch that drive its writers.
DRIVERS = {"grader.cli", "grader.plugin", "grader.batch", "grader.export_command"}
# Owned by the process-isolation rewrite, which takes these from grader/files.py and splits
# runner.py by concern; each entry goes when that lands.
PENDING_BACK_EDGES: set[tuple[str, str]] = set()
PENDING_LONG: set[str] = set()


def _name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, modules: set[str]) -> set[str]:
    """Every grader module ``path`` imports (a name imported from a package counts as its module)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.update(f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in modules else node.module for a in node.names)
    return {m for m in found if m in modules} - {_name(path)}


def import_graph() -> dict[str, set[str]]:
    paths = {_name(p): p for p in PACKAGE.rglob("*.py")}
    return {name: _imports(path, set(paths)) for name, path in paths.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in sorted(graph[node]):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = stack[stack.index(node):]
            del stack[stack.index(node):]
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_grader_has_no_import_cycles() -> None:
    assert cycles(import_graph()) == []


def test_only_the_front_ends_and_the_batch_reach_into_report() -> None:
    graph = import_graph()
    edges = {(module, target) for module, targets in graph.items() for target in targets
             if target.startswith("grader.report") and not module.startswith("grader.report") and module not in DRIVERS}
    assert edges == PENDING_BACK_EDGES


def test_no_module_is_over_300_lines() -> None:
    long = {_name(p): n for p in PACKAGE.rglob("*.py") if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert set(long) == PENDING_LONG, long


def test_a_cycle_is_found_where_there_is_one() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
