"""Solution notebooks generated from the reference modules, so nothing is written twice.

A notebook is the exercise module's docstring, its imports, the definitions it uses from
other ``reference`` modules (inlined, because students have no ``reference`` package),
its constants and functions (those it takes from ``reference.common`` written out under
the names it binds them to), then the cells that run them with the lecture's names
(``x_train, y_train, x_test, y_test, model, history``).  ``python -m reference.notebooks``
writes ``assignments/<name>/solution.ipynb``; a test checks those files are current.
"""

import ast
import importlib
import inspect
from collections.abc import Iterable
from pathlib import Path

import nbformat

from reference import EXERCISES
from reference.binding import MODULE as COMMON_MODULE

ASSIGNMENTS = Path(__file__).resolve().parent.parent / "assignments"
PLOTS_MODULE = "reference.plots"

RUN_CELLS = (
    "data = prepare_data()\nx_train, y_train, x_test, y_test = data\nprint(x_train.shape, y_train.shape, x_test.shape, y_test.shape)",
    "model = build_model()\ncompile_model(model)\nmodel.summary()",
    "history = train(model, data)",
    'accuracy = evaluate(model, data)\nprint(f"test accuracy: {accuracy:.4f} (published: {PUBLISHED_ACCURACY})")',
    "loss_figure, accuracy_figure = plot_history(history.history)\nplt.show()",
)
EXTRA_CELLS: dict[str, tuple[str, ...]] = {
    "mnist-cnn": (
        'loss_figure.savefig(LEARNING_CURVE_FILE)\nprint("saved", LEARNING_CURVE_FILE)',
        "kernels = conv_kernels(model)\nprint([kernel.shape for kernel in kernels])\nfilter_figures = plot_kernels(kernels)\nplt.show()",
        "maps = feature_maps(model, x_test[0])\nprint([channels.shape for channels in maps])\nmap_figures = plot_feature_maps(maps)\nplt.show()",
    ),
    "cifar10": (
        "predicted = predict_classes(model, x_test[:10])\nactual = [CLASS_NAMES[index] for index in y_test[:10].argmax(axis=1)]\nprint(list(zip(predicted, actual)))",
    ),
    "save-load": (
        'differences = round_trip_differences(model, x_test[:1000], Path("saved_models"))\nprint(differences)',
    ),
}


def _segment(lines: list[str], node: ast.stmt) -> str:
    first = min([node.lineno, *(decorator.lineno for decorator in getattr(node, "decorator_list", []))])
    return "".join(lines[first - 1 : node.end_lineno]).rstrip()


def _bound_names(node: ast.stmt) -> set[str]:
    if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
        return {node.name}
    targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
    return {name.id for target in targets for name in ast.walk(target) if isinstance(name, ast.Name)}


def shared_functions(node: ast.stmt) -> list[tuple[str, str]]:
    """For ``a, b = alike(globals(), "x", "y")``: [("a", "x"), ("b", "y")]; else []."""
    if not (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and isinstance(node.value.func, ast.Name)
            and node.value.func.id == "alike"):
        return []
    target = node.targets[0]
    names = [t.id for t in target.elts if isinstance(t, ast.Name)] if isinstance(target, (ast.Tuple, ast.List)) else []
    shared = [arg.value for arg in node.value.args[1:] if isinstance(arg, ast.Constant) and isinstance(arg.value, str)]
    return list(zip(names, shared, strict=True))


def _is_reference_import(node: ast.stmt) -> bool:
    return isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "reference"


class _Module:
    """A module's top-level statements: imports, definitions by name, reference imports."""

    def __init__(self, name: str) -> None:
        module = importlib.import_module(name)
        self.name = name
        self.docstring = inspect.getdoc(module) or ""
        source = inspect.getsource(module)
        self.lines = source.splitlines(keepends=True)
        body = [node for node in ast.parse(source).body if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))]
        self.imports = [node for node in body if isinstance(node, (ast.Import, ast.ImportFrom)) and not _is_reference_import(node)]
        self.definitions = [node for node in body if not isinstance(node, (ast.Import, ast.ImportFrom))]
        self.by_name = {name: node for node in self.definitions for name in _bound_names(node)}
        self.borrowed = {alias.asname or alias.name: node.module for node in body if _is_reference_import(node) for alias in node.names}


