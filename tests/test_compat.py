"""A notebook written on Colab for Keras 2 grades as it would run there: Colab's usual first
cells (Drive, ``!pip install``, ``!nvidia-smi``, ``%matplotlib inline``) and the removed Keras 2
module paths cost no point; the report lists each as a note."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from grader.boundary.execution import CellError, CellRun
from grader.evidence.hints import hint_for
from tests.conftest import copied_assignment

ROOT = Path(__file__).resolve().parent.parent
COLAB_CELLS = [
    "from google.colab import drive\ndrive.mount('/content/drive')",
    "!pip install tensorflow numpy",
    "%pip install surely-not-installed-7c1e",
    "!nvidia-smi",
    "%matplotlib inline",
    "from google.colab import files\nuploaded = files.upload()",
]
KERAS2_IMPORTS = (
    "from keras.utils.np_utils import to_categorical\n"
    "from keras.layers.core import Dense, Dropout, Flatten\n"
    "from tensorflow.keras.layers.convolutional import Conv2D\n"
    "from keras.layers.pooling import MaxPooling2D\n"
)


def _colab_keras2_lecture(path: Path) -> None:
    lecture = json.loads(
        (ROOT / "assignments" / "week8" / "examples" / "lecture.ipynb").read_text(encoding="utf-8")
    )
    code = [c for c in lecture["cells"] if c["cell_type"] == "code"]
    first = "".join(code[0]["source"]).replace(
        "from tensorflow.keras.layers import Conv2D, MaxPooling2D, Dropout, Flatten, Dense\n", ""
    )
    first = (
        first.replace("from tensorflow.keras.utils import to_categorical\n", "")
        + "\n"
        + KERAS2_IMPORTS
    )
    sources = COLAB_CELLS + [first] + ["".join(c["source"]) for c in code[1:]]
    cells = [
        {"cell_type": "code", "source": s, "metadata": {}, "execution_count": None, "outputs": []}
        for s in sources
    ]
    path.write_text(
        json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}),
        encoding="utf-8",
    )


@pytest.mark.slow
def test_colab_boilerplate_and_keras2_paths_cost_no_point(tmp_path: Path) -> None:
    notebook = tmp_path / "colab.ipynb"
    _colab_keras2_lecture(notebook)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "grader",
            "grade",
            "--assignment",
            "week8",
            "--lang",
            "en",
            "--out",
            str(tmp_path / "out"),
            str(notebook),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env=dict(os.environ, PYTHONPATH=str(ROOT), COLUMNS="120"),
    )
    assert done.returncode == 0, done.stdout[-3000:]
    record = json.loads((tmp_path / "out" / "colab.json").read_text(encoding="utf-8"))
    assert record["score"] == record["max_score"], [c for c in record["checks"] if not c["passed"]]
    assert [c["outcome"] for c in record["cells"]] == ["ok"] * len(record["cells"])
    notes = "\n".join(record["notes"])
    for old, new in (
        ("keras.utils.np_utils", "keras.utils"),
        ("keras.layers.core", "keras.layers"),
        ("tensorflow.keras.layers.convolutional", "tensorflow.keras.layers"),
        ("keras.layers.pooling", "keras.layers"),
    ):
        assert (
            f"imports `{old}`, a Keras 2 path that Keras 3 removed; the grader gave it `{new}`"
            in notes
        )
    assert "Colab-only calls (drive.mount, files.upload) did nothing" in notes
    assert "`pip install` of tensorflow, numpy installed nothing" in notes
    assert (
        "`pip install` of surely-not-installed-7c1e: not part of the course's grading environment"
        in notes
    )


@pytest.mark.parametrize(
    ("name", "value", "source", "hint"),
    [
        # The error raised decides, not an idiom elsewhere in the cell.
        (
            "ModuleNotFoundError",
            "No module named 'sklearn'",
            "from keras.utils import np_utils\nimport sklearn",
            "missing_module",
        ),
        (
            "ImportError",
            "cannot import name 'np_utils' from 'keras.utils'",
            "from keras.utils import np_utils",
            "np_utils",
        ),
        (
            "PermissionError",
            "[Errno 13] Permission denied: '/etc/shadow'",
            "open('/etc/shadow')",
            "sandbox_denied",
        ),
    ],
)
def test_the_hint_follows_the_error_actually_raised(
    name: str, value: str, source: str, hint: str
) -> None:
    assert hint_for(CellRun(1, source, "error", 0.1, CellError(name, value, ""))) == hint


@pytest.mark.slow
def test_the_kernel_has_the_scientific_stack_students_import(tmp_path: Path) -> None:
    from grader.boundary.execution import Limits
    from grader.sandbox.runner import run_submission
    from grader.submissions.cells import Cell, Submission

    source = (
        "import pandas as pd, seaborn as sns, scipy, skimage, PIL\n"
        "from sklearn.metrics import confusion_matrix\n"
        "from sklearn.model_selection import train_test_split\n"
        "print(confusion_matrix([0, 1, 1], [0, 1, 0]).tolist(), len(pd.DataFrame({'loss': [1.0, "
        "0.5]})))"
    )
    budget = {"fit_samples": 32, "validation_samples": 32, "evaluate_samples": 32, "max_epochs": 1}
    execution = run_submission(
        Submission(tmp_path / "stack.py", (Cell(1, source),)),
        tmp_path,
        Limits(120, 180, 4000, 65536),
        budget,
    )
    assert execution.cells[0].outcome == "ok", execution.cells[0].error
    assert "[[1, 0], [1, 1]] 2" in execution.cells[0].output


def test_a_missing_module_is_named_in_a_note_with_its_cell() -> None:
    from grader.evidence.compat_notes import missing_module_notes

    cells = (
        CellRun(1, "import numpy", "ok", 0.1),
        CellRun(
            2,
            "import torch\nmodel = torch.nn.Linear(2, 2)",
            "error",
            0.1,
            CellError("ModuleNotFoundError", "No module named 'torch'", ""),
        ),
        CellRun(
            3,
            "import x",
            "error",
            0.1,
            CellError("ModuleNotFoundError", "No module named '$(rm -rf)'", ""),
        ),
    )
    notes = missing_module_notes(cells)
    assert [(n.key, n.params) for n in notes] == [
        ("note.missing_module", {"cell": 2, "module": "torch"})
    ]
    from grader.messages import text

    assert text("en", "note", "missing_module", **notes[0].params).startswith(
        "Cell 2 stopped at `import torch`"
    )


@pytest.mark.slow
@pytest.mark.parametrize("served", [True, False], ids=["keras2_paths", "plain_keras3"])
def test_an_assignment_can_turn_off_the_keras2_paths_and_the_hint_says_why(
    tmp_path: Path, served: bool
) -> None:
    """``[compat] keras2_paths = false``: the old import fails as in plain Keras 3 (Colab too, with
    ``colab = false``), and the hint and the note name the Keras 2 path and where to import from."""
    from grader.boundary.execution import Limits
    from grader.evidence.compat_notes import missing_module_notes
    from grader.messages import text
    from grader.sandbox.runner import run_submission
    from grader.submissions.cells import Cell, Submission

    cells = (
        Cell(1, "from keras.layers.core import Dense\nprint(Dense(3).units)"),
        Cell(2, "from google.colab import drive"),
    )
    budget = {"fit_samples": 8, "validation_samples": 8, "evaluate_samples": 8, "max_epochs": 1}
    runs = run_submission(
        Submission(tmp_path / "old.py", cells),
        tmp_path,
        Limits(120, 180, 4000, 65536),
        budget,
        compat={"keras2_paths": served, "colab": served},
    ).cells
    if served:
        assert [run.outcome for run in runs] == ["ok", "ok"], [run.error for run in runs]
        return
    keras2, colab = runs
    assert keras2.error is not None and keras2.error.name == "ModuleNotFoundError", keras2.error
    assert hint_for(keras2) == "keras2_path"
    assert "Keras 2 module path that Keras 3 removed" in text("en", "hint", "keras2_path")
    assert [(n.key, n.params) for n in missing_module_notes(tuple(runs))] == [
        ("note.legacy_refused", {"cell": 1, "old": "keras.layers.core", "new": "keras.layers"}),
        ("note.missing_module", {"cell": 2, "module": "google.colab"}),
    ]
    assert colab.error is not None and colab.error.name == "ModuleNotFoundError"


def test_the_compat_switches_are_read_from_the_assignment(tmp_path: Path) -> None:
    from grader.course.assignment import AssignmentError, Switches, load_assignment

    assert load_assignment("week8").compat == Switches(True, True)
    toml = copied_assignment("week8", tmp_path)
    original = toml.read_text(encoding="utf-8")
    toml.write_text(original + "\n[compat]\nkeras2_paths = false\n", encoding="utf-8")
    assert load_assignment("week8", tmp_path).compat == Switches(keras2_paths=False, colab=True)
    toml.write_text(original + "\n[compat]\nkeras2_path = false\n", encoding="utf-8")
    with pytest.raises(AssignmentError, match=r"\[compat\]"):
        load_assignment("week8", tmp_path)
