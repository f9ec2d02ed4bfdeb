"""Each planted bug (a copy of the lecture-style solution with one mistake) fails the right
checks with the right message, and passes the checks it does not touch."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from reference import starters
from tests.cascade import (
    Cascades,
    assert_items,
    assert_junit,
    assert_page,
    assert_record,
    items_of,
)
from tests.conftest import LECTURE, finished, grade_many, mutate, read_records
from tests.golden import PLANTED, differences

ALL_CHECKS = {
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
    "compile.optimizer",
    "compile.metrics",
    "fit.batch_size",
    "fit.epochs",
    "fit.validation",
    "fit.history",
    "results.accuracy",
    "plots.loss",
    "plots.accuracy",
}
DEPENDS_ON_FIT = {
    "fit.batch_size",
    "fit.epochs",
    "fit.validation",
    "fit.history",
    "plots.loss",
    "plots.accuracy",
    "results.accuracy",
    "model.layers",
    "model.output_shapes",
    "model.params",
    "data.y_agree",
    "compile.loss",
    "compile.optimizer",
    "compile.metrics",
    "data.x_dtype",
    "data.x_range",
    "data.y_onehot",
    "method.train_data",
    "method.validation_data",
    "method.test_data",
    "method.same_scaling",
}


@dataclass(frozen=True)
class Bug:
    name: str
    edits: list[tuple[str, str]]
    # Checks that must fail, each with a phrase its message must contain.
    fails: dict[str, str]
    # Checks that may fail as a consequence (everything else must pass).
    may_fail: set[str] = field(default_factory=set)
    extra_cells: list[str] = field(default_factory=list)
    # A cell that hits the cell time limit makes the record's status "timeout" (checks still run).
    status: str = "graded"


SCALE = [
    ("x_train = x_train.astype('float32') / 255", "x_train = x_train.astype('float32')"),
    ("x_test = x_test.astype('float32') / 255", "x_test = x_test.astype('float32')"),
]
BUGS = [
    Bug("no_scaling", SCALE, {"data.x_range": "not divided by 255"}, {"results.accuracy"}),
    Bug("float64", [("astype('float32')", "astype('float64')")], {"data.x_dtype": "float64"}),
    Bug(
        "flat_input",
        [
            ("x_train.reshape(60000, 28, 28, 1)", "x_train.reshape(60000, 784)"),
            ("x_test.reshape(10000, 28, 28, 1)", "x_test.reshape(10000, 784)"),
        ],
        {"data.x_shape": "(60000, 784)", "run.cells": "ValueError"},
        DEPENDS_ON_FIT,
    ),
    Bug(
        "no_onehot",
        [
            ("y_train = to_categorical(y_train, 10)\n", ""),
            ("y_test = to_categorical(y_test, 10)", ""),
        ],
        {"data.y_onehot": "to_categorical", "run.cells": "error"},
        DEPENDS_ON_FIT,
    ),
    Bug(
        "eleven_classes",
        [
            ("to_categorical(y_train, 10)", "to_categorical(y_train, 11)"),
            ("to_categorical(y_test, 10)", "to_categorical(y_test, 11)"),
        ],
        {"data.y_onehot": "11 columns", "run.cells": "error"},
        DEPENDS_ON_FIT,
    ),
    Bug(
        "no_softmax",
        [("Dense(10, activation='softmax')", "Dense(10)")],
        {"model.layers": "activation='linear'"},
        {"results.accuracy"},
    ),
    Bug(
        "wrong_filters",
        [("Conv2D(64, (3, 3)", "Conv2D(32, (3, 3)")],
        {"model.layers": "filters=32", "model.params": "665,738"},
        {"model.output_shapes", "results.accuracy"},
    ),
    Bug(
        "valid_padding",
        [(", padding='same'", "")],
        {
            "model.layers": "padding='valid'",
            "model.output_shapes": "(26, 26, 64)",
            "model.params": "665,738",
        },
        {"results.accuracy"},
    ),
    Bug(
        "swapped_dropout",
        [
            ("Dropout(0.5)", "Dropout(X)"),
            ("Dropout(0.25)", "Dropout(0.5)"),
            ("Dropout(X)", "Dropout(0.25)"),
        ],
        {"model.layers": "rate=0.25"},
        {"results.accuracy"},
    ),
    Bug(
        "mse_loss",
        [("loss='categorical_crossentropy'", "loss='mse'")],
        {"compile.loss": "mean_squared_error"},
        {"results.accuracy"},
    ),
    Bug(
        "sgd",
        [("optimizer='adam'", "optimizer='sgd'")],
        {"compile.optimizer": "SGD"},
        {"results.accuracy"},
    ),
    Bug(
        "no_validation",
        [(", validation_data=(x_test, y_test)", "")],
        {
            "fit.validation": "validation_data=(x_test, y_test)",
            "fit.history": "val_loss",
            "run.cells": "KeyError",
        },
        {"plots.loss", "plots.accuracy"},
    ),
    Bug(
        "old_acc_key",
        [
            ("history.history['accuracy']", "history.history['acc']"),
            ("history.history['val_accuracy']", "history.history['val_acc']"),
        ],
        {"run.cells": "KeyError", "plots.accuracy": "history.history['accuracy']"},
    ),
    Bug(
        "plot_without_validation",
        [
            (
                "plt.plot(range(epochs), history.history['val_loss'], marker='.', "
                "label='val_loss')\n",
                "",
            )
        ],
        {"plots.loss": "val_loss"},
    ),
    Bug("syntax_error", [], {"run.cells": "SyntaxError"}, extra_cells=["def broken(:\n    pass"]),
    Bug(
        "patched_count_params",
        [
            ("Conv2D(64, (3, 3)", "Conv2D(32, (3, 3)"),
            (
                "model.summary()",
                "model.summary()\nfrom tensorflow.keras import Model\nModel.count_params = lambda "
                "self: 665738",
            ),
        ],
        {"model.params": "665,738", "model.layers": "filters=32"},
        {"model.output_shapes", "results.accuracy"},
    ),
    Bug(
        "faked_evaluate",
        [
            ("optimizer='adam'", "optimizer='sgd'"),
            (
                "score = model.evaluate(x_test, y_test, verbose=0)",
                "model.evaluate = lambda *a, **k: [0.01, 0.999]\nscore = model.evaluate(x_test, "
                "y_test, verbose=0)",
            ),
        ],
        {"results.accuracy": "measured by the grader", "compile.optimizer": "SGD"},
    ),
    # A fake fit (no training, a History of perfect numbers) and a patched numpy: the
    # grader trains the architecture itself, and finds no fit to check.
    Bug(
        "patched_fit_and_numpy",
        [
            (
                "history = model.ﬁt(",
                "from tensorflow.keras import Model\n"
                "class FakeHistory:\n"
                "    history = {k: [0.999] * 20 for k in ('loss', 'accuracy', 'val_loss', "
                "'val_accuracy')}\n"
                "Model.fit = lambda self, *a, **k: FakeHistory()\n"
                "np.argmax = lambda *a, **k: 0\n"
                "history = model.ﬁt(",
            )
        ],
        {
            "fit.batch_size": "fit was never called",
            "fit.epochs": "fit was never called",
            "fit.validation": "fit was never called",
            "fit.history": "no finished fit",
            "method.train_data": "fit was never called",
            "method.validation_data": "fit was never called",
        },
        {"plots.loss", "plots.accuracy"},
    ),
    Bug(
        "hanging_cell",
        [],
        {"run.cells": "CellTimeout"},
        extra_cells=["import time\ntime.sleep(10**6)"],
        status="timeout",
    ),
]


# What fails because of what (``caused_by``) in each planted record; every other failure is a
# cause of its own (a check of a bug's ``may_fail`` that passed on this machine is left out).
AFTER_FIT = ["fit.history", "results.accuracy", "plots.loss", "plots.accuracy"]
LAYERS = {"model.layers": ["model.output_shapes", "model.params"]}
CASCADES: dict[str, Cascades] = {
    "no_scaling": {"data.x_range": ["results.accuracy"]},
    "flat_input": {"data.x_shape": AFTER_FIT},
    "no_onehot": {"data.y_onehot": AFTER_FIT},
    "eleven_classes": {"data.y_onehot": AFTER_FIT},
    "no_softmax": {"model.layers": ["results.accuracy"]},
    "wrong_filters": {"model.layers": ["model.output_shapes", "model.params", "results.accuracy"]},
    "valid_padding": {"model.layers": ["model.output_shapes", "model.params", "results.accuracy"]},
    "swapped_dropout": {"model.layers": ["results.accuracy"]},
    "mse_loss": {"compile.loss": ["results.accuracy"]},
    "sgd": {"compile.optimizer": ["results.accuracy"]},
    "no_validation": {"fit.validation": ["fit.history", "plots.loss", "plots.accuracy"]},
    "patched_count_params": {
        "model.layers": ["model.output_shapes", "model.params", "results.accuracy"]
    },
    "faked_evaluate": {"compile.optimizer": ["results.accuracy"]},
    # No fit: the method, the batch size, the epochs and the validation say it alike, and it is
    # one cause, named by the first check that reads fit's arrays.
    "patched_fit_and_numpy": {
        "method.train_data": ["method.validation_data", "fit.batch_size", "fit.epochs"]
        + ["fit.validation", "fit.history", "plots.loss", "plots.accuracy"]
    },
    "starter": {"data.x_range": ["results.accuracy"], "model.layers": ["model.params"]},
}


def cascades(
    name: str, record: dict, may_fail: frozenset[str] | set[str] = frozenset()
) -> Cascades:
    """``CASCADES[name]`` without the checks of ``may_fail`` that passed in ``record``."""
    passed = {c["id"] for c in record["checks"] if c["passed"]}
    found = {
        cause: [c for c in consequences if not (c in may_fail and c in passed)]
        for cause, consequences in CASCADES.get(name, {}).items()
    }
    return {cause: consequences for cause, consequences in found.items() if consequences}


def start_planted_batch(folder: Path) -> subprocess.Popen[str]:
    """Write each planted bug (and the week-8 starter) into ``folder`` and start grading them
    in one batch, writing to ``folder / "out"`` (``tests/golden.py`` grades the same batch)."""
    # The bug that waits out its cell limit goes first, not last: a worker left idle while the
    # other still has a queue costs the batch nothing.
    first = sorted(BUGS, key=lambda bug: bug.status != "timeout")
    paths = [
        mutate(LECTURE, folder / f"{bug.name}.ipynb", bug.edits, bug.extra_cells) for bug in first
    ]
    # The week-8 starter shares the run: it must run and earn only the parts it gives.
    paths.append(mutate(starters.starter_path("week8", "ja"), folder / "starter.ipynb", []))
    # A generous cell limit: the batch runs beside the rest of the suite on a loaded machine.
    return grade_many("week8", paths, folder / "out", "--cell-timeout", "60")


@pytest.fixture(scope="module")
def planted_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The batch's output folder: its records, feedback pages and ``junit.xml``."""
    folder = tmp_path_factory.mktemp("planted")
    finished(start_planted_batch(folder), folder / "out")
    return folder / "out"


