"""Which original dataset image is each of the student's prepared images?

Students reshape, rescale and sometimes shuffle or subset the data.  Once the map from pixels to
their values is known (``transforms``), their images are turned back into pixels and found among
the originals by a hash of their bytes, confirmed pixel for pixel: the grader can then say which
split each image is from, check labels against the truth, and prepare the test split as the
student prepared theirs, whatever order they used.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

CHUNK_ROWS = 4096


def image_rows(x: np.ndarray, pixels_per_image: int) -> np.ndarray | None:
    """The images of ``x`` as rows of ``pixels_per_image`` values (a view where the memory allows);
    ``None`` when an image has another size or the array holds no numbers."""
    if (
        x.ndim < 1
        or x.shape[0] == 0
        or x.size // x.shape[0] != pixels_per_image
        or x.dtype.kind not in "biuf"
    ):
        return None
    return np.asarray(x).reshape(x.shape[0], pixels_per_image)


def to_pixels(rows: np.ndarray, scale: float, offset: float) -> np.ndarray:
    """Rows of values back to uint8 pixels, undoing ``value = scale * pixel + offset``."""
    if rows.dtype.kind != "f" and scale == 1.0 and offset == 0.0:
        return np.clip(rows, 0, 255).astype(np.uint8)
    pixels = np.empty(rows.shape, dtype=np.uint8)
    # A training set is 188 MB of float32: converted a chunk at a time, in place, while it is in the
    # CPU's cache.
    inverse = np.float32(1.0 / scale)
    for start in range(0, len(rows), CHUNK_ROWS):
        chunk = np.subtract(rows[start : start + CHUNK_ROWS], np.float32(offset), dtype=np.float32)
        chunk *= inverse
        np.rint(chunk, out=chunk)
        np.clip(chunk, 0, 255, out=chunk)
        pixels[start : start + CHUNK_ROWS] = chunk
    return pixels


def _row_hashes(rows: np.ndarray) -> np.ndarray:
    """A 64-bit hash of each row of pixel bytes: its 8-byte words times fixed random odd weights,
    summed modulo 2**64 (the rows are read in place, a training set in a few passes; a match is
    confirmed pixel for pixel)."""
    rows = np.ascontiguousarray(rows, dtype=np.uint8)
    width = -(-rows.shape[1] // 8) * 8
    if width != rows.shape[1]:
        rows = np.pad(rows, ((0, 0), (0, width - rows.shape[1])))
    words = rows.view(np.uint64)
    weights = np.random.default_rng(0).integers(
        1, 2**63, size=words.shape[1], dtype=np.uint64
    ) | np.uint64(1)
    hashes = np.zeros(len(words), dtype=np.uint64)
    for start in range(
        0, len(words), CHUNK_ROWS
    ):  # in chunks: the products of a whole training set are 376 MB
        hashes[start : start + CHUNK_ROWS] = (words[start : start + CHUNK_ROWS] * weights).sum(
            axis=1, dtype=np.uint64
        )
    return hashes


# The hashes of a dataset's originals, kept while the dataset itself is alive.
_INDEX: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}


def _index(flat: np.ndarray, originals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    cached = _INDEX.get(id(originals))
    if cached is None or cached[0] is not originals:
        known = _row_hashes(flat)
        cached = (originals, known, np.argsort(known, kind="stable"))
        _INDEX[id(originals)] = cached
    return cached[1], cached[2]


def original_hashes(originals: np.ndarray) -> np.ndarray:
    """The hash of each original image (equal hashes: the same picture)."""
    return _index(originals.reshape(originals.shape[0], -1), originals)[0]


def locate(pixels: np.ndarray, splits: Sequence[np.ndarray]) -> np.ndarray:
    """Where each row of ``pixels`` is among the originals of ``splits`` (tried in that order), as
    an index into the splits laid end to end; -1 where none holds it."""
    wanted = _row_hashes(pixels)
    found = np.full(len(pixels), -1, dtype=np.int64)
    start = 0
    for originals in splits:
        flat = originals.reshape(originals.shape[0], -1)
        if flat.shape[1] == pixels.shape[1] and len(flat):
            rows = np.flatnonzero(found < 0)
            known, order = _index(flat, originals)
            slots = np.clip(np.searchsorted(known[order], wanted[rows]), 0, len(order) - 1)
            candidates = order[slots]
            # A hash match is confirmed pixel for pixel, a chunk at a time (a training set's
            # copies would cost three times its pixels).
            same = known[candidates] == wanted[rows]
            for first in range(0, len(rows), CHUNK_ROWS):
                part = first + np.flatnonzero(same[first : first + CHUNK_ROWS])
                same[part] = (flat[candidates[part]] == pixels[rows[part]]).all(axis=1)
            found[rows[same]] = candidates[same] + start
        start += len(flat)
    return found
