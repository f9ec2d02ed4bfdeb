"""The exercise assignments (mlp, mnist-cnn, cifar10): the solution earns full marks, each
planted mistake fails the check that names it with the right message, and the starter runs
and earns exactly the points of the parts it gives (none for the parts left to the student).

One ``grader grade`` process per assignment grades its solution, examples and starter, so
Keras starts once per assignment and identical measurements are trained once.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest

from reference import examples, starters
from tests import article_marks
from tests.cascade import (
    Cascades,
    assert_items,
    assert_junit,
    assert_page,
    assert_record,
    items_of,
)
from tests.conftest import ROOT, finished, grade_many, read_records

ASSIGNMENTS = ("mlp", "mnist-cnn", "cifar10")


@dataclass(frozen=True)
class Planted:
    # Checks that must fail (one or more per planted mistake), each with a phrase its message must
    # contain.
    fails: dict[str, str]
    # Checks that may fail as a consequence (every other one must pass).
    may_fail: set[str] = field(default_factory=set)


PLANTED: dict[str, dict[str, Planted]] = {
    "mlp": {
        "raw_pixels_wrong_layers": Planted(
            {
                "data.x_range": "about 0.5423 instead of 0.9801",
                "results.accuracy": "about 0.5423 instead of 0.9801",
                "model.layers": "units=512",
                "model.params": "543,860",
            },
            {"model.output_shapes"},
        ),
    },
    "mnist-cnn": {
        "default_adadelta_no_filter_plot": Planted(
            {
                "compile.optimizer": "only 0.8694 instead of 0.9918",
                "results.accuracy": "only 0.8694 instead of 0.9918",
                "plots.filters": "no 3x3 image of those weights",
                "plots.saved": "the saved figure is empty",
            }
        ),
    },
    "cifar10": {
        "no_split_class_indices": Planted(
            {
                "fit.validation": "validation_split=0.2",
                "fit.history": "val_loss",
                "run.cells": "KeyError",
                "results.predictions": "class names are not in the notebook's output",
            },
            {"plots.loss", "plots.accuracy"},
        ),
    },
}
# Each assignment's example whose failures follow from one another, and what follows from what
# (``caused_by``): every other failure of it is a cause of its own.
CASCADES: dict[str, tuple[str, Cascades]] = {
    "mlp": (
        "raw_pixels_wrong_layers",
        {
            "data.x_range": ["results.accuracy"],
            "model.layers": ["model.output_shapes", "model.params"],
        },
    ),
    "mnist-cnn": ("default_adadelta_no_filter_plot", {"compile.optimizer": ["results.accuracy"]}),
    "cifar10": (
        "no_split_class_indices",
        {"fit.validation": ["fit.history", "plots.loss", "plots.accuracy"]},
    ),
}
# What each starter gives (and so earns); every other check is the student's to pass.
STARTER_EARNS: dict[str, set[str]] = {
    "mlp": {
        "run.cells",
        "data.y_onehot",
        "data.y_agree",
        "method.train_data",
        "method.validation_data",
        "method.test_data",
        "method.same_scaling",
        "compile.loss",
        "compile.optimizer",
        "compile.metrics",
        "fit.validation",
        "fit.history",
    },
    "mnist-cnn": {
        "run.cells",
        "data.x_shape",
        "data.x_dtype",
        "data.x_range",
        "data.y_onehot",
        "data.y_agree",
        "method.train_data",
        "method.validation_data",
        "method.test_data",
        "method.same_scaling",
        "model.layers",
        "model.output_shapes",
        "model.params",
        "compile.loss",
        "compile.metrics",
        "fit.batch_size",
    },
    "cifar10": {
        "run.cells",
        "data.x_shape",
        "data.x_dtype",
        "data.x_range",
        "data.y_onehot",
        "data.y_agree",
        "method.train_data",
        "method.validation_data",
        "method.test_data",
        "method.same_scaling",
        "compile.loss",
        "compile.optimizer",
        "compile.metrics",
    },
}
# The starters' code is the same in both languages (checked below), so one is graded.
GRADED_STARTER = "ja"


def submissions(name: str) -> list[Path]:
    folder = ROOT / "assignments" / name
    return [
        folder / "solution.ipynb",
        *(examples.example_path(name, m) for m in examples.MISTAKES[name]),
        starters.starter_path(name, GRADED_STARTER),
        article_marks.article(name),
    ]


@pytest.fixture(scope="module")
def outs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every assignment's submissions, graded by one CLI process per assignment, in parallel, each
    into its output folder (records, feedback pages, ``junit.xml``)."""
    outs = {name: tmp_path_factory.mktemp(name) for name in ASSIGNMENTS}
    # One process per assignment, one worker each: three at once on two cores.
    batches = {
        name: grade_many(name, submissions(name), outs[name], jobs=1) for name in ASSIGNMENTS
    }
    for name, batch in batches.items():
        finished(batch, outs[name])
    return outs


@pytest.fixture(scope="module")
def records(outs: dict[str, Path]) -> dict[str, dict[str, dict]]:
    return {name: read_records(out) for name, out in outs.items()}


def checks_of(record: dict) -> dict[str, dict]:
    assert record["status"] == "graded", record.get("error")
    return {c["id"]: c for c in record["checks"]}


@pytest.mark.slow
@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_solution_earns_full_marks(name: str, records: dict) -> None:
    record = records[name]["solution"]
    checks = checks_of(record)
    assert record["score"] == record["max_score"] > 0
    judged = {i: c for i, c in checks.items() if c["status"] != "skipped"}
    assert all(c["passed"] for c in judged.values()), {
        i: c["message"] for i, c in judged.items() if not c["passed"]
    }
    skipped = set(checks) - set(judged)
    # Only the accuracy on generated data is not judged (CIFAR-10 is not provisioned here).
    assert skipped <= ({"results.accuracy"} if record["synthetic_data"] else set())


