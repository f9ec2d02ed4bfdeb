"""The grader's measurements are remembered on disk: reused when every input is the same,
measured again when any differs or the stored entry is not a valid measurement."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from grader.datasets.cache import CACHE_ENV
from grader.measurement import cache as measurement_cache
from grader.model.training import BuildError, Built, LayerMeasure, Training

MEASURED = Training(0.93, 4000, 1, 128, 10_000, 6.5)


@pytest.fixture(autouse=True)
def cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    return tmp_path / measurement_cache.FOLDER


class Counting:
    def __init__(self, result: Training) -> None:
        self.result, self.calls = result, 0

    def __call__(self) -> Training:
        self.calls += 1
        return self.result


def test_a_measurement_is_made_once_and_then_read_back() -> None:
    key = measurement_cache.key("stack", np.zeros((4, 28, 28, 1), np.float32))
    measure = Counting(MEASURED)
    assert measurement_cache.remembered(key, measure) == MEASURED
    assert measurement_cache.remembered(key, measure) == MEASURED
    assert measure.calls == 1


def test_any_different_input_is_a_different_measurement() -> None:
    x = np.zeros((4, 28, 28, 1), np.float32)
    changed = x.copy()
    changed[0, 0, 0, 0] = 1.0
    keys = {
        measurement_cache.key("stack", x),
        measurement_cache.key("stack", changed),
        measurement_cache.key("other stack", x),
        measurement_cache.key("stack", x.reshape(4, 784)),
        measurement_cache.key("stack", x.astype(np.float64)),
    }
    assert len(keys) == 5


def test_a_failed_measurement_is_not_kept(cache: Path) -> None:
    measure = Counting(Training(None, 4000, 1, 128, 10_000, 0.1, "MemoryError: out of memory"))
    for _ in range(2):
        assert measurement_cache.remembered("k", measure).error == "MemoryError: out of memory"
    assert measure.calls == 2
    assert not list(cache.glob("*.json"))


@pytest.mark.parametrize(
    "stored",
    [
        "not json",
        '{"accuracy": 7.0, "samples": 4000, "epochs": 1, "batch_size": 128, '
        '"test_samples": 10000, "seconds": 1.0, "error": null}',
        '{"accuracy": 0.99}',
        "[]",
    ],
)
def test_an_entry_that_is_not_a_valid_measurement_is_measured_again(
    cache: Path, stored: str
) -> None:
    cache.mkdir(parents=True)
    (cache / "k.json").write_text(stored)
    measure = Counting(MEASURED)
    assert measurement_cache.remembered("k", measure) == MEASURED
    assert measure.calls == 1


def test_an_entry_forged_without_the_key_is_measured_again(cache: Path) -> None:
    measure = Counting(MEASURED)
    measurement_cache.remembered("k", measure)
    stored = json.loads((cache / "k.json").read_text())
    forged = json.loads(stored["measurement"]) | {"accuracy": 1.0}
    # A forger who copies a valid entry's signature, or signs with a key of their own, changes
    # nothing.
    for signature in (
        stored["hmac"],
        hmac.new(b"guess", json.dumps(forged).encode(), hashlib.sha256).hexdigest(),
    ):
        (cache / "k.json").write_text(
            json.dumps({"measurement": json.dumps(forged), "hmac": signature})
        )
        assert measurement_cache.remembered("k", measure) == MEASURED
    assert measure.calls == 3
    assert oct((cache.parent / measurement_cache.KEY_FILE).stat().st_mode & 0o777) == "0o600"


BUILT = Built(
    (
        LayerMeasure("Conv2D", (28, 28, 16), 160),
        LayerMeasure("Flatten", (12544,), 0),
        LayerMeasure("Dense", (10,), 125_450),
    ),
    125_610,
)


def _built_once(result: Built) -> Callable[[], Built]:
    calls: list[int] = []

    def build() -> Built:
        calls.append(1)
        assert len(calls) == 1, "built twice"
        return result

    return build


def test_the_rebuilt_models_layers_are_remembered_so_a_repeat_needs_no_keras() -> None:
    key = measurement_cache.key("built", "stack", 0)
    build = _built_once(BUILT)
    assert measurement_cache.remembered_built(key, build) == BUILT
    assert measurement_cache.remembered_built(key, build) == BUILT


@pytest.mark.parametrize(
    "forge",
    [
        lambda stored: {
            **stored,
            "measurement": stored["measurement"].replace("125450", "9"),
        },  # edited, HMAC of the old
        # signed, but not a valid measurement: the total is not the layers' sum
        lambda stored: {
            "measurement": (body := json.dumps({"layers": [], "total_params": 5})),
            "hmac": measurement_cache._signature(body),
        },
    ],
)
def test_a_forged_or_invalid_built_entry_is_built_again(
    cache: Path, forge: Callable[[dict], dict]
) -> None:
    key = measurement_cache.key("built", "stack", 0)
    measurement_cache.remembered_built(key, _built_once(BUILT))
    path = cache / f"{key}.json"
    path.write_text(json.dumps(forge(json.loads(path.read_text()))))
    assert measurement_cache.remembered_built(key, _built_once(BUILT)) == BUILT


def test_an_architecture_that_cannot_be_rebuilt_is_not_remembered(cache: Path) -> None:
    def fails() -> Built:
        raise BuildError("the layers do not fit together")

    for _ in range(2):
        with pytest.raises(BuildError):
            measurement_cache.remembered_built("k", fails)
    assert not list(cache.glob("*.json"))


RACE = """
import os, sys, time
from grader.measurement import cache as measurements
from grader.model.training import Training
def measure():
    with open(sys.argv[1], "a") as log:
        log.write(f"{os.getpid()}\\n")
    time.sleep(1.0)
    return Training(0.93, 4000, 1, 128, 10_000, 6.5)
print(measurements.remembered("shared", measure))
"""


def test_two_processes_meeting_one_architecture_measure_it_once(
    cache: Path, tmp_path: Path
) -> None:
    """Two batch workers grading copies of one notebook at once: the second waits for the first's
    measurement and reads it, rather than training the same model beside it."""
    import os
    import subprocess
    import sys

    log = tmp_path / "measured.log"
    env = {
        **os.environ,
        CACHE_ENV: str(cache.parent),
        "PYTHONPATH": str(Path(__file__).resolve().parent.parent),
    }
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", RACE, str(log)], env=env, stdout=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outputs = [worker.communicate(timeout=60)[0] for worker in workers]
    assert all(worker.returncode == 0 for worker in workers)
    assert len(log.read_text().split()) == 1
    assert outputs[0] == outputs[1]
