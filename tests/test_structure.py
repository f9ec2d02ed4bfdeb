"""The layout ARCHITECTURE.md draws holds: no import cycles, no back edges into report/, small
modules.

Every import counts, those inside functions too: the graph is read from the source with
``ast``, not from what happens to be imported at run time.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from grader.sandbox import off_limits
from tests.conftest import ROOT

PACKAGE = ROOT / "grader"
MAX_LINES = 300
# import-linter's command (its module runs nothing with ``python -m``).
LINT_IMPORTS = "import sys; from importlinter.cli import lint_imports_command as c; sys.exit(c())"


def _name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, modules: set[str]) -> set[str]:
    """Every grader module ``path`` imports (a name imported from a package counts as its
    module)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.update(
                f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in modules else node.module
                for a in node.names
            )
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
            component = stack[stack.index(node) :]
            del stack[stack.index(node) :]
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_grader_has_no_import_cycles() -> None:
    assert cycles(import_graph()) == []


def test_the_layers_hold_as_import_linter_reads_them() -> None:
    """The contracts in pyproject.toml ([tool.importlinter]): the pipeline's layers, the
    sandbox's sides."""
    done = subprocess.run(
        [sys.executable, "-c", LINT_IMPORTS, "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]


def test_what_the_kernel_and_the_fork_server_import_is_all_they_may_read() -> None:
    """``off_limits.KERNEL_PACKAGE_PARTS`` is all the kernel and the fork server may read of
    the package: every module they import, at any depth, must be there (else a kernel fails to
    start)."""
    graph = import_graph()
    entries = [
        "grader.sandbox.kernel.boot",
        "grader.sandbox.kernel.confine",
        "grader.sandbox.forkserver.server",
    ]
    imported, todo = set(entries), list(entries)
    while todo:
        for target in graph[todo.pop()] - imported:
            imported.add(target)
            todo.append(target)

    def readable(module: str) -> bool:
        path = "/".join(module.split(".")[1:])
        return any(
            path == part.removesuffix(".py").removesuffix("__init__").rstrip("/")
            or path.startswith(f"{part}/")
            for part in off_limits.KERNEL_PACKAGE_PARTS
        )

    assert {m for m in imported if not readable(m)} == set()
    assert "grader.sandbox.runner" not in imported  # the test looks at what it should


def test_ruff_finds_nothing_and_formats_nothing() -> None:
    """The linter and the formatter, configured in pyproject.toml (100 columns)."""
    for command in (["check", "."], ["format", "--check", "."]):
        done = subprocess.run(
            [sys.executable, "-m", "ruff", *command],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]


def test_no_module_is_over_300_lines() -> None:
    long = {
        _name(p): n
        for p in PACKAGE.rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


def test_a_cycle_is_found_where_there_is_one() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
