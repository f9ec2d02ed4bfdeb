"""The grader's measurements, remembered on disk.

The grader's training is deterministic: the same layer stack, compile settings, budget,
seed and data give the same accuracy.  A class of two hundred mostly shares one
architecture, and a student re-runs the grader after every fix, so each measurement is
kept in ``<cache>/measurements/<key>.json`` and reused by every later grading on this
machine (batch workers included).  The key covers every input of the training and what
could change its numbers: the grader's training code and the Keras and TensorFlow
versions.  Only successful measurements are kept (a failure may be the machine's).

The folder belongs to the grader: a notebook's code cannot write there (``guard`` allows
writes only in the notebook's scratch folders), and an entry that does not read back as
a valid measurement is ignored and measured again.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import math
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from grader import architecture, training
from grader.datasets import cache_dir
from grader.report.files import write_atomic
from grader.training import Training

FOLDER = "measurements"


@functools.cache
def _code_and_versions() -> str:
    """What decides a measurement besides its inputs: the training code and library versions."""
    digest = hashlib.sha256()
    for module in (training, architecture):
        digest.update(Path(module.__file__).read_bytes())
    for package in ("keras", "tensorflow"):
        try:
            digest.update(f"{package}=={metadata.version(package)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{package} missing".encode())
    return digest.hexdigest()


def key(*parts: Any) -> str:
    """A digest of ``parts`` (arrays by dtype, shape and bytes; anything else by ``repr``)."""
    digest = hashlib.sha256(_code_and_versions().encode())
    for part in parts:
        if isinstance(part, np.ndarray):
            digest.update(f"{part.dtype}{part.shape}".encode())
            digest.update(np.ascontiguousarray(part).tobytes())
        else:
            digest.update(repr(part).encode())
    return digest.hexdigest()


def _path(measurement_key: str) -> Path:
    return cache_dir() / FOLDER / f"{measurement_key}.json"


def _read(path: Path) -> Training | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        found = Training(**data)
    except (OSError, ValueError, TypeError):
        return None
    valid = (isinstance(found.accuracy, float) and 0.0 <= found.accuracy <= 1.0 and found.error is None
             and all(isinstance(n, int) and n > 0 for n in (found.samples, found.epochs, found.batch_size, found.test_samples))
             and isinstance(found.seconds, float) and math.isfinite(found.seconds))
    return found if valid else None


def remembered(measurement_key: str, measure: Callable[[], Training]) -> Training:
    """The measurement stored under ``measurement_key``, else ``measure()`` (stored when it succeeded)."""
    path = _path(measurement_key)
    found = _read(path)
    if found is not None:
        return found
    result = measure()
    if result.error is None and result.accuracy is not None:
        try:
            write_atomic(path, json.dumps(dataclasses.asdict(result)))
        except OSError:
            pass  # a read-only cache only costs the next grading the training time
    return result
