"""The save-load assignment: the solution earns full marks, each planted mistake fails the
right check, the starter earns only the given parts, both front ends give the same custom
verdicts, and hostile model files end as a failed check with a reason (never a traceback,
never code run in the grader)."""

from __future__ import annotations

import base64
import io
import json
import marshal
import zipfile
from pathlib import Path

import h5py
import nbformat
import numpy as np
import pytest

from grader.checks.catalog import load_all
from grader.evidence.facts import Facts
from grader.evidence.reading import read_evidence
from grader.evidence.reloading import saving_facts
from grader.messages import one_line
from grader.model.architecture import parse_architecture
from grader.model.saved_files import MAX_FILE_BYTES, ModelFileError, read_keras_archive
from grader.sandbox.kernel.recorder import ARRAYS_DIR, EVENTS_FILE, MODELS_DIR
from grader.sandbox.runner import Execution
from tests.article_marks import article, assert_full_marks
from tests.cascade import assert_items, assert_junit, assert_page, assert_record
from tests.conftest import (
    SAVE_LOAD,
    PytestRun,
    finished,
    grade_many,
    graded_under_pytest,
    mutate,
)

SAVING_CHECKS = {"saving.keras", "saving.h5", "saving.json_weights", "saving.reloaded_predictions"}
PLANTED = {
    "saved_before_training": {
        "saving.keras": "was it saved before training?",
        "saving.reloaded_predictions": "reloaded model's predictions differ",
    },
    "json_without_weights": {
        "saving.json_weights": "load_weights was never called",
        "saving.reloaded_predictions": "reloaded model's predictions differ",
    },
    "no_h5": {
        "saving.h5": "no model was saved as .h5",
        "saving.reloaded_predictions": "reloaded from: .h5",
        "custom.file_names": "saved as model.keras, -, model.weights.h5",
    },
}

# What fails because of what in each planted example: the reloaded predictions follow from the
# format that was not saved or loaded right; a wrong file name is a cause of its own.
CASCADES = {
    "saved_before_training": {"saving.keras": ["saving.reloaded_predictions"]},
    "json_without_weights": {"saving.json_weights": ["saving.reloaded_predictions"]},
    "no_h5": {"saving.h5": ["saving.reloaded_predictions"]},
}


