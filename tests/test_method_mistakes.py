"""Natural mistakes of method, each alone in a copy of the lecture notebook, graded end to end:
the check that names the mistake fails with the message that names it, no failed check names
another cause, and the correct variants (data shuffled with its labels, a subset of the test set
evaluated by the student) earn full marks.  The grader's accuracy is always measured on the
dataset's own test split, prepared as the student prepared theirs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from tests.conftest import LECTURE, finished, grade_many, mutate

FIT = "history = model.ﬁt(x_train, y_train, "
EVALUATE = "score = model.evaluate(x_test, y_test, verbose=0)"
SCALE_TRAIN = "x_train = x_train.astype('float32') / 255"
SCALE_TEST = "x_test = x_test.astype('float32') / 255"
ONE_HOT = "y_test = to_categorical(y_test, 10)"


@dataclass(frozen=True)
class Mistake:
    name: str
    edits: list[tuple[str, str]]
    # Checks that must fail, each with a phrase its message must contain.
    fails: dict[str, str]
    # Checks that may fail, each only with a message that names the same cause.
    may_fail: dict[str, str] = field(default_factory=dict)
    # A phrase one of the record's notes must contain.
    note: str | None = None


MISTAKES = [
    Mistake(
        "trained_on_test",
        [(FIT, "history = model.ﬁt(x_test, y_test, ")],
        {
            "method.train_data": "images model.fit trains on are test images",
            # validation_data=(x_test, y_test): now the very images it trains on.
            "method.validation_data": "are images model.fit trains on",
        },
        {"results.accuracy": "not the training set"},
        note="left out of the grader's measurement",
    ),
    Mistake(
        "evaluated_on_train",
        [(EVALUATE, "score = model.evaluate(x_train, y_train, verbose=0)")],
        {"method.test_data": "you evaluated on (model.evaluate) are training images"},
        note="hold training images",
    ),
    Mistake(
        "validated_on_train",
        [("validation_data=(x_test, y_test)", "validation_data=(x_train, y_train)")],
        {
            "method.validation_data": "100.0% of the validation images are images model.fit",
            "fit.validation": "holds 60000 training images",
        },
    ),
    Mistake(
        "scaled_twice",
        [(SCALE_TRAIN, SCALE_TRAIN + " / 255"), (SCALE_TEST, SCALE_TEST + " / 255")],
        {"data.x_range": "divided by 255 twice"},
        {"results.accuracy": "divided by 255 twice"},
    ),
    Mistake(
        "test_not_scaled",
        [(SCALE_TEST, "x_test = x_test.astype('float32')")],
        {
            "method.same_scaling": "x_test left as raw pixels",
            "data.x_range": "not divided by 255",
        },
        {"results.accuracy": "left as raw pixels"},
    ),
    Mistake(
        "labels_shuffled_apart",
        [(ONE_HOT, ONE_HOT + "\ny_train = y_train[np.random.default_rng(0).permutation(60000)]")],
        {"data.y_agree": "holds the right labels in another order"},
        {"results.accuracy": "labels that are not the classes of their images"},
    ),
    Mistake(
        "labels_offset",
        [(FIT, "history = model.ﬁt(x_train[1:], y_train[:-1], ")],
        {"data.y_agree": "is the label of image i-1"},
        {"results.accuracy": "labels that are not the classes of their images"},
    ),
    # Labels in step with their images, their values changed: not a shuffle, not a slice.
    Mistake(
        "labels_relabelled",
        [
            (
                "y_train = to_categorical(y_train, 10)",
                "y_train = to_categorical((y_train + 1) % 10, 10)",
            )
        ],
        {"data.y_agree": "each image of a class carries another class's label (0 → 1, 1 → 2"},
        {"results.accuracy": "labels that are not the classes of their images"},
    ),
    Mistake(
        "standardised",
        [
            (
                SCALE_TEST,
                SCALE_TEST + "\nmean, std = x_train.mean(), x_train.std()\n"
                "x_train, x_test = (x_train - mean) / std, (x_test - mean) / std",
            )
        ],
        {"data.x_range": "standardised ((x - mean) / std)"},
    ),
    # A subset of the training set, too small to learn from: the accuracy says so.
    Mistake(
        "few_training_images",
        [(FIT, "history = model.ﬁt(x_train[:300], y_train[:300], ")],
        {"results.accuracy": "model.fit trains on only 300 of the 60000 training images"},
    ),
    # to_categorical twice: labels of shape (N, 10, 10); fit fails, and everything rests on it.
    Mistake(
        "one_hot_twice",
        [(ONE_HOT, ONE_HOT + "\ny_train = to_categorical(y_train, 10)")],
        {
            "data.y_onehot": "to_categorical was applied to labels that were already one-hot",
            "run.cells": "raised an error",
        },
        {
            "data.y_agree": "could not be compared with its images",
            "fit.history": "no finished fit",
            "results.accuracy": "training failed",
            "plots.loss": "no training history",
            "plots.accuracy": "no training history",
        },
    ),
    # Class numbers with the sparse loss: the same training, not the form taught; one point.
    Mistake(
        "class_numbers_sparse_loss",
        [
            ("y_train = to_categorical(y_train, 10)\n", ""),
            (ONE_HOT, ""),
            ("loss='categorical_crossentropy'", "loss='sparse_categorical_crossentropy'"),
        ],
        {"data.y_onehot": "with loss='sparse_categorical_crossentropy' that trains the same model"},
    ),
    # Correct, written another way: full marks.
    Mistake(
        "transposed_alike",
        [
            (
                ONE_HOT,
                ONE_HOT + "\nx_train = x_train.transpose(0, 2, 1, 3)\n"
                "x_test = x_test.transpose(0, 2, 1, 3)",
            )
        ],
        {},
        note="each transposed (rows and columns swapped): the grader traced them so",
    ),
    Mistake(
        "shuffled_with_labels",
        [
            (
                ONE_HOT,
                ONE_HOT + "\np = np.random.default_rng(0).permutation(60000)\n"
                "x_train, y_train = x_train[p], y_train[p]",
            )
        ],
        {},
    ),
    # The student's own evaluation on the test images their model gets right: a fact about their
    # notebook; the grader's accuracy is on the whole test set.
    Mistake(
        "evaluated_on_the_right_ones",
        [
            (
                EVALUATE,
                "x_some, y_some = x_test[:1000], y_test[:1000]\n"
                "right = np.argmax(model.predict(x_some, verbose=0), axis=1) == "
                "np.argmax(y_some, axis=1)\n"
                "score = model.evaluate(x_some[right], y_some[right], verbose=0)",
            )
        ],
        {},
        note="the grader's measurement uses the whole test set",
    ),
]


@pytest.fixture(scope="module")
def records(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    folder = tmp_path_factory.mktemp("method")
    paths = [mutate(LECTURE, folder / f"{m.name}.ipynb", m.edits) for m in MISTAKES]
    # Generous limits: the batch runs beside the rest of the suite on a loaded machine.
    limits = ("--cell-timeout", "60", "--total-timeout", "600")
    return finished(grade_many("week8", paths, folder / "out", *limits), folder / "out")


@pytest.mark.slow
@pytest.mark.parametrize("mistake", MISTAKES, ids=[m.name for m in MISTAKES])
def test_each_mistake_is_told_its_cause_and_nothing_else(
    mistake: Mistake, records: dict[str, dict]
) -> None:
    record = records[mistake.name]
    assert record["status"] == "graded", record.get("error")
    checks = {c["id"]: c for c in record["checks"]}
    for check_id, phrase in mistake.fails.items():
        assert not checks[check_id]["passed"], f"{check_id} should fail for {mistake.name}"
        assert phrase in checks[check_id]["message"], checks[check_id]["message"]
    failed = {i: c["message"] for i, c in checks.items() if not c["passed"]}
    others = {
        i: message
        for i, message in failed.items()
        if i not in mistake.fails and not (i in mistake.may_fail and mistake.may_fail[i] in message)
    }
    assert not others, others
    for check_id in failed.keys() & mistake.may_fail.keys():
        assert checks[check_id].get("caused_by") in mistake.fails, (check_id, checks[check_id])
    if not mistake.fails:
        assert record["score"] == record["max_score"]
    if mistake.note is not None:
        assert any(mistake.note in note for note in record["notes"]), record["notes"]


@pytest.mark.slow
def test_the_grader_measures_on_the_whole_test_split_whatever_the_student_evaluated(
    records: dict[str, dict],
) -> None:
    """On all 10,000 test images, not the 639 or so the student's model gets right, nor the
    60,000 training images they evaluated on; the images a model trains on are left out."""
    for name in ("evaluated_on_the_right_ones", "evaluated_on_train", "scaled_twice"):
        assert records[name]["measured"]["test_samples"] == 10000, name
    measured = records["trained_on_test"]["measured"]
    assert measured["test_samples"] == 10000 - measured["samples"]
    assert 0.05 < records["scaled_twice"]["measured"]["accuracy"] < 0.75