@pytest.mark.slow
@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_the_article_earns_full_marks(name: str, records: dict) -> None:
    """The seed article's cells, with only the Keras 3 changes, earn full marks (extras aside)."""
    article_marks.assert_full_marks(name, records[name][name])


@pytest.mark.slow
def test_the_cnn_articles_filters_and_maps_count_in_their_own_units(records: dict) -> None:
    """Keras's mnist_cnn draws its second layer's filters as the 32 input channels of filter 0
    and its feature maps as channel 0 of 16 images: each a whole drawing in its unit."""
    checks = checks_of(records["mnist-cnn"]["mnist-cnn"])
    assert checks["plots.filters"]["points"] == checks["plots.filters"]["max_points"] == 2
    assert checks["plots.feature_maps"]["points"] == checks["plots.feature_maps"]["max_points"] == 2


@pytest.mark.slow
def test_generated_data_is_reported_and_its_accuracy_is_worth_nothing(records: dict) -> None:
    record = records["cifar10"]["solution"]
    if not record["synthetic_data"]:
        pytest.fail("the real CIFAR-10 is provisioned: this test is about machines without it")
    accuracy = checks_of(record)["results.accuracy"]
    assert (accuracy["status"], accuracy["points"], accuracy["max_points"]) == ("skipped", 0, 0)
    assert "generated" in accuracy["message"]
    assert any("generated images" in note for note in record["notes"])
    assert "measured" not in record


MISTAKES = [(name, mistake) for name in ASSIGNMENTS for mistake in PLANTED[name]]


@pytest.mark.slow
@pytest.mark.parametrize("name, mistake", MISTAKES, ids=[f"{n}-{m}" for n, m in MISTAKES])
def test_planted_mistake_fails_the_right_check(name: str, mistake: str, records: dict) -> None:
    planted = PLANTED[name][mistake]
    record = records[name][mistake]
    checks = checks_of(record)
    for check_id, phrase in planted.fails.items():
        assert checks[check_id]["status"] == "failed", f"{check_id} should fail for {mistake}"
        assert phrase in checks[check_id]["message"], checks[check_id]["message"]
        assert "How to fix:" in checks[check_id]["message"]
    untouched = (
        {i for i, c in checks.items() if c["status"] != "skipped"}
        - set(planted.fails)
        - planted.may_fail
    )
    wrongly_failed = {i for i in untouched if not checks[i]["passed"]}
    assert not wrongly_failed, {i: checks[i]["message"] for i in wrongly_failed}
    assert record["score"] < record["max_score"]


@pytest.mark.slow
@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_the_cause_comes_first_in_every_writer(
    name: str,
    outs: dict[str, Path],
    records: dict,
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The example's record names what follows from what, and its feedback page, ``junit.xml``,
    pytest items and terminal report each lead with the cause, the consequences under it."""
    mistake, expected = CASCADES[name]
    record = records[name][mistake]
    assert_record(record, expected)
    page = (outs[name] / "feedback" / f"{mistake}.html").read_text(encoding="utf-8")
    assert_page(page, record, expected)
    assert_junit((outs[name] / "junit.xml").read_text(encoding="utf-8"), record, expected)
    assert_items(items_of(pytester, monkeypatch, record), record, expected)


@pytest.mark.slow
@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_starter_runs_and_earns_only_what_it_gives(name: str, records: dict) -> None:
    record = records[name][f"starter_{GRADED_STARTER}"]
    checks = checks_of(record)
    assert all(cell["outcome"] == "ok" for cell in record["cells"]), record["cells"]
    passed = {i for i, c in checks.items() if c["passed"]}
    assert passed == STARTER_EARNS[name]
    assert record["score"] == sum(checks[i]["max_points"] for i in STARTER_EARNS[name])


def code_of(notebook: nbformat.NotebookNode) -> list[str]:
    """The code cells without comments (the TODO texts are the only difference between
    languages)."""
    return [ast.dump(ast.parse(cell.source)) for cell in notebook.cells if cell.cell_type == "code"]


@pytest.mark.parametrize("name", list(starters.STARTERS))
def test_starters_share_their_code_and_mark_each_open_part(name: str) -> None:
    ja, en = (starters.build_starter(name, lang) for lang in ("ja", "en"))
    assert code_of(ja) == code_of(en)
    for notebook in (ja, en):
        source = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
        assert source.count("# TODO: ") == len(starters.STARTERS[name].todos)
        assert "# TODO[" not in source


@pytest.mark.parametrize("name", list(starters.STARTERS))
@pytest.mark.parametrize("lang", starters.LANGUAGES)
def test_committed_starter_is_generated(name: str, lang: str) -> None:
    committed = starters.starter_path(name, lang)
    assert committed.read_text(encoding="utf-8") == nbformat.writes(
        starters.build_starter(name, lang)
    ), "run: python -m reference.starters"


@pytest.mark.parametrize(
    "name, mistake",
    [(n, m) for n, ms in examples.MISTAKES.items() for m in ms],
    ids=lambda v: getattr(v, "name", v),
)
def test_committed_example_is_generated(name: str, mistake: examples.Mistake) -> None:
    committed = examples.example_path(name, mistake)
    assert committed.read_text(encoding="utf-8") == nbformat.writes(
        examples.build_example(name, mistake)
    ), "run: python -m reference.examples"


def test_every_example_has_expectations() -> None:
    assert {n: {m.name for m in ms} for n, ms in examples.MISTAKES.items()} == {
        n: set(p) for n, p in PLANTED.items()
    }
