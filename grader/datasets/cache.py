"""The dataset cache: build once, verify on every load, never half-written."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from grader.datasets import synthetic
from grader.datasets.catalog import SPECS, Spec
from grader.datasets.dataset import Dataset, DatasetError
from grader.datasets.sources import Arrays, SourceError, fetch_default, read_source

CACHE_ENV = "GRADER_CACHE_DIR"


def cache_dir() -> Path:
    """``$GRADER_CACHE_DIR``, else ``$XDG_CACHE_HOME/grader``, else ``~/.cache/grader``."""
    explicit = os.environ.get(CACHE_ENV)
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "grader"


def digest(arrays: Arrays) -> str:
    """sha256 over each array's dtype, shape and bytes, in Keras's order."""
    h = hashlib.sha256()
    for a in arrays:
        h.update(f"{a.dtype.str}{a.shape}".encode())
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


def _spec(name: str) -> Spec:
    try:
        return SPECS[name]
    except KeyError:
        raise DatasetError(f"unknown dataset {name!r}; known: {', '.join(SPECS)}") from None


def _paths(spec: Spec) -> tuple[Path, Path]:
    root = cache_dir()
    return root / f"{spec.name}.npz", root / f"{spec.name}.json"


def _check_shapes(spec: Spec, arrays: Arrays) -> None:
    x_train, y_train, x_test, y_test = arrays
    expected = [
        (spec.n_train, *spec.image_shape),
        spec.label_shape(spec.n_train),
        (spec.n_test, *spec.image_shape),
        spec.label_shape(spec.n_test),
    ]
    for array, shape in zip(arrays, expected):
        if array.dtype != np.uint8 or array.shape != shape:
            raise DatasetError(
                f"{spec.name}: found {array.dtype}{array.shape}, expected uint8{shape}; "
                f"the source is not the official data. Run: {spec.how_to_provision}"
            )


def provision(name: str, source: Path | None = None) -> Path:
    """Build the cache entry for ``name`` from ``source`` (or the default source)."""
    spec = _spec(name)
    try:
        arrays = read_source(spec, source) if source is not None else fetch_default(spec)
    except SourceError as exc:
        raise DatasetError(f"{spec.name}: {exc}") from None
    arrays = tuple(
        a.reshape(shape) if a.size == int(np.prod(shape)) else a
        for a, shape in zip(
            arrays,
            [
                (spec.n_train, *spec.image_shape),
                spec.label_shape(spec.n_train),
                (spec.n_test, *spec.image_shape),
                spec.label_shape(spec.n_test),
            ],
        )
    )  # type: ignore[assignment]
    _check_shapes(spec, arrays)
    found = digest(arrays)
    if spec.pinned_sha256 is not None and found != spec.pinned_sha256:
        raise DatasetError(
            f"{spec.name}: the arrays' checksum {found[:12]}... is not the official one "
            f"({spec.pinned_sha256[:12]}...); the source is damaged or different. Run: "
            f"{spec.how_to_provision}"
        )
    npz_path, manifest_path = _paths(spec)
    npz_path.parent.mkdir(parents=True, exist_ok=True)
    # Write to temporary names in the same folder, then rename: a reader never sees half a file.
    with tempfile.NamedTemporaryFile(dir=npz_path.parent, suffix=".npz.tmp", delete=False) as tmp:
        np.savez(tmp, x_train=arrays[0], y_train=arrays[1], x_test=arrays[2], y_test=arrays[3])
    manifest = {"name": spec.name, "sha256": found, "source": str(source or "package index")}
    manifest_tmp = manifest_path.with_suffix(".json.tmp")
    manifest_tmp.write_text(json.dumps(manifest, indent=2))
    os.replace(tmp.name, npz_path)
    os.replace(manifest_tmp, manifest_path)
    return npz_path


def cached_path(name: str) -> Path | None:
    """The cache file of ``name`` if it has been provisioned (not verified)."""
    npz_path, _ = _paths(_spec(name))
    return npz_path if npz_path.exists() else None


def load(name: str, *, provision_missing: bool = True) -> Dataset:
    """The verified arrays of ``name``; real when provisioned, else synthetic where allowed."""
    spec = _spec(name)
    npz_path, manifest_path = _paths(spec)
    if not npz_path.exists():
        if not provision_missing:
            if spec.name == "mnist":
                raise DatasetError(
                    f"mnist is not provisioned in {npz_path.parent}. Run: {spec.how_to_provision}"
                )
            return synthetic.generate(spec)
        try:
            provision(spec.name)
        except DatasetError:
            if spec.name == "mnist":
                raise
            return synthetic.generate(spec)
    try:
        with np.load(npz_path, allow_pickle=False) as npz:
            arrays = (npz["x_train"], npz["y_train"], npz["x_test"], npz["y_test"])
        expected = spec.pinned_sha256 or json.loads(manifest_path.read_text())["sha256"]
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, json.JSONDecodeError) as exc:
        raise DatasetError(
            f"{spec.name}: the cache file {npz_path} is damaged ({type(exc).__name__}). "
            f"Delete it and run: {spec.how_to_provision}"
        ) from None
    if digest(arrays) != expected:
        raise DatasetError(
            f"{spec.name}: the cache file {npz_path} fails its checksum (damaged or edited). "
            f"Delete it and run: {spec.how_to_provision}"
        )
    return Dataset(spec.name, *arrays, synthetic=False)
