"""Every catalog key the grader's code can use, read from its source (``tests/test_messages.py``).

A message key reaches the catalog through a call: ``failed``, ``not_run``, ``skipped``,
``Message`` and ``InvalidSubmission`` (their first argument), a ``Job``'s ``problem`` (a key and
its detail), ``Term`` (a word of ``[term]``) and ``text(lang, section, key)``.  The key is a
literal, a choice between literals, a name bound to one in the same function, a parameter whose
callers pass one (followed through the package), or an f-string whose values ``F_STRINGS``
enumerates.  Anything else is reported as unresolved, so that a new form of key fails the test
until it says where its keys come from.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import get_args

from grader.boundary.execution import ExecutionStatus
from grader.evidence import layouts

GRADER = Path(__file__).resolve().parent.parent / "grader"
# The functions a node lies in, the innermost last.
Scopes = tuple[ast.FunctionDef, ...]
# Modules whose calls of a form look their keys up in another section: an integrity finding is
# a ``Message`` of ``[integrity]`` (``report/integrity_section.py`` renders it).
MODULE_SECTIONS = {("evidence/integrity.py", "Message"): "integrity"}
# The calls that take a key first, and the catalog section it is looked up in.
FORMS = {
    "failed": "msg",
    "not_run": "msg",
    "skipped": "msg",
    "Message": "msg",
    "InvalidSubmission": "msg",
    "Term": "term",
}


@dataclass
class Scan:
    """The keys found by section, the forms they were found in, and what could not be
    resolved (``path: expression``)."""

    trees: dict[str, ast.Module]
    keys: dict[str, set[str]] = field(default_factory=dict)
    forms: set[str] = field(default_factory=set)
    unresolved: set[str] = field(default_factory=set)

    def calls(self, name: str) -> Iterator[tuple[str, Scopes, ast.Call]]:
        """Every call of the function ``name`` in the package, with its module and function."""
        for path, tree in self.trees.items():
            for function, node in _walk(tree, ()):
                if isinstance(node, ast.Call) and _name(node.func) == name:
                    yield path, function, node

    def arguments(self, name: str, position: int = 0) -> set[str]:
        """The literal keys passed to ``name`` at ``position`` anywhere in the package."""
        return {
            key
            for path, function, call in self.calls(name)
            if position < len(call.args)
            for key in self.resolve(path, function, call.args[position], depth=0)
        }

    def resolve(self, path: str, function: Scopes, node: ast.expr, depth: int = 0) -> set[str]:
        """The keys ``node`` (in ``function`` of ``path``) can be; unresolved, none."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return {node.value}
        if isinstance(node, ast.IfExp):
            return self.resolve(path, function, node.body, depth) | self.resolve(
                path, function, node.orelse, depth
            )
        table = _module_dict(self.trees[path], node)
        if table is not None:  # ``TABLE.get(value, default)`` of a module-level dict of keys
            self.forms.add("table")
            default = (
                self.resolve(path, function, node.args[1], depth) if len(node.args) > 1 else set()
            )
            return set().union(*(self.resolve(path, function, v, depth) for v in table)) | default
        if isinstance(node, ast.JoinedStr) and ast.unparse(node) in F_STRINGS:
            self.forms.add("f-string")
            return F_STRINGS[ast.unparse(node)](self)
        if isinstance(node, ast.Name) and depth < 4:
            for scope in reversed(function):
                bound = [
                    n.value
                    for n in ast.walk(scope)
                    if isinstance(n, ast.Assign)
                    and any(isinstance(t, ast.Name) and t.id == node.id for t in n.targets)
                ]
                if bound:
                    return set().union(*(self.resolve(path, function, v, depth + 1) for v in bound))
                parameters = [a.arg for a in scope.args.args]
                if node.id in parameters:
                    return self._passed(scope.name, parameters.index(node.id), node.id, depth)
        self.unresolved.add(f"{path}: {ast.unparse(node)}")
        return set()

    def _passed(self, name: str, position: int, parameter: str, depth: int) -> set[str]:
        found: set[str] = set()
        for path, function, call in self.calls(name):
            given = call.args[position] if position < len(call.args) else None
            given = next((k.value for k in call.keywords if k.arg == parameter), given)
            if given is not None:
                found |= self.resolve(path, function, given, depth + 1)
        return found


def _name(node: ast.expr) -> str | None:
    return node.id if isinstance(node, ast.Name) else None


