"""A student who follows an assignment's seed article faithfully gets full marks.

``tests/articles/<assignment>.ipynb`` transcribes each article's cells with only the Keras 3
changes (week 8's article is its lecture notebook, ``examples/lecture.ipynb``). Each is graded
by ``grader grade`` with the assignment as shipped: every check that is not an extra passes,
and the report names the extras that were not graded. A subclassed model (``class
Net(keras.Model)``) rides along in week 8's batch: every check that needs no rebuild runs, the
others are skipped with a message, and a note says why.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from grader.assignment import load_assignment
from tests.conftest import LECTURE, ROOT, finished, grade_many

ARTICLES = ROOT / "tests" / "articles"
ASSIGNMENTS = ("week8", "mlp", "mnist-cnn", "cifar10", "save-load")
# What each assignment asks beyond its article, not graded by default.
EXTRAS = {"mlp": {"plots.loss", "plots.accuracy"}, "mnist-cnn": {"plots.accuracy", "plots.feature_maps_layers"}}
SUBCLASSED_MODEL = '''import keras
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

model = Net()'''
# Checks that need the model rebuilt from its config, which a subclassed model does not have.
NEEDS_REBUILD = {"model.layers", "model.output_shapes", "model.params", "results.accuracy"}


def article(name: str) -> Path:
    return LECTURE if name == "week8" else ARTICLES / f"{name}.ipynb"


def subclassed(folder: Path) -> Path:
    """The lecture with its Sequential model replaced by a subclass of keras.Model."""
    notebook = json.loads(LECTURE.read_text(encoding="utf-8"))
    cell = next(c for c in notebook["cells"] if "model = Sequential()" in "".join(c["source"]))
    cell["source"] = SUBCLASSED_MODEL
    path = folder / "subclassed.ipynb"
    path.write_text(json.dumps(notebook), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def records(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, dict]]:
    """Each article graded by its assignment, one ``grader grade`` process each, all at once."""
    outs = {name: tmp_path_factory.mktemp(name) for name in ASSIGNMENTS}
    extra = {"week8": [subclassed(tmp_path_factory.mktemp("notebooks"))]}
    batches = {name: grade_many(name, [article(name), *extra.get(name, [])], outs[name], jobs=1) for name in ASSIGNMENTS}
    return {name: finished(batch, outs[name]) for name, batch in batches.items()}


@pytest.mark.slow
@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_the_article_earns_full_marks(name: str, records: dict) -> None:
    record = records[name][article(name).stem]
    assert record["status"] == "graded", record.get("error")
    checks = {c["id"]: c for c in record["checks"]}
    failed = {i: c["message"] for i, c in checks.items() if c["status"] not in ("passed", "skipped")}
    assert not failed
    assert record["score"] == record["max_score"] > 0
    # Only the accuracy on generated data is not judged (CIFAR-10 is not provisioned here).
    assert {i for i, c in checks.items() if c["status"] == "skipped"} <= ({"results.accuracy"} if record["synthetic_data"] else set())
    assert not set(checks) & EXTRAS.get(name, set())
    notes = "\n".join(record["notes"])
    if name in EXTRAS:
        assert "Not graded in this course: " in notes
    else:
        assert "Not graded in this course" not in notes


@pytest.mark.slow
def test_the_articles_filters_and_maps_count_in_their_own_units(records: dict) -> None:
    """mnist_cnn draws its second layer's filters as the input channels of filter 0, and its
    feature maps as channel 0 of 16 images; both are whole drawings in their unit."""
    checks = {c["id"]: c for c in records["mnist-cnn"]["mnist-cnn"]["checks"]}
    assert checks["plots.filters"]["passed"] and checks["plots.feature_maps"]["passed"]
    assert checks["plots.filters"]["max_points"] == 2 and checks["plots.feature_maps"]["max_points"] == 2


@pytest.mark.slow
def test_a_subclassed_model_gets_every_check_that_needs_no_rebuild(records: dict) -> None:
    record = records["week8"]["subclassed"]
    assert record["status"] == "graded", record.get("error")
    checks = {c["id"]: c for c in record["checks"]}
    for check_id in NEEDS_REBUILD:
        assert (checks[check_id]["status"], checks[check_id]["max_points"]) == ("skipped", 0), checks[check_id]
        assert "Net is a subclass" in checks[check_id]["message"] or "Net is a subclassed model" in checks[check_id]["message"]
    judged = {i: c for i, c in checks.items() if i not in NEEDS_REBUILD}
    assert all(c["passed"] for c in judged.values()), {i: c["message"] for i, c in judged.items() if not c["passed"]}
    assert record["score"] == record["max_score"] == sum(c["max_points"] for c in judged.values())
    assert any("Your model, Net, subclasses keras.Model" in note for note in record["notes"])


def test_extras_are_graded_only_when_the_instructor_turns_them_on(tmp_path: Path) -> None:
    shipped = load_assignment("mnist-cnn")
    assert set(shipped.extras) == EXTRAS["mnist-cnn"] and not EXTRAS["mnist-cnn"] & set(shipped.points)
    folder = tmp_path / "mnist-cnn"
    folder.mkdir()
    for path in (ROOT / "grader" / "assignments" / "mnist-cnn").iterdir():
        if path.is_file():
            (folder / path.name).write_bytes(path.read_bytes())
    toml = folder / "assignment.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("graded = false", "graded = true"), encoding="utf-8")
    graded = load_assignment("mnist-cnn", tmp_path)
    assert not graded.extras and EXTRAS["mnist-cnn"] <= set(graded.points)
    assert graded.max_score == shipped.max_score + sum(shipped.extras.values())
