"""Tampering made visible, end to end: one notebook that has read the grader's source tampers with
the kernel's recording every way the seal and the grader's own checks can see, in one graded
kernel; each attempt is judged by what the record and the class summary say, never by what the
notebook prints."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import nbformat
import pytest

from tests.conftest import LIMITS, WEEK8, edited, grader_cli

pytestmark = pytest.mark.slow

# Before anything is recorded: the attack (the recorder wrapped, so that an SGD notebook
# reports Adam), a helper of the recorder replaced, the garbage collector searched for the seal.
SETUP = """\
import gc, json, os
import grader.sandbox.kernel.boot as _boot
import grader.sandbox.kernel.recorder as _recorder_module
ARTIFACTS = json.loads(os.environ["GRADER_SANDBOX"])["artifacts"]
_rec = _boot._recorder
_original = _rec.event
def _forging(kind, **fields):
    if kind == "compile":
        fields["optimizer"] = "adam"
    return _original(kind, **fields)
_rec.event = _forging
_recorder_module._floats = lambda values: [0.0]
_found = len(gc.get_objects())
"""
# After compiling: the wrapper taken away again, an event forged straight into the recorder, and
# the model's reported configuration made to describe another model.
BEFORE_FIT = """\
del _rec.event
_rec.event("fit_start", model="m0", epochs=20, batch_size=128)
_lie = keras.Sequential(
    [keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax")]
).to_json()
keras.Model.to_json = lambda self: _lie
"""
# After everything was recorded: the training images replaced on disk, an event appended by a
# shell command.
AFTER = """\
import subprocess
np.save(os.path.join(ARTIFACTS, "arrays", "a0.npy"), np.zeros((2, 28, 28, 1), "float32"))
line = '{"kind": "dataset", "name": "mnist", "synthetic": false}'
subprocess.run(["sh", "-c", 'echo "$1" >> "$0"', os.path.join(ARTIFACTS, "events.jsonl"), line])
"""


def attacker(path: Path) -> Path:
    notebook = edited(WEEK8 / "solution.ipynb", [('OPTIMIZER = "adam"', 'OPTIMIZER = "sgd"')])
    code = [i for i, cell in enumerate(notebook.cells) if cell.cell_type == "code"]
    fit = next(i for i in code if "history = train(model, data)" in notebook.cells[i].source)
    notebook.cells.insert(fit, nbformat.v4.new_code_cell(BEFORE_FIT, id="before-fit"))
    notebook.cells.insert(code[0] + 1, nbformat.v4.new_code_cell(SETUP, id="setup"))
    notebook.cells.append(nbformat.v4.new_code_cell(AFTER, id="after"))
    nbformat.write(notebook, path)
    return path


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], str]:
    folder = tmp_path_factory.mktemp("integrity")
    out = folder / "out"
    done = grader_cli(
        "grade",
        "--assignment",
        "week8",
        "--instructor",
        "--out",
        str(out),
        *LIMITS,
        str(attacker(folder / "tamperer.ipynb")),
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    record = json.loads((out / "tamperer.json").read_text(encoding="utf-8"))
    return record, (out / "summary.html").read_text(encoding="utf-8")


def _findings(record: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for finding in record["integrity"]["findings"]:
        found.setdefault(finding["key"], []).append(finding["params"])
    return found


def test_every_attempt_is_named_in_the_records_integrity(graded: tuple[dict, str]) -> None:
    record, _ = graded
    assert record["status"] == "graded" and record["integrity"]["status"] == "tampered"
    findings = _findings(record)
    seen = {params["what"] for params in findings["seen"]}
    # The wrapped recorder: its events are refused, and say so.
    assert "recorded by other code: event compile" in seen
    assert "recorded by other code: event fit_start" in seen  # the forged event
    assert "replaced grader.sandbox.kernel.recorder._floats" in seen
    assert "gc.get_objects" in seen
    # The grader's rebuild of the reported model against the parameters fit trained.
    assert findings["model_mismatch"] == [{"trained": 665738, "rebuilt": 7850}]
    # The files changed after they were recorded.
    assert findings["array_changed"] == [{"names": "a0.npy"}]
    assert len(findings["events_changed"]) == 1
    # Nothing else: the seal was never cut, and the grader's final dump ended under it.
    assert set(findings) == {"seen", "model_mismatch", "array_changed", "events_changed"}
    assert not any("inside the seal" in what for what in seen)


def test_the_wrapped_recorder_does_not_earn_the_forged_optimizer(graded: tuple[dict, str]) -> None:
    record, _ = graded
    optimizer = next(c for c in record["checks"] if c["id"] == "compile.optimizer")
    assert not optimizer["passed"]


def test_the_class_summary_lists_the_tampered_record(graded: tuple[dict, str]) -> None:
    _, summary = graded
    section = summary[summary.index('<section id="integrity">') :]
    assert "tamperer" in section and "gc.get_objects" in section
