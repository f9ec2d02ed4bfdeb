"""``grader new NAME``: a new assignment folder an instructor fills in.

It writes ``assignments/NAME/`` (a commented ``assignment.toml``, a starter notebook, an
example custom check) and ``reference/<name>.py``, a working reference to edit: a small
dense network on MNIST, so the new assignment grades from the first minute and every
piece shows its shape.  ``docs/authoring.md`` walks through the same files.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

NAME = re.compile(r"^[a-z][a-z0-9-]{0,39}$")

TOML = '''# {name}: what is the instructor's to choose.  What a correct solution *is* (shapes,
# layers, settings) comes from the reference module below; see docs/authoring.md.
dataset = "mnist"                      # mnist, fashion_mnist or cifar10 (served offline)
reference = "reference.{module}"

[title]
en = "{name}: a dense network on MNIST"
ja = "{name}: MNIST の全結合ネットワーク"

# What the student's notebook may use; beyond these it is stopped and graded as far as it ran.
[limits]
cell_timeout_s = 120
total_timeout_s = 300
memory_mb = 4000
output_kb = 256

# The student's own fit keeps their epochs and batch size but sees at most this many samples,
# so a 20-epoch notebook grades in seconds.
[budget]
fit_samples = 256
validation_samples = 256
evaluate_samples = 1000
max_epochs = 20

# The grader trains the student's architecture itself (fixed seed) on `samples` training
# images for `epochs` and evaluates it on the whole test set.  Calibrate `threshold` by
# grading the solution: put it safely below the accuracy the reference reaches here.
[measure]
samples = 4000
epochs = 2
threshold = 0.85
reference_accuracy = 0.92
seed = 0

# Built-in checks and their points (`grader list` shows assignments; the ids are in
# grader/checks/*.py).  Checks written as pytest tests (test_*.py here) add their own
# points with @pytest.mark.points(n).
[points]
"run.cells" = 1
"data.x_shape" = 1
"data.x_dtype" = 1
"data.x_range" = 1
"data.y_onehot" = 1
"model.layers" = 2
"model.params" = 1
"compile.loss" = 1
"compile.optimizer" = 1
"fit.batch_size" = 1
"fit.epochs" = 1
"fit.validation" = 1
"results.accuracy" = 3
'''

REFERENCE = '''"""{name}: a dense network on MNIST (edit me: this is the assignment's correct solution).

784-128-10 with ReLU then softmax, 101,770 parameters; Adam, 5 epochs in batches of 128,
validated on the test set.  The grader reads the constants and ``build_model`` below as
the truth the student's notebook is compared with.
"""

import keras

from reference.binding import alike
from reference.data import Data, load_mnist

INPUT_SHAPE = (784,)
DATASET = "mnist"
NUM_CLASSES = 10
LOSS = "categorical_crossentropy"
OPTIMIZER = "adam"
METRICS = ("accuracy",)
BATCH_SIZE = 128
EPOCHS = 5
VALIDATION_SPLIT = None  # None: validate on the test set
PARAMS = 101_770
PUBLISHED_ACCURACY = None  # the accuracy your lecture reports, if any


def prepare_data() -> Data:
    return load_mnist(INPUT_SHAPE, NUM_CLASSES)


def build_model() -> keras.Sequential:
    return keras.Sequential([
        keras.Input(shape=INPUT_SHAPE),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dense(NUM_CLASSES, activation="softmax"),
    ])



# Compiled with the settings above, trained validating on the test set, evaluated on it
# (reference/common.py; "train_on_split" validates on VALIDATION_SPLIT of the training set).
compile_model, train, evaluate = alike(globals(), "compile_model", "train", "evaluate")
'''

CUSTOM_TEST = '''"""{name}: checks assignment.toml cannot express, as ordinary pytest tests.

The grader runs them on the student's results as data (fixtures: x_train, y_train,
x_test, y_test, arrays, model, compile_settings, fit_settings, history, figures,
accuracy, saved_models, facts, expected); see docs/authoring.md.
"""

import pytest

from grader.assertions import assert_layers, assert_shape, fail


@pytest.mark.points(1)
@pytest.mark.title(en="images flattened to (N, 784)", ja="画像は (N, 784) に平坦化")
def test_flat_images(x_train, x_test):
    assert_shape(x_train, (None, 784), "x_train")
    assert_shape(x_test, (None, 784), "x_test")


@pytest.mark.points(2)
@pytest.mark.title(en="one hidden layer of 128 units", ja="ユニット数 128 の隠れ層が 1 つ")
def test_one_hidden_layer(model):
    assert_layers(model, ["Dense", "Dense"])
    units = model.layers[0].config.get("units")
    if units != 128:
        fail(expected={{"en": "a hidden Dense layer of 128 units", "ja": "ユニット数 128 の隠れ層 (Dense)"}},
             found={{"en": f"{{units}} units", "ja": f"ユニット数 {{units}}"}},
             fix="Dense(128, activation='relu')")
'''

STARTER_CELLS = (
    ("markdown", "# {name}\n\nTrain a dense network on MNIST: 784 → Dense(128, relu) → Dense(10, softmax).\n\n"
                 "MNIST を全結合ネットワークで学習させます。`TODO` のセルを埋めてください。"),
    ("code", "import keras\nfrom keras.datasets import mnist\nfrom keras.utils import to_categorical"),
    ("code", "(x_train, y_train), (x_test, y_test) = mnist.load_data()\n"
             "# TODO: flatten the images to (N, 784), scale them to [0, 1] as float32, one-hot encode the labels\n"),
    ("code", "# TODO: build `model`, compile it (categorical_crossentropy, adam, metrics=['accuracy'])\n"),
    ("code", "# TODO: history = model.fit(x_train, y_train, batch_size=128, epochs=5, validation_data=(x_test, y_test))\n"),
)


class ScaffoldError(Exception):
    """The assignment cannot be created; the message says why."""


@dataclass(frozen=True)
class Scaffold:
    written: tuple[Path, ...]
    next_steps: str


def _starter(name: str) -> nbformat.NotebookNode:
    cells = [nbformat.v4.new_markdown_cell(text.format(name=name)) if kind == "markdown" else nbformat.v4.new_code_cell(text)
             for kind, text in STARTER_CELLS]
    for index, cell in enumerate(cells):
        cell.id = f"starter-{index:02d}"
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
    return notebook


def scaffold(name: str, assignments: Path) -> Scaffold:
    """Create ``assignments/NAME/`` and ``reference/<module>.py`` beside ``assignments``; never overwrite."""
    module = name.replace("-", "_")
    if not NAME.match(name) or keyword.iskeyword(module):
        raise ScaffoldError(f"{name!r} is not a usable name: use lowercase letters, digits and '-', starting with a letter")
    project = assignments.parent
    folder = assignments / name
    reference = project / "reference" / f"{module}.py"
    for existing in (folder, reference):
        if existing.exists():
            raise ScaffoldError(f"{existing} already exists")
    files = {
        folder / "assignment.toml": TOML.format(name=name, module=module),
        reference: REFERENCE.format(name=name),
        folder / f"test_{module}.py": CUSTOM_TEST.format(name=name),
        folder / "starter.ipynb": nbformat.writes(_starter(name)),
    }
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    steps = (f"Next: edit {reference.relative_to(project)} (the correct solution) and the files in "
             f"{folder.relative_to(project)}; add \"{name}\": \"reference.{module}\" to EXERCISES in reference/__init__.py "
             f"and run `python -m reference.notebooks` to write the solution notebook and `grader build {name}` to "
             f"compile what grading reads (expected.json); grade it with "
             f"`grader grade --assignments {folder.parent.relative_to(project)} --assignment {name} "
             f"{folder.relative_to(project)}/solution.ipynb` to calibrate the threshold "
             "(docs/authoring.md).")
    return Scaffold(tuple(files), steps)
