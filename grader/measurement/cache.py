"""The grader's measurements, remembered on disk.

The grader's training is deterministic: the same layer stack, compile settings, budget,
seed and data give the same accuracy.  A class of two hundred mostly shares one
architecture, and a student re-runs the grader after every fix, so each measurement is
kept in ``<cache>/measurements/<key>.json`` and reused by every later grading on this
machine (batch workers included), with the rebuilt model's layers (output shapes, parameter
counts: ``remembered_built``), so that a grading whose measurement is remembered never imports
TensorFlow in the grader's process.  The key covers every input of the training and what
could change its numbers: the grader's training code and the Keras and TensorFlow
versions.  Only successful measurements are kept (a failure may be the machine's).  An entry
is made by one grading at a time (a lock file beside it): two batch workers that meet one
architecture at once train it once.

The folder belongs to the grader: no kernel can read or write the cache but for the
dataset files, which it may only read (Landlock, see ``sandbox/isolation``).  Each entry
also carries an HMAC under a key of the cache's own (``<cache>/measurements.key``, made by
the grader, readable by its user only), and an entry that does not verify, or does not
read back as a valid measurement, is ignored and measured again: an entry forged or edited
by anyone who cannot read the key changes no verdict.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import hmac
import json
import math
import os
import secrets
import tempfile
from collections.abc import Callable, Iterator
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from grader.atomic_write import write_atomic
from grader.datasets import cache_dir
from grader.model import architecture, training
from grader.model.training import Built, LayerMeasure, Training

FOLDER = "measurements"
KEY_FILE = "measurements.key"
# What an entry holds: a rebuilt model's layers, or a measurement.
T = TypeVar("T", Built, Training)


@functools.cache
def _code_and_versions() -> str:
    """What decides a measurement besides its inputs: the training code and library versions."""
    digest = hashlib.sha256()
    for module in (training, architecture):
        digest.update(Path(str(module.__file__)).read_bytes())
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


def _key() -> bytes:
    """The cache's HMAC key, made on first use (readable by its owner only). It is written in
    full beside its place, then linked there, so that a grading beside this one never reads
    it half-made; the first link wins."""
    path = cache_dir() / KEY_FILE
    try:
        return path.read_bytes()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, made = tempfile.mkstemp(dir=path.parent, prefix=f".{KEY_FILE}.")  # mode 600
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(secrets.token_bytes(32))
            os.link(made, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(made)
        return path.read_bytes()


def _signature(body: str) -> str:
    return hmac.new(_key(), body.encode(), hashlib.sha256).hexdigest()


def _signed(path: Path) -> Any:
    """The body stored at ``path`` when its HMAC verifies, else ``None``."""
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
        body = stored["measurement"]
        if not hmac.compare_digest(_signature(body), stored["hmac"]):
            return None
        return json.loads(body)
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None


def _store(path: Path, data: dict[str, Any]) -> None:
    try:
        body = json.dumps(data)
        write_atomic(path, json.dumps({"measurement": body, "hmac": _signature(body)}))
    except OSError:
        pass  # a read-only cache only costs the next grading the time again


def _read(path: Path) -> Training | None:
    try:
        found = Training(**_signed(path))
    except TypeError:
        return None
    valid = (
        isinstance(found.accuracy, float)
        and 0.0 <= found.accuracy <= 1.0
        and found.error is None
        and all(
            isinstance(n, int) and n > 0
            for n in (found.samples, found.epochs, found.batch_size, found.test_samples)
        )
        and isinstance(found.seconds, float)
        and math.isfinite(found.seconds)
    )
    return found if valid else None


def built_of(data: Any) -> Built | None:
    """A rebuilt model's layers from their JSON data (``dataclasses.asdict`` of a ``Built``: a kept
    entry, or a measurer's result); ``None`` when it is not a consistent one."""
    try:
        layers = tuple(
            LayerMeasure(str(entry["class_name"]), tuple(entry["output_shape"]), entry["params"])
            for entry in data["layers"]
        )
        built = Built(layers, data["total_params"])
    except (TypeError, KeyError, AttributeError):
        return None
    valid = (
        all(
            isinstance(layer.params, int)
            and layer.params >= 0
            and all(d is None or isinstance(d, int) for d in layer.output_shape)
            for layer in layers
        )
        and isinstance(built.total_params, int)
        and built.total_params == sum(layer.params for layer in layers)
    )
    return built if valid else None


def built_key(layers: architecture.Architecture, seed: int) -> str:
    """The key of an architecture's rebuilt layers: its layer stack without names, and the seed."""
    return key("built", architecture.signature(layers), seed)


@contextlib.contextmanager
def _alone(path: Path) -> Iterator[None]:
    """While the entry ``path`` is made, no other grading on this machine makes it: two batch
    workers that meet one architecture at once measure it once, the second reading what the
    first stored.  A lock held by a process that ended is released with it."""
    if os.name != "posix":
        yield  # no flock (Windows): two gradings may measure the same architecture twice
        return
    import fcntl

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path.with_suffix(".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        yield  # a read-only cache: measured without the lock
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _remembered(
    path: Path, read: Callable[[Path], T | None], make: Callable[[], T], keep: Callable[[T], bool]
) -> T:
    """The entry at ``path`` as ``read`` gives it, else ``make()`` (stored when ``keep`` says so),
    made by one grading at a time."""
    found = read(path)
    if found is not None:
        return found
    with _alone(path):
        found = read(path)  # made by another grading while this one waited
        if found is not None:
            return found
        result = make()
        if keep(result):
            _store(path, dataclasses.asdict(result))
        return result


def remembered_built(built_key: str, build: Callable[[], Built]) -> Built:
    """The rebuilt model's layers stored under ``built_key``, else ``build()`` (then stored);
    what ``build`` raises (the architecture cannot be rebuilt) is not stored."""
    return _remembered(
        _path(built_key), lambda path: built_of(_signed(path)), build, lambda _: True
    )


def remembered(measurement_key: str, measure: Callable[[], Training]) -> Training:
    """The measurement stored under ``measurement_key``, else ``measure()`` (stored when it
    succeeded)."""
    return _remembered(
        _path(measurement_key),
        _read,
        measure,
        lambda result: result.error is None and result.accuracy is not None,
    )