@pytest.fixture(scope="module")
def records(planted_out: Path) -> dict[str, dict]:
    return read_records(planted_out)


@pytest.mark.slow
@pytest.mark.parametrize("bug", BUGS, ids=[b.name for b in BUGS])
def test_planted_bug_fails_the_right_checks(bug: Bug, records: dict[str, dict]) -> None:
    record = records[bug.name]
    assert record["status"] == bug.status, record.get("error")
    checks = {c["id"]: c for c in record["checks"]}
    assert set(checks) == ALL_CHECKS
    for check_id, phrase in bug.fails.items():
        assert not checks[check_id]["passed"], f"{check_id} should fail for {bug.name}"
        assert phrase in checks[check_id]["message"], checks[check_id]["message"]
        assert "How to fix:" in checks[check_id]["message"]
    untouched = ALL_CHECKS - set(bug.fails) - bug.may_fail
    wrongly_failed = {c for c in untouched if not checks[c]["passed"]}
    assert not wrongly_failed, {c: checks[c]["message"] for c in wrongly_failed}
    assert record["score"] < record["max_score"]


@pytest.mark.slow
def test_the_planted_records_are_the_golden_ones(records: dict[str, dict]) -> None:
    """Every field of every record as it was graded before the results spine was restructured
    (``tests/golden.py``; the measured accuracy is compared there, on the machine that made them).
    """
    assert differences(PLANTED, records, across_machines=True) == []


