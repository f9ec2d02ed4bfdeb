"""A student who follows an assignment's seed article faithfully gets full marks; a
subclassed model gets every check that needs no rebuild.

Each article (``tests/articles/<assignment>.ipynb``: its cells with only the Keras 3 changes)
is graded in the batch its assignment's test module grades anyway (``test_assignments``,
``test_save_load``); week 8's article, its lecture notebook, is graded here beside a subclassed
model (``class Net(keras.Model)`` with ``call``): the checks that need the model rebuilt are
skipped with a message, the others graded as usual, and a note says why.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from grader.course.assignment import load_assignment
from tests.article_marks import EXTRAS, article, assert_full_marks
from tests.conftest import LECTURE, copied_assignment, finished, grade_many

SUBCLASSED_MODEL = """import keras
from keras import layers

class Net(keras.Model):
    def __init__(self):
        super().__init__()
        self.conv1 = layers.Conv2D(64, (3, 3), padding='same', activation='relu')
        self.conv2 = layers.Conv2D(128, (3, 3), activation='relu')
        self.pool = layers.MaxPooling2D(pool_size=(2, 2))
        self.flat = layers.Flatten()
        self.dense = layers.Dense(128, activation='relu')
        self.out = layers.Dense(10, activation='softmax')

    def call(self, x):
        x = self.pool(self.conv2(self.pool(self.conv1(x))))
        return self.out(self.dense(self.flat(x)))

model = Net()"""
# Checks that need the model rebuilt from its config, which a subclassed model does not have.
NEEDS_REBUILD = {"model.layers", "model.output_shapes", "model.params", "results.accuracy"}


def subclassed(folder: Path) -> Path:
    """The lecture with its Sequential model replaced by a subclass of keras.Model."""
    notebook = json.loads(LECTURE.read_text(encoding="utf-8"))
    cell = next(c for c in notebook["cells"] if "model = Sequential()" in "".join(c["source"]))
    cell["source"] = SUBCLASSED_MODEL
    path = folder / "subclassed.ipynb"
    path.write_text(json.dumps(notebook), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def records(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    """Week 8's article and the subclassed model, graded in one ``grader grade`` batch."""
    out = tmp_path_factory.mktemp("week8")
    return finished(
        grade_many(
            "week8", [article("week8"), subclassed(tmp_path_factory.mktemp("notebooks"))], out
        ),
        out,
    )


@pytest.mark.slow
def test_the_week8_article_earns_full_marks(records: dict) -> None:
    assert_full_marks("week8", records[LECTURE.stem])


@pytest.mark.slow
def test_a_subclassed_model_gets_every_check_that_needs_no_rebuild(records: dict) -> None:
    record = records["subclassed"]
    assert record["status"] == "graded", record.get("error")
    checks = {c["id"]: c for c in record["checks"]}
    for check_id in NEEDS_REBUILD:
        assert (checks[check_id]["status"], checks[check_id]["max_points"]) == ("skipped", 0), (
            checks[check_id]
        )
        assert (
            "Net is a subclass" in checks[check_id]["message"]
            or "Net is a subclassed model" in checks[check_id]["message"]
        )
    judged = {i: c for i, c in checks.items() if i not in NEEDS_REBUILD}
    assert all(c["passed"] for c in judged.values()), {
        i: c["message"] for i, c in judged.items() if not c["passed"]
    }
    assert record["score"] == record["max_score"] == sum(c["max_points"] for c in judged.values())
    assert any("Your model, Net, subclasses keras.Model" in note for note in record["notes"])


def test_extras_are_graded_only_when_the_instructor_turns_them_on(tmp_path: Path) -> None:
    shipped = load_assignment("mnist-cnn")
    assert set(shipped.extras) == EXTRAS["mnist-cnn"] and not EXTRAS["mnist-cnn"] & set(
        shipped.points
    )
    toml = copied_assignment("mnist-cnn", tmp_path)
    toml.write_text(
        toml.read_text(encoding="utf-8").replace("graded = false", "graded = true"),
        encoding="utf-8",
    )
    graded = load_assignment("mnist-cnn", tmp_path)
    assert not graded.extras and EXTRAS["mnist-cnn"] <= set(graded.points)
    assert graded.max_score == shipped.max_score + sum(shipped.extras.values())
