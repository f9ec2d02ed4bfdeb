"""Saved model files read as data: ``.keras`` archives, legacy ``.h5`` files, weights and JSON.

A file the student saved is never handed to ``keras.models.load_model`` here: that would
deserialise their objects (and a ``Lambda`` layer's code) in the grader's process.  Instead
the archive is opened with ``zipfile`` and ``json``, the HDF5 files with ``h5py``, and
what comes out is plain text (the model config) and float arrays by layer name.  Each reader
is given the file's bytes, read by ``evidence.hostile_files`` (no link followed, bounded, in
memory), never a path.  Every read is bounded (file, member and array sizes, counts), links that
leave the file are refused, and any fault becomes a ``ModelFileError`` with a reason for the
student.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field
from typing import Any

import numpy as np

MAX_FILE_BYTES = 64 * 2**20
MAX_CONFIG_BYTES = 8 * 2**20
MAX_ARCHIVE_MEMBERS = 64
MAX_LAYERS = 1_000
MAX_VARIABLES_PER_LAYER = 64
MAX_ARRAY_BYTES = 256 * 2**20
ZIP_SIGNATURE = b"PK\x03\x04"
HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
KERAS_CONFIG = "config.json"
KERAS_WEIGHTS = "model.weights.h5"


class ModelFileError(Exception):
    """The file cannot be read as a model; the message says why, for the student."""


@dataclass(frozen=True)
class ModelFile:
    # "keras" (zip archive), "h5" (legacy whole model), "weights" (weights only), "json"
    kind: str
    # The model's config as JSON text (``model.to_json()`` shape); None for weights only.
    config: str | None
    # Each layer's variables, in Keras's order, by layer name.
    weights: dict[str, tuple[np.ndarray, ...]] = field(default_factory=dict)


def _bounded(data: bytes, name: str, limit: int = MAX_FILE_BYTES) -> bytes:
    if len(data) > limit:
        raise ModelFileError(f"{name} is larger than {limit // 2**20} MiB")
    return data


def _config_text(raw: bytes, where: str) -> str:
    if len(raw) > MAX_CONFIG_BYTES:
        raise ModelFileError(
            f"the model config in {where} is larger than {MAX_CONFIG_BYTES // 2**20} MiB"
        )
    try:
        text = raw.decode("utf-8")
        data = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise ModelFileError(f"the model config in {where} is not JSON") from None
    if not isinstance(data, dict) or not isinstance(data.get("config"), dict):
        raise ModelFileError(f"the model config in {where} has no 'config' section")
    return text


class _ArrayBudget:
    """Counts the bytes of arrays read from one file, so no file can exhaust memory."""

    def __init__(self) -> None:
        self.used = 0

    def take(self, dataset: Any, where: str) -> np.ndarray:
        import h5py

        if not isinstance(dataset, h5py.Dataset):
            raise ModelFileError(f"{where} is not an array")
        if dataset.external or dataset.is_virtual:
            raise ModelFileError(f"{where} points to data outside the file")
        if dataset.dtype.kind not in "fiub" or dataset.ndim > 8:
            raise ModelFileError(f"{where} is not a numeric array")
        self.used += int(np.prod(dataset.shape, dtype=np.int64)) * dataset.dtype.itemsize
        if self.used > MAX_ARRAY_BYTES:
            raise ModelFileError(f"the weights are larger than {MAX_ARRAY_BYTES // 2**20} MiB")
        return np.asarray(dataset[()])


def _member(group: Any, name: str, where: str) -> Any:
    """``group[name]``, refusing soft and external links (they can point outside the file)."""
    import h5py

    if name not in group:
        raise ModelFileError(f"{where} has no '{name}'")
    if not isinstance(group.get(name, getlink=True), h5py.HardLink):
        raise ModelFileError(f"{where}/{name} is a link, not data")
    return group[name]


def _text_attribute(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _keras3_weights(root: Any, where: str) -> dict[str, tuple[np.ndarray, ...]]:
    """The Keras 3 layout (``.keras`` archives, ``.weights.h5``): ``layers/<name>/vars/<i>``."""
    budget = _ArrayBudget()
    layers = _member(root, "layers", where)
    if len(layers) > MAX_LAYERS:
        raise ModelFileError(f"{where} lists more than {MAX_LAYERS} layers")
    weights: dict[str, tuple[np.ndarray, ...]] = {}
    for name in layers:
        layer = _member(layers, name, f"{where}/layers")
        if "vars" not in layer:
            continue
        variables = _member(layer, "vars", f"{where}/layers/{name}")
        count = len(variables)
        if count > MAX_VARIABLES_PER_LAYER:
            raise ModelFileError(
                f"layer {name!r} in {where} has more than {MAX_VARIABLES_PER_LAYER} variables"
            )
        arrays = tuple(
            budget.take(
                _member(variables, str(i), f"{where}/layers/{name}/vars"), f"layer {name!r}"
            )
            for i in range(count)
        )
        if arrays:
            weights[name] = arrays
    return weights


def _legacy_weights(group: Any, where: str) -> dict[str, tuple[np.ndarray, ...]]:
    """The Keras 2 layout of ``.h5`` files: ``model_weights/<layer>`` with ``weight_names``."""
    budget = _ArrayBudget()
    names = [_text_attribute(n) for n in group.attrs.get("layer_names", [])]
    if len(names) > MAX_LAYERS:
        raise ModelFileError(f"{where} lists more than {MAX_LAYERS} layers")
    weights: dict[str, tuple[np.ndarray, ...]] = {}
    for name in names:
        layer = _member(group, name, where)
        weight_names = [_text_attribute(n) for n in layer.attrs.get("weight_names", [])]
        if len(weight_names) > MAX_VARIABLES_PER_LAYER:
            raise ModelFileError(
                f"layer {name!r} in {where} has more than {MAX_VARIABLES_PER_LAYER} variables"
            )
        arrays = []
        for weight_name in weight_names:
            node = layer
            for part in weight_name.split("/"):
                node = _member(node, part, f"{where}/{name}")
            arrays.append(budget.take(node, f"layer {name!r}"))
        if arrays:
            weights[name] = tuple(arrays)
    return weights


def _open_hdf5(data: bytes, where: str) -> Any:
    import h5py

    data = _bounded(data, where)
    if not data.startswith(HDF5_SIGNATURE):
        raise ModelFileError(f"{where} is not an HDF5 file")
    try:
        return h5py.File(io.BytesIO(data), "r")
    except (OSError, ValueError) as exc:
        raise ModelFileError(
            f"{where} is not a readable HDF5 file ({type(exc).__name__})"
        ) from None


def _guarded(where: str, read: Any) -> Any:
    """Run a reader; any library fault on malformed data becomes a ``ModelFileError``."""
    try:
        return read()
    except ModelFileError:
        raise
    except Exception as exc:
        # Zipfile, zlib and h5py raise many kinds on malformed data.
        raise ModelFileError(f"{where} is damaged ({type(exc).__name__})") from None


def read_keras_archive(data: bytes, name: str) -> ModelFile:
    """A ``.keras`` file (its bytes; ``name`` for messages): a zip holding ``config.json`` and
    ``model.weights.h5``."""
    data = _bounded(data, name)
    if not data.startswith(ZIP_SIGNATURE):
        raise ModelFileError(f"{name} is not a .keras archive (not a zip file)")

    def read() -> ModelFile:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            if len(members) > MAX_ARCHIVE_MEMBERS:
                raise ModelFileError(f"{name} holds more than {MAX_ARCHIVE_MEMBERS} files")
            found = {m.filename: m for m in members}
            for needed in (KERAS_CONFIG, KERAS_WEIGHTS):
                if needed not in found:
                    raise ModelFileError(f"{name} has no {needed}")
            config = _config_text(
                _unzip(archive, found[KERAS_CONFIG], MAX_CONFIG_BYTES, name), name
            )
            with _open_hdf5(
                _unzip(archive, found[KERAS_WEIGHTS], MAX_FILE_BYTES, name),
                f"{name}:{KERAS_WEIGHTS}",
            ) as h5:
                return ModelFile("keras", config, _keras3_weights(h5, KERAS_WEIGHTS))

    return _guarded(name, read)


def _unzip(archive: zipfile.ZipFile, member: zipfile.ZipInfo, limit: int, where: str) -> bytes:
    """A member's bytes, at most ``limit`` of them whatever its header claims (zip bombs)."""
    if member.file_size > limit:
        raise ModelFileError(
            f"{member.filename} in {where} unpacks to more than {limit // 2**20} MiB"
        )
    with archive.open(member) as f:
        content = f.read(limit + 1)
    if len(content) > limit:
        raise ModelFileError(
            f"{member.filename} in {where} unpacks to more than {limit // 2**20} MiB"
        )
    return content