def _walk(node: ast.AST, function: Scopes) -> Iterator[tuple[Scopes, ast.AST]]:
    """Every node under ``node`` with the function it lies in."""
    for child in ast.iter_child_nodes(node):
        yield function, child
        inner = (*function, child) if isinstance(child, ast.FunctionDef) else function
        yield from _walk(child, inner)


# Keys built in f-strings, by the f-string (as ``ast.unparse`` writes it): every value it takes.
def _module_dict(tree: ast.Module, node: ast.expr) -> list[ast.expr] | None:
    """The values of the module-level dict ``node`` looks up with ``.get``, if it is one."""
    if not (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "get"
        and isinstance(node.func.value, ast.Name)
    ):
        return None
    for statement in tree.body:
        if (
            isinstance(statement, ast.Assign)
            and any(
                isinstance(t, ast.Name) and t.id == node.func.value.id for t in statement.targets
            )
            and isinstance(statement.value, ast.Dict)
        ):
            return list(statement.value.values)
    return None


# The kinds of pixel map a trace names (``evidence.transforms.Transform.kind``).
TRANSFORMS = {
    f"transform.{kind}"
    for kind in (
        "unchanged",
        "scaled",
        "scaled_twice",
        "centred",
        "standardised",
        "inverted",
        "other",
        "unknown",
    )
}
F_STRINGS: dict[str, Callable[[Scan], set[str]]] = {
    # The pixel map of an array, as the trace found it (``evidence/transforms.py``).
    "f'transform.{kind}'": lambda scan: TRANSFORMS,
    "f'transform.{origin.images.transform.kind}'": lambda scan: TRANSFORMS,
    "f'transform.{on.preparation.transform.kind}'": lambda scan: TRANSFORMS,
    # How each image's pixels were laid out (``evidence/layouts.py``).
    "f'layout.{layout}'": lambda scan: {
        f"layout.{layout}" for layout in (layouts.AS_LOADED, *layouts.REARRANGED)
    },
    # What model.fit validated on, where it was not the test set (``evidence/piece_facts.py``).
    "f'validation.{fit.validation}'": lambda scan: {
        "validation.split",
        "validation.other",
        "validation.none",
    },
    # The other split an array's labels come from (``evidence/labelling.py``).
    "f'split.{other}'": lambda scan: {"split.train", "split.test"},
    # Why images could not be traced (``checks/method.py``: unknown or neither).
    "f'untraced.{how}'": lambda scan: {"untraced.unknown", "untraced.neither"},
    # A setting that must be the reference's own, missing altogether (``checks/reference_setting``).
    "f'{part}.missing'": lambda scan: {
        f"{check.split('.')[0]}.missing" for check in scan.arguments("same_as_reference")
    },
    # The note of a run that did not complete (``scoring.notes``).
    "f'note.{execution.status}'": lambda scan: {
        f"note.{status}" for status in get_args(ExecutionStatus) if status != "completed"
    },
}


def _add(scan: Scan, section: str, form: str, keys: set[str]) -> None:
    scan.keys.setdefault(section, set()).update(keys)
    if keys:
        scan.forms.add(form)


def scan() -> Scan:
    """Every key the package's source uses, by catalog section."""
    return scan_sources({str(p.relative_to(GRADER)): p.read_text() for p in GRADER.rglob("*.py")})


def scan_sources(sources: dict[str, str]) -> Scan:
    """Every key ``sources`` (module path: source) use, by catalog section."""
    found = Scan({path: ast.parse(source) for path, source in sources.items()})
    for path, tree in found.trees.items():
        for function, node in _walk(tree, ()):
            if not isinstance(node, ast.Call):
                continue
            name = _name(node.func)
            if name in FORMS and node.args:
                keys = found.resolve(path, function, node.args[0])
                _add(found, MODULE_SECTIONS.get((path, name), FORMS[name]), name, keys)
            elif name == "Job":
                problem = node.args[2] if len(node.args) > 2 else None
                problem = next((k.value for k in node.keywords if k.arg == "problem"), problem)
                if isinstance(problem, ast.Tuple):
                    _add(found, "msg", name, found.resolve(path, function, problem.elts[0]))
            elif name == "text" and len(node.args) >= 3:
                section = node.args[1]
                key = node.args[2]
                if isinstance(section, ast.Constant) and isinstance(key, (ast.Constant, ast.IfExp)):
                    _add(found, str(section.value), name, found.resolve(path, function, key))
    return found
