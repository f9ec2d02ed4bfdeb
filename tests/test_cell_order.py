"""A notebook that fails in file order, but whose saved execution counts show the student ran it in
another order, is told exactly that: which cell ran before which, and the name it needed."""

from __future__ import annotations

import json
from pathlib import Path

from grader.boundary.execution import CellError, CellRun, Execution
from grader.checks.run import cells_run
from grader.course.assignment import load_assignment
from grader.evidence.cell_order import assigned, run_order
from grader.evidence.facts import Facts
from grader.messages import render
from grader.submissions.cells import read_submission

NAME_ERROR = CellError("NameError", "name 'x_train' is not defined", "")


def cell(number: int, source: str, count: int | None, error: CellError | None = None) -> CellRun:
    return CellRun(number, source, "error" if error else "ok", 0.1, error, "", count)


# The student loaded the data (cell 4, run second) before preparing it (cell 2, run third).
OUT_OF_ORDER = (
    cell(1, "import numpy as np", 1),
    cell(2, "x_train = x_train / 255", 3, NAME_ERROR),
    cell(3, "print(x_train.shape)", 4, CellError("NameError", "name 'x_train' is not defined", "")),
    cell(4, "(x_train, y_train), (x_test, y_test) = load()", 2),
)


def outcome(cells: tuple[CellRun, ...]):
    facts = Facts(Execution("completed", cells, 1.0, False), "mnist", False)
    return cells_run(facts, load_assignment("week8").expected)


def test_a_cell_run_before_the_one_that_needs_it_is_named_with_the_name() -> None:
    order = run_order(OUT_OF_ORDER)
    assert order is not None
    assert (order.failed, order.before, order.name) == (2, (4,), "x_train")
    result = outcome(OUT_OF_ORDER)
    assert not result.passed and result.message.key == "run.cells_order_name"
    en, ja = render(result.message, "en"), render(result.message, "ja")
    assert (
        "cell 2 stops with NameError: it uses `x_train`, which cell 4 below it defines" in en.found
    )
    assert "you ran cell 4 ([2]) before cell 2 ([3])" in en.found
    assert "Move the code that defines `x_train` (cell 4) above cell 2" in en.fix
    assert "セル 4（[2]）をセル 2（[3]）より先に実行" in ja.found


def test_another_error_after_cells_below_it_names_the_cells_that_fed_it() -> None:
    cells = (
        cell(1, "import numpy as np\nx = np.zeros((4, 784))", 1),
        cell(2, "model.fit(x.reshape(4, 28, 28, 1))", 4, CellError("ValueError", "shape", "")),
        cell(3, "x = x.reshape(4, 28, 28)", 2),
        cell(4, "print('unrelated')", 3),
    )
    order = run_order(cells)
    assert order is not None and (order.before, order.name) == ((3,), None)
    result = outcome(cells)
    assert result.message.key == "run.cells_order"
    assert (
        "you ran cell(s) 3 below it ([2]) before cell 2 ([4])" in render(result.message, "en").found
    )


def test_the_files_order_or_no_counts_keep_the_usual_message() -> None:
    in_order = tuple(
        CellRun(c.number, c.source, c.outcome, 0.1, c.error, "", c.number) for c in OUT_OF_ORDER
    )
    never_run = tuple(
        CellRun(c.number, c.source, c.outcome, 0.1, c.error, "", None) for c in OUT_OF_ORDER
    )
    for cells in (in_order, never_run):
        assert run_order(cells) is None
        assert outcome(cells).message.key == "run.cells"
    assert outcome(tuple(cell(c.number, c.source, c.execution_count) for c in OUT_OF_ORDER)).passed


def test_names_bound_inside_a_function_or_comprehension_are_not_the_notebooks() -> None:
    source = (
        "%matplotlib inline\nimport numpy as np\nfor i in range(3):\n    total = i\n"
        "def f():\n    hidden = 1\n[inner for inner in range(2)]\nwith open('a') as handle: pass"
    )
    assert assigned(source) == {"np", "i", "total", "f", "handle"}


def test_the_saved_execution_counts_are_read_with_the_cells(tmp_path: Path) -> None:
    cells = [
        {"cell_type": "code", "source": "a = 1", "execution_count": 3, "outputs": []},
        {"cell_type": "markdown", "source": "text"},
        {"cell_type": "code", "source": "", "execution_count": 9, "outputs": []},
        {"cell_type": "code", "source": "b = a", "execution_count": None, "outputs": []},
        {"cell_type": "code", "source": "c = b", "execution_count": True, "outputs": []},
        {"cell_type": "code", "source": "d = c", "execution_count": -2, "outputs": []},
    ]
    path = tmp_path / "n.ipynb"
    path.write_text(
        json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    )
    read = read_submission(path).cells
    assert [(c.number, c.execution_count) for c in read] == [
        (1, 3),
        (2, None),
        (3, None),
        (4, None),
    ]
