"""The suite never reads or writes the user's grader cache: each session grades against a
cache of its own (``tests/hermetic.py``), which its workers and subprocesses inherit."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grader.datasets import cache_dir
from grader.datasets.cache import CACHE_ENV, cached_path
from grader.measurement import cache as measurement_cache
from grader.model.training import Training
from grader.sandbox.scratch import font_cache
from tests import hermetic
from tests.conftest import ROOT, cli_env

STORED = Training(0.5, 8, 1, 8, 8, 0.1)
# In a grader subprocess, as a batch worker would: remember a measurement.
SUBPROCESS_WRITES = (
    "from grader.measurement import cache as measurements; "
    "from grader.model.training import Training; "
    "measurements.remembered('probe-subprocess', lambda: Training(0.5, 8, 1, 8, 8, 0.1))"
)


def test_this_session_grades_against_a_cache_of_its_own() -> None:
    cache = cache_dir()
    assert os.environ[hermetic.SESSION_ENV] == str(cache)
    assert cache.parent.name.startswith("grader-suite-")
    assert cached_path(hermetic.DATASET) == cache / f"{hermetic.DATASET}.npz"
    assert cli_env()[CACHE_ENV] == str(cache)


def test_probe_what_gradings_write_lands_in_the_session_cache() -> None:
    """A measurement and its key, in this process and in a subprocess, and the font list."""
    measurement_cache.remembered("probe-in-process", lambda: STORED)
    done = subprocess.run(
        [sys.executable, "-c", SUBPROCESS_WRITES],
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    fonts = font_cache()
    cache = cache_dir()
    assert cache.parent.name.startswith("grader-suite-")
    written = {
        "measurements/probe-in-process.json",
        "measurements/probe-subprocess.json",
        measurement_cache.KEY_FILE,
    }
    assert all((cache / name).is_file() for name in written)
    assert fonts.parent == cache and any(fonts.glob("fontlist-*.json"))


@pytest.mark.slow
def test_a_session_leaves_the_users_cache_as_it_was(tmp_path: Path) -> None:
    """A session of the suite (in an xdist worker) run by a user whose cache holds MNIST and a
    measurement: their cache keeps every file, size and modification time, and gains nothing."""
    home = tmp_path / "home"
    users = home / ".cache" / "grader"
    (users / measurement_cache.FOLDER).mkdir(parents=True)
    for name in (f"{hermetic.DATASET}.npz", f"{hermetic.DATASET}.json"):
        shutil.copyfile(cache_dir() / name, users / name)
    (users / measurement_cache.FOLDER / "probe-in-process.json").write_text(
        "the user's own measurement"
    )
    before = hermetic.snapshot(users)
    env = {
        k: v
        for k, v in cli_env().items()
        if k not in (CACHE_ENV, hermetic.SESSION_ENV, "XDG_CACHE_HOME")
    }
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-n",
            "1",
            "-k",
            "probe",
            "tests/test_hermetic.py",
        ],
        cwd=ROOT,
        env={**env, "HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert hermetic.snapshot(users) == before
    assert done.returncode == 0 and "1 passed" in done.stdout, (
        done.stdout[-3000:] + done.stderr[-2000:]
    )