def read_legacy_h5(data: bytes, name: str) -> ModelFile:
    """A whole model saved as ``.h5``: ``model_config`` attribute plus ``model_weights``."""

    def read() -> ModelFile:
        with _open_hdf5(data, name) as h5:
            if "model_config" not in h5.attrs:
                raise ModelFileError(
                    f"{name} holds weights only, not a whole model (use model.save)"
                )
            config = _config_text(_text_attribute(h5.attrs["model_config"]).encode("utf-8"), name)
            return ModelFile(
                "h5", config, _legacy_weights(_member(h5, "model_weights", name), name)
            )

    return _guarded(name, read)


def read_weights(data: bytes, name: str) -> ModelFile:
    """Weights only (``save_weights``): the Keras 3 layout, or the legacy one."""

    def read() -> ModelFile:
        with _open_hdf5(data, name) as h5:
            if "layers" in h5:
                return ModelFile("weights", None, _keras3_weights(h5, name))
            if "model_weights" in h5:
                return ModelFile("weights", None, _legacy_weights(h5["model_weights"], name))
            return ModelFile("weights", None, _legacy_weights(h5, name))

    return _guarded(name, read)


def read_json(data: bytes, name: str) -> ModelFile:
    """The text ``model_from_json`` was given."""
    return ModelFile("json", _config_text(_bounded(data, name, MAX_CONFIG_BYTES), name))
