"""How a student's prepared images were made from the dataset's pixels: ``x = scale * p + offset``.

Students divide by 255 (once, or by mistake twice), map to [-1, 1] (``/ 127.5 - 1``),
standardise with a mean and a standard deviation, invert (``1 - x / 255``), or leave the pixels
alone.  Each of these is one affine map of the original 0-255 pixels, so it is found from the
data: first a guess from a few rows (the smallest and largest value are pixels 0 and 255, else one
of the usual maps), accepted when it turns most of those rows (``WHOLE_ROWS``) back into whole
pixels; then, once the images are matched to the originals (``alignment``), fitted by least
squares against them.  A map that is not affine (noise added, per-pixel standardisation,
augmentation) is ``unknown``: no image is matched through a guess.  Some students also rearrange
each image (transposed, flipped, rotated): that is the map's ``layout`` (``layouts``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from grader.evidence import layouts

# Rows looked at to guess the map, and how far a value may be from a whole pixel (float16 and
# float32 round-trips stay well within it; a wrong map puts values anywhere between).
SAMPLE_ROWS = 256
WHOLE_PIXEL = 0.3
# The share of the sample's rows a map must turn into whole pixels (an image divided by its own
# maximum, 254 where most are 255, is no whole pixel; nine in ten MNIST images are).
WHOLE_ROWS = 0.8
PIXEL_MAX = 255.0
# The usual maps, tried when the sample's extremes are not pixels 0 and 255.
USUAL = (
    (1.0, 0.0),
    (1 / 255, 0.0),
    (1 / 255**2, 0.0),
    (1 / 127.5, -1.0),
)
# The usual inverted maps (``1 - x / 255``, ``255 - x``), tried where the images are not found as
# an increasing map of the pixels.
USUAL_INVERTED = ((-1 / 255, 1.0), (-1.0, PIXEL_MAX))
# How close a fitted map must be to a named one (relative to the scale; absolute on the offset,
# in units of the scale).
RELATIVE = 0.01


@dataclass(frozen=True)
class Transform:
    """The map from original pixels to the student's values, and the array's dtype.

    ``kind``: ``unchanged``, ``scaled`` (/255), ``scaled_twice`` (/255 twice), ``centred``
    (/127.5 - 1), ``standardised`` ((p - mean) / std, with the split's mean and std),
    ``inverted`` (1 - p / 255), ``other`` (another affine map) or ``unknown`` (not an affine map of
    the pixels: nothing matched).  ``layout``: how each image's pixels were laid out
    (``layouts``)."""

    kind: str
    scale: float | None
    offset: float | None
    dtype: str
    layout: str = layouts.AS_LOADED

    @property
    def known(self) -> bool:
        return self.scale is not None and self.offset is not None

    @property
    def divisor(self) -> float | None:
        """What the pixels were divided by (``1 / scale``)."""
        return None if not self.scale else 1.0 / self.scale

    def same_as(self, other: Transform) -> bool:
        """Whether two maps are the same, up to float rounding."""
        if not (self.known and other.known):
            return False
        assert self.scale is not None and other.scale is not None
        assert self.offset is not None and other.offset is not None
        if self.layout != other.layout:
            return False
        return abs(self.scale - other.scale) <= RELATIVE / 2 * abs(other.scale) and abs(
            self.offset - other.offset
        ) <= RELATIVE / 2 * max(abs(other.scale) * PIXEL_MAX, 1e-12)

    def apply(self, pixels: np.ndarray) -> np.ndarray:
        """``pixels`` (the dataset's uint8) mapped as the student mapped theirs, in float32: a named
        map as students write it (``/ 255``: the very values theirs has), any other by its fit
        (rounded, so that two fits of one map give one array); then laid out as theirs."""
        mapped = self._mapped(pixels)
        order = layouts.permutation(self.layout, tuple(pixels.shape[1:]))
        if order is None:
            return mapped
        flat = mapped.reshape(len(mapped), -1)
        return layouts.redo(flat, order).reshape(mapped.shape)

    def _mapped(self, pixels: np.ndarray) -> np.ndarray:
        assert self.scale is not None and self.offset is not None
        out = pixels.astype(np.float32)
        canonical = NAMED.get(self.kind)
        if canonical is not None and self._is(*canonical):
            divisor, offset = canonical
            if divisor != 1.0:
                out /= np.float32(divisor)
            if self.kind == "scaled_twice":  # as the student wrote it: / 255 / 255
                out /= np.float32(divisor)
            if offset:
                out += np.float32(offset)
            return out
        out *= np.float32(float(f"{self.scale:.6g}"))
        out += np.float32(float(f"{self.offset:.6g}"))
        return out

    def _is(self, divisor: float, offset: float) -> bool:
        """Whether this map is ``/ divisor + offset`` (twice divided, for ``scaled_twice``) up to
        float rounding."""
        assert self.scale is not None and self.offset is not None
        scale = 1 / divisor**2 if self.kind == "scaled_twice" else 1 / divisor
        return abs(self.scale - scale) <= 1e-4 * scale and abs(self.offset - offset) <= 1e-4


# The named maps as students write them: divided by, then offset (twice: divided twice by 255).
NAMED = {
    "unchanged": (1.0, 0.0),
    "scaled": (255.0, 0.0),
    "scaled_twice": (255.0, 0.0),
    "centred": (127.5, -1.0),
}


def unknown(dtype: str) -> Transform:
    return Transform("unknown", None, None, dtype)


def _whole(values: np.ndarray, scale: float, offset: float) -> bool:
    """Whether the map turns most rows of ``values`` into whole pixels, each within 0-255."""
    pixels = (values - offset) / scale
    whole = (np.abs(pixels - np.rint(pixels)) <= WHOLE_PIXEL) & (pixels >= -WHOLE_PIXEL)
    whole &= pixels <= PIXEL_MAX + WHOLE_PIXEL
    return bool(np.mean(whole.all(axis=1)) >= WHOLE_ROWS)


def guess(rows: np.ndarray, inverted: bool = False) -> tuple[float, float] | None:
    """A map that turns the first rows of ``rows`` (images as rows) back into whole pixels; ``None``
    when neither the sample's extremes nor a usual map does.  ``inverted``: a decreasing map (the
    largest value is pixel 0)."""
    sample = np.asarray(rows[:SAMPLE_ROWS], dtype=np.float64)
    if sample.size == 0 or not np.isfinite(sample).all():
        return None
    low, high = float(sample.min()), float(sample.max())
    if inverted:
        candidates = [((low - high) / PIXEL_MAX, high)] if high > low else []
        usual: tuple[tuple[float, float], ...] = USUAL_INVERTED
    else:
        candidates = [((high - low) / PIXEL_MAX, low)] if high > low else []
        usual = USUAL
    for scale, offset in (*candidates, *usual):
        if (scale < 0) == inverted and _whole(sample, scale, offset):
            return scale, offset
    return None


def fitted(values: np.ndarray, pixels: np.ndarray) -> tuple[float, float]:
    """The least-squares map ``values = scale * pixels + offset`` (matched rows)."""
    p = np.asarray(pixels, dtype=np.float64).reshape(-1)
    v = np.asarray(values, dtype=np.float64).reshape(-1)
    if p.size < 2 or p.min() == p.max():
        return (1.0, float(v.mean() - p.mean())) if p.size else (1.0, 0.0)
    scale, offset = np.polyfit(p, v, 1)
    return float(scale), float(offset)


def named(
    scale: float,
    offset: float,
    dtype: str,
    statistics: tuple[tuple[float, float], ...] = (),
    layout: str = layouts.AS_LOADED,
) -> Transform:
    """The map with its name; ``statistics``: the (mean, std) of the dataset's splits, which a
    standardisation divides by."""

    def near(a: float, b: float) -> bool:
        return abs(a - b) <= RELATIVE * abs(b)

    def offset_is(value: float) -> bool:
        return abs(offset - value) <= RELATIVE * abs(scale) * PIXEL_MAX

    kind = "other"
    if near(scale, 1.0) and offset_is(0.0):
        kind = "unchanged"
    elif near(scale, 1 / 255) and offset_is(0.0):
        kind = "scaled"
    elif near(scale, 1 / 255**2) and offset_is(0.0):
        kind = "scaled_twice"
    elif near(scale, 1 / 127.5) and offset_is(-1.0):
        kind = "centred"
    elif near(scale, -1 / 255) and offset_is(1.0):
        kind = "inverted"
    elif any(near(1 / scale, std) and offset_is(-mean / std) for mean, std in statistics):
        kind = "standardised"
    return Transform(kind, scale, offset, dtype, layout)