@pytest.mark.slow
def test_only_the_planted_bug_that_replaces_fit_tampers_with_the_evidence(
    records: dict[str, dict],
) -> None:
    """Replacing ``Model.fit`` replaces the kernel's own hook: the record says so.  Patching
    ``count_params`` or ``evaluate``, a timeout, a syntax error: the evidence is intact."""
    tampered = {name for name, r in records.items() if r["integrity"]["status"] != "intact"}
    assert tampered == {"patched_fit_and_numpy"}
    seen = [f["params"]["what"] for f in records["patched_fit_and_numpy"]["integrity"]["findings"]]
    assert seen == ["replaced Model.fit"]


@pytest.mark.slow
def test_old_keras_idioms_get_the_modern_spelling(records: dict[str, dict]) -> None:
    cells = records["old_acc_key"]["cells"]
    hints = [c["hint"] for c in cells if c["hint"]]
    assert any("'accuracy'" in h for h in hints), cells


@pytest.mark.slow
def test_faked_evaluate_does_not_change_the_measured_accuracy(records: dict[str, dict]) -> None:
    measured = records["faked_evaluate"]["measured"]["accuracy"]
    assert measured < 0.5


STARTER_EARNS = {
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
    "plots.loss",
    "plots.accuracy",
}


@pytest.mark.slow
def test_the_starter_runs_and_earns_only_what_it_gives(records: dict[str, dict]) -> None:
    record = records["starter"]
    assert all(cell["outcome"] == "ok" for cell in record["cells"]), record["cells"]
    passed = {c["id"] for c in record["checks"] if c["passed"]}
    assert passed == STARTER_EARNS
    assert record["score"] == sum(
        c["max_points"] for c in record["checks"] if c["id"] in STARTER_EARNS
    )