@pytest.fixture(scope="module")
def save_load_records(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    """The save-load solution, English starter and planted examples, graded once in one batch."""
    out = tmp_path_factory.mktemp("save-load-records")
    submissions = [
        SAVE_LOAD / "solution.ipynb",
        SAVE_LOAD / "starter_en.ipynb",
        *(SAVE_LOAD / "examples" / f"{name}.ipynb" for name in PLANTED),
        article("save-load"),
        # A copy trained once more after it was loaded (a fit that raises in Keras 3): the
        # notebook's training is still the one it evaluated.
        mutate(
            SAVE_LOAD / "examples" / "student.ipynb",
            tmp_path_factory.mktemp("save-load-notebooks") / "retrained_copy.ipynb",
            [
                (
                    "h5_copy = load_model('model.h5')",
                    "h5_copy = load_model('model.h5')\n"
                    "h5_copy.fit(x_train[:1000], y_train[:1000], epochs=1, verbose=0)",
                )
            ],
        ),
    ]
    return finished(grade_many("save-load", submissions, out), out)


@pytest.fixture(scope="module")
def save_load_under_pytest(tmp_path_factory: pytest.TempPathFactory) -> PytestRun:
    """A save-load example graded by ``pytest --assignment=save-load``."""
    return graded_under_pytest("save-load", tmp_path_factory.mktemp("student-save-load"))


def checks_of(record: dict) -> dict[str, dict]:
    return {c["id"]: c for c in record["checks"]}


@pytest.mark.slow
def test_solution_earns_full_marks(save_load_records: dict[str, dict]) -> None:
    record = save_load_records["solution"]
    assert record["status"] == "graded"
    assert record["score"] == record["max_score"] == 24
    assert SAVING_CHECKS | {"custom.file_names"} <= set(checks_of(record))


@pytest.mark.slow
def test_the_article_earns_full_marks(save_load_records: dict[str, dict]) -> None:
    """The save-and-load article's cells, with only the Keras 3 changes, earn full marks."""
    assert_full_marks("save-load", save_load_records["save-load"])


@pytest.mark.slow
@pytest.mark.parametrize("name", PLANTED)
def test_planted_mistake_fails_the_right_checks(
    name: str, save_load_records: dict[str, dict]
) -> None:
    checks = checks_of(save_load_records[name])
    for check_id, phrase in PLANTED[name].items():
        assert not checks[check_id]["passed"], check_id
        assert phrase in checks[check_id]["message"], checks[check_id]["message"]
    wrongly_failed = {
        c: v["message"] for c, v in checks.items() if c not in PLANTED[name] and not v["passed"]
    }
    assert not wrongly_failed
    assert_record(save_load_records[name], CASCADES[name])


@pytest.mark.slow
def test_a_copy_trained_after_loading_is_not_read_as_the_training(
    save_load_records: dict[str, dict],
) -> None:
    """Its fit raised (the loaded optimizer does not know the new variables): that cell fails,
    and nothing else: the epochs and the grader's measurement are the evaluated model's."""
    record = save_load_records["retrained_copy"]
    failed = {c: v["message"] for c, v in checks_of(record).items() if not v["passed"]}
    assert set(failed) == {"run.cells"}, failed
    assert record["measured"]["samples"] == 4000


@pytest.mark.slow
def test_starter_earns_the_given_parts_only(save_load_records: dict[str, dict]) -> None:
    record = save_load_records["starter_en"]
    checks = checks_of(record)
    left_to_student = SAVING_CHECKS | {"custom.file_names"}
    assert record["status"] == "graded"
    assert {c for c, v in checks.items() if not v["passed"]} == left_to_student
    assert "no model was saved as .keras" in checks["saving.keras"]["message"]
    assert record["score"] == record["max_score"] - sum(
        checks[c]["max_points"] for c in left_to_student
    )


@pytest.mark.slow
def test_both_front_ends_give_the_same_custom_verdicts(
    save_load_under_pytest: PytestRun, save_load_records: dict[str, dict]
) -> None:
    run = save_load_under_pytest
    pytest.LineMatcher(run.done.stdout.splitlines()).fnmatch_lines(
        [
            "*my_notebook.ipynb::custom::dense_network PASSED*",
            "*my_notebook.ipynb::custom::file_names FAILED*",
            "*files named as the task asks (0/2)*",
        ]
    )
    from_pytest, from_cli = run.record, save_load_records["no_h5"]
    strip = lambda r: [
        (c["id"], c["title"], c["passed"], c["points"], c["max_points"], c["message"])
        for c in r["checks"]
    ]  # noqa: E731
    assert strip(from_pytest) == strip(from_cli)
    assert (
        from_pytest["score"] == from_cli["score"]
        and from_pytest["max_score"] == from_cli["max_score"] == 24
    )


def test_japanese_and_english_starters_have_the_same_code() -> None:
    def code(lang: str) -> list[str]:
        cells = nbformat.read(SAVE_LOAD / f"starter_{lang}.ipynb", as_version=4).cells
        return [c.source.split("# TODO")[0] for c in cells if c.cell_type == "code"]

    assert code("en") == code("ja")
    assert any(
        "# TODO" in c.source
        for c in nbformat.read(SAVE_LOAD / "starter_ja.ipynb", as_version=4).cells
    )


# Hostile and broken model files, judged by the grader's side alone (no kernel).


def sequential(*layers: dict) -> dict:
    return {
        "class_name": "Sequential",
        "config": {
            "name": "sequential",
            "layers": [
                {
                    "class_name": "InputLayer",
                    "config": {"batch_shape": [None, 4], "name": "input_layer"},
                },
                *layers,
            ],
        },
    }


DENSE = [
    {"class_name": "Dense", "config": {"name": "dense", "units": 3, "activation": "relu"}},
    {"class_name": "Dense", "config": {"name": "dense_1", "units": 2, "activation": "softmax"}},
]
RNG = np.random.default_rng(0)
WEIGHTS = {
    "dense": [RNG.random((4, 3), dtype=np.float32), RNG.random(3, dtype=np.float32)],
    "dense_1": [RNG.random((3, 2), dtype=np.float32), RNG.random(2, dtype=np.float32)],
}


def weights_h5(weights: dict[str, list[np.ndarray]]) -> bytes:
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        for name, arrays in weights.items():
            for i, array in enumerate(arrays):
                f[f"layers/{name}/vars/{i}"] = array
    return buffer.getvalue()


def keras_archive(config: dict | str, weights: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("config.json", config if isinstance(config, str) else json.dumps(config))
        archive.writestr("model.weights.h5", weights)
    return buffer.getvalue()


def judge(tmp_path: Path, content: bytes | None, *, write=None) -> tuple[str, str]:
    """Outcome of ``saving.keras`` when the student's loaded ``.keras`` file holds ``content``."""
    for sub in (ARRAYS_DIR, MODELS_DIR):
        (tmp_path / sub).mkdir()
    layers = []
    for name, arrays in WEIGHTS.items():
        refs = []
        for array in arrays:
            refs.append(f"a{sum(len(r) for _, r in layers) + len(refs)}.npy")
            np.save(tmp_path / ARRAYS_DIR / refs[-1], array)
        layers.append([name, refs])
    events = [
        {"kind": "fit_start", "model": "m0"},
        {"kind": "final_weights", "model": "m0", "layers": layers},
        {"kind": "model_saved", "model": "m0", "name": "model.keras", "file": "f0.keras"},
        {"kind": "model_loaded", "model": "m1", "name": "model.keras", "file": "f0.keras"},
    ]
    (tmp_path / EVENTS_FILE).write_text("\n".join(json.dumps(e) for e in events))
    target = tmp_path / MODELS_DIR / "f0.keras"
    if write is not None:
        write(target)
    else:
        target.write_bytes(content or b"")
    facts = Facts(
        Execution("completed", (), 0.0, False),
        "mnist",
        False,
        saving=saving_facts(
            read_evidence(tmp_path), parse_architecture(json.dumps(sequential(*DENSE)))
        ),
    )
    outcome = load_all()["saving.keras"].function(facts, None)
    return outcome.status, one_line(outcome.message, "en") if outcome.message else ""


@pytest.mark.slow
def test_a_faithful_archive_passes(tmp_path: Path) -> None:
    assert judge(tmp_path, keras_archive(sequential(*DENSE), weights_h5(WEIGHTS)))[0] == "passed"


@pytest.mark.slow
def test_other_weights_are_a_difference(tmp_path: Path) -> None:
    other = {name: [a + 1 for a in arrays] for name, arrays in WEIGHTS.items()}
    status, message = judge(tmp_path, keras_archive(sequential(*DENSE), weights_h5(other)))
    assert status == "failed" and "predictions differ by up to" in message


def write_zip_bomb(target: Path) -> None:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("config.json", json.dumps(sequential(*DENSE)))
        archive.writestr("model.weights.h5", bytes(MAX_FILE_BYTES + 1))


def write_huge_file(target: Path) -> None:
    with open(target, "wb") as f:
        f.truncate(MAX_FILE_BYTES + 1)


def lambda_layer(marker: Path) -> dict:
    code = marshal.dumps((lambda x: open(str(marker), "w")).__code__)
    return {
        "class_name": "Lambda",
        "config": {
            "name": "lambda",
            "function": {
                "class_name": "__lambda__",
                "config": {
                    "code": base64.b64encode(code).decode(),
                    "defaults": None,
                    "closure": None,
                },
            },
        },
    }


CUSTOM_LAYER = {
    "class_name": "MyLayer",
    "module": "student_code",
    "registered_name": "Custom>MyLayer",
    "config": {"name": "my_layer", "units": 3},
}
HOSTILE = {
    "zip_bomb": (None, write_zip_bomb, "unpacks to more than 64 MiB"),
    "huge_file": (None, write_huge_file, "larger than 64 MiB"),
    "not_a_zip": (b"PK\x03\x04" + bytes(range(256)) * 4, None, "is damaged"),
    "no_config": (
        b"",
        lambda t: zipfile.ZipFile(t, "w").writestr("model.weights.h5", weights_h5(WEIGHTS)),
        "has no config.json",
    ),
    "config_not_json": (keras_archive("{not json", weights_h5(WEIGHTS)), None, "is not JSON"),
    "custom_layer": (
        keras_archive(sequential(CUSTOM_LAYER, DENSE[1]), weights_h5(WEIGHTS)),
        None,
        "is a MyLayer, which the grader does not rebuild",
    ),
    "weights_of_wrong_shape": (
        keras_archive(
            sequential(*DENSE),
            weights_h5({**WEIGHTS, "dense": [np.zeros((5, 3), np.float32), WEIGHTS["dense"][1]]}),
        ),
        None,
        "have shapes",
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", HOSTILE)
def test_hostile_model_file_is_a_failed_check_with_a_reason(case: str, tmp_path: Path) -> None:
    content, write, phrase = HOSTILE[case]
    status, message = judge(tmp_path, content, write=write)
    assert status == "failed"
    assert phrase in message and "How to fix:" in message


@pytest.mark.slow
def test_a_lambda_layer_is_refused_and_its_code_never_runs(tmp_path: Path) -> None:
    marker = tmp_path / "code-ran"
    status, message = judge(
        tmp_path, keras_archive(sequential(lambda_layer(marker), *DENSE), weights_h5(WEIGHTS))
    )
    assert status == "failed" and "is a Lambda, which the grader does not rebuild" in message
    assert not marker.exists()


def test_links_out_of_an_hdf5_file_are_refused(tmp_path: Path) -> None:
    secret = tmp_path / "secret.h5"
    with h5py.File(secret, "w") as f:
        f["data"] = np.ones((4, 3), np.float32)
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        f["layers/dense/vars/0"] = h5py.ExternalLink(str(secret), "data")
    archive = keras_archive(sequential(*DENSE), buffer.getvalue())
    with pytest.raises(ModelFileError, match="is a link, not data"):
        read_keras_archive(archive, "linked.keras")


@pytest.mark.slow
def test_a_missing_h5_leads_every_writer_with_its_cause(save_load_under_pytest: PytestRun) -> None:
    """Graded by ``pytest --assignment`` with ``--grader-out``: its items and report, and the
    record, feedback page and ``junit.xml`` it wrote, each show the reloaded predictions under
    the missing .h5 file."""
    run, expected = save_load_under_pytest, CASCADES["no_h5"]
    out = run.folder / "records"
    assert_record(run.record, expected)
    assert_page(
        (out / "feedback" / "my_notebook.html").read_text(encoding="utf-8"), run.record, expected
    )
    assert_junit((out / "junit.xml").read_text(encoding="utf-8"), run.record, expected)
    assert_items(run.done.stdout, run.record, expected)