def _dependencies(module: _Module, node: ast.stmt, cache: dict[str, _Module], found: list[tuple[_Module, ast.stmt]]) -> None:
    """Append, dependencies first, the definitions of other modules that ``node`` uses."""
    for name in sorted({n.id for n in ast.walk(node) if isinstance(n, ast.Name)}):
        if name in module.borrowed:
            owner = cache.setdefault(module.borrowed[name], _Module(module.borrowed[name]))
            _include(owner, name, cache, found)
        elif (module.name not in EXERCISES.values() and name in module.by_name and module.by_name[name] is not node
              and not _declared_only(module.by_name[name])):
            # Helpers of a borrowed module may use its other definitions; an exercise's own are all inlined anyway.
            _include(module, name, cache, found)


def _declared_only(node: ast.stmt) -> bool:
    """``LOSS: str`` in ``reference.common``: the exercise's own constant, not a definition to inline."""
    return isinstance(node, ast.AnnAssign) and node.value is None


def _functions(module: _Module, node: ast.stmt, common: _Module) -> list[str]:
    """The cells of one of the exercise's definitions: the shared functions it binds, each under its name."""
    shared = shared_functions(node)
    if not shared:
        return [_segment(module.lines, node)]
    cells = []
    for name, source_name in shared:
        text = _segment(common.lines, common.by_name[source_name])
        cells.append(text.replace(f"def {source_name}(", f"def {name}(", 1))
    return cells


def _include(module: _Module, name: str, cache: dict[str, _Module], found: list[tuple[_Module, ast.stmt]]) -> None:
    node = module.by_name[name]
    if any(node is seen for _, seen in found):
        return
    _dependencies(module, node, cache, found)
    found.append((module, node))


def build_notebook(exercise: str) -> nbformat.NotebookNode:
    module = _Module(EXERCISES[exercise])
    common = _Module(COMMON_MODULE)
    cache = {module.name: module, common.name: common}
    borrowed: list[tuple[_Module, ast.stmt]] = []
    for node in module.definitions:
        if shared_functions(node):
            for _, source_name in shared_functions(node):
                _dependencies(common, common.by_name[source_name], cache, borrowed)
        else:
            _dependencies(module, node, cache, borrowed)
    plots = cache.setdefault(PLOTS_MODULE, _Module(PLOTS_MODULE))
    _include(plots, "plot_history", cache, borrowed)

    used_modules = [module, *{id(owner): owner for owner, _ in borrowed}.values()]
    if any(shared_functions(node) for node in module.definitions):
        used_modules.append(common)
    imports = sorted({ast.unparse(node) for owner in used_modules for node in owner.imports}, key=lambda line: (line.startswith("from"), line))
    constants = [node for node in module.definitions if isinstance(node, (ast.Assign, ast.AnnAssign)) and not shared_functions(node)]
    functions = [node for node in module.definitions if node not in constants]

    cells = [
        nbformat.v4.new_markdown_cell(f"# Solution: {exercise}\n\n{module.docstring}\n\n"
                                      f"*Generated from `{module.name}` by `python -m reference.notebooks`; do not edit by hand.*"),
        nbformat.v4.new_code_cell("\n".join(imports)),
        *(nbformat.v4.new_code_cell(_segment(owner.lines, node)) for owner, node in borrowed),
        nbformat.v4.new_code_cell("\n".join(_segment(module.lines, node) for node in constants)),
        *(nbformat.v4.new_code_cell(text) for node in functions for text in _functions(module, node, common)),
        nbformat.v4.new_markdown_cell("## Run"),
        *(nbformat.v4.new_code_cell(source) for source in (*RUN_CELLS, *EXTRA_CELLS.get(exercise, ()))),
    ]
    return assemble(cells, exercise)


def assemble(cells: list[nbformat.NotebookNode], prefix: str) -> nbformat.NotebookNode:
    """A valid v4 notebook of ``cells`` with stable ids (``prefix-NN``), so regenerating is exact."""
    for index, cell in enumerate(cells):
        cell.id = f"{prefix}-{index:02d}"
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata = {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
    }
    nbformat.validate(notebook)
    return notebook


def notebook_path(exercise: str) -> Path:
    return ASSIGNMENTS / exercise / "solution.ipynb"


def write(notebooks: Iterable[tuple[Path, nbformat.NotebookNode]]) -> list[Path]:
    """Write each notebook at its path (its folder made if need be); the paths written."""
    paths = []
    for path, notebook in notebooks:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(nbformat.writes(notebook), encoding="utf-8")
        paths.append(path)
    return paths


def show(paths: list[Path]) -> None:
    """What ``python -m reference.<generator>`` prints: the files it wrote, from ``grader/``."""
    for written in paths:
        print(written.relative_to(ASSIGNMENTS.parent))


def write_all() -> list[Path]:
    return write((notebook_path(exercise), build_notebook(exercise)) for exercise in EXERCISES)


if __name__ == "__main__":
    show(write_all())