@pytest.mark.slow
@pytest.mark.parametrize("bug", BUGS, ids=[b.name for b in BUGS])
def test_each_planted_bug_names_its_cause_and_only_what_follows_from_it(
    bug: Bug, records: dict[str, dict]
) -> None:
    record = records[bug.name]
    assert_record(record, cascades(bug.name, record, bug.may_fail))


@pytest.mark.slow
def test_the_starters_consequences_follow_their_causes(records: dict[str, dict]) -> None:
    assert_record(records["starter"], cascades("starter", records["starter"]))


@pytest.mark.slow
def test_a_missing_one_hot_leads_every_writer_with_its_cause(
    planted_out: Path,
    records: dict[str, dict],
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The issue's example: a missing one-hot fails the labels, the history, the accuracy and both
    curves; every writer shows the labels first and the four others under them."""
    record = records["no_onehot"]
    expected = CASCADES["no_onehot"]
    assert_record(record, expected)
    page = (planted_out / "feedback" / "no_onehot.html").read_text(encoding="utf-8")
    assert_page(page, record, expected)
    assert_junit((planted_out / "junit.xml").read_text(encoding="utf-8"), record, expected)
    assert_items(items_of(pytester, monkeypatch, record), record, expected)


@pytest.mark.slow
def test_the_record_carries_the_accuracy_the_verdict_judged(records: dict[str, dict]) -> None:
    """``measured.accuracy`` is the first measurement, ``judged_accuracy`` the mean of every trial
    (the one the accuracy check compared with the threshold)."""
    measured = [
        (name, r["measured"])
        for name, r in records.items()
        if r.get("measured") and r["measured"]["error"] is None and r["measured"]["trials"]
    ]
    assert measured
    for name, found in measured:
        accuracies = [trial["accuracy"] for trial in found["trials"]]
        assert found["accuracy"] == accuracies[0], name
        assert found["judged_accuracy"] == pytest.approx(sum(accuracies) / len(accuracies)), name
