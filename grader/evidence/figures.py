"""What the student's figures show, matched against the arrays behind them.

A filter plot is judged by the pixels it shows: each image drawn with ``imshow`` is
compared, after scaling to [0, 1] (as ``imshow`` itself does), with every 2-D slice of the
kernels of the trained model (recorded when ``fit`` ended), and with every channel of every
image of the feature maps an intermediate model's ``predict`` returned.  The result is
plain counts in each unit a plot may use (filters, or the input channels of one filter;
the channels of one image, or the images of one channel), so the checks never see an
array.  Predictions are reduced to the classes they pick (``argmax``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from grader.boundary.artifacts import MAX_IMAGE_ELEMENTS, MAX_RECORDED_ELEMENTS
from grader.evidence.reading import Evidence

# Two images are the same picture when, scaled to [0, 1], no pixel differs by more.
TOLERANCE = 1e-3
# Feature maps of at most this many images per predict call are compared.
MAPS_PER_CALL = 32
# Predicted classes kept per predict call (what the output is searched for).
PREDICTIONS_KEPT = 50


@dataclass(frozen=True)
class KernelShown:
    layer: str
    # (height, width, input channels, filters) of the trained kernel
    shape: tuple[int, ...]
    # Distinct filters drawn (any input channel, or their mean).
    filters_shown: int
    # The most input channels drawn of one filter (``kernel[:, :, c, filter]``), and that filter.
    channels_shown: int = 0
    channels_filter: int = 0


@dataclass(frozen=True)
class MapsShown:
    # (height, width, channels) of the maps of one output of a ``predict`` call
    shape: tuple[int, ...]
    # The most channels drawn of one image.
    channels_shown: int
    # Images compared (the call's first ``MAPS_PER_CALL``) and the most drawn in one channel.
    images: int = 0
    images_shown: int = 0


@dataclass(frozen=True)
class Prediction:
    rows: int
    columns: int
    # The classes (argmax) of the first rows.
    classes: tuple[int, ...]


@dataclass(frozen=True)
class Shown:
    kernels: tuple[KernelShown, ...] = ()
    maps: tuple[MapsShown, ...] = ()
    # The (height, width) of every image drawn.
    images: tuple[tuple[int, ...], ...] = ()
    predictions: tuple[Prediction, ...] = ()


def _ints(value: Any) -> tuple[int, ...] | None:
    """A recorded shape as integers; ``None`` when it is not one (the kernel side is untrusted)."""
    if not isinstance(value, list) or not all(isinstance(d, int) and d >= 0 for d in value):
        return None
    return tuple(value)


def _numeric(array: np.ndarray | None, limit: int) -> np.ndarray | None:
    """``array`` when it is a real-valued array of at most ``limit`` elements."""
    if array is None or array.dtype.kind not in "biuf" or array.size > limit:
        return None
    return array


def _scaled(image: np.ndarray) -> np.ndarray | None:
    """``image`` scaled to [0, 1]; ``None`` when it is constant (a dead channel)."""
    image = image.astype(np.float64)
    low, high = float(image.min()), float(image.max())
    if not np.isfinite(low) or not np.isfinite(high) or high - low < 1e-12:
        return None
    return (image - low) / (high - low)


def _plane(array: np.ndarray) -> np.ndarray | None:
    """A drawn image as a 2-D array (a trailing channel of 1 dropped); ``None`` for colour
    images."""
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    return array if array.ndim == 2 and array.dtype.kind in "biuf" else None


def matched(images: list[np.ndarray], candidates: np.ndarray, owner: np.ndarray) -> set[int]:
    """The indices of the ``candidates`` (2-D pictures, shape ``(n, h, w)``) drawn among ``images``.

    A constant image stands for one constant candidate, at most one per owner (filter,
    channel) all of whose candidates are constant: a blank square says nothing more.
    """
    if not images or len(candidates) == 0:
        return set()
    flat = candidates.reshape(len(candidates), -1)
    scaled = [_scaled(c) for c in flat]
    live = {i: c for i, c in enumerate(scaled) if c is not None}
    live_owners = {int(owner[i]) for i in live}
    constant: dict[int, int] = {}
    for i, c in enumerate(scaled):
        if c is None and int(owner[i]) not in live_owners:
            constant.setdefault(int(owner[i]), i)
    matrix = np.stack(list(live.values())) if live else np.empty((0, flat.shape[1]))
    indices = np.array(list(live), dtype=int)
    found: set[int] = set()
    constant_images = 0
    for image in images:
        picture = _scaled(image.reshape(-1))
        if picture is None:
            constant_images += 1
        elif len(matrix):
            found.update(int(i) for i in indices[np.abs(matrix - picture).max(axis=1) < TOLERANCE])
    found.update(list(constant.values())[:constant_images])
    return found


def count_matches(images: list[np.ndarray], candidates: np.ndarray, owner: np.ndarray) -> int:
    """How many distinct owners (filters, channels) have a candidate among ``images``."""
    return len({int(owner[i]) for i in matched(images, candidates, owner)})


def kernel_candidates(kernel: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every ``kernel[:, :, c, f]`` (at index ``c * filters + f``), then every
    ``kernel[:, :, :, f].mean(-1)``, with their filter ``f``."""
    height, width, inputs, filters = kernel.shape
    slices = np.moveaxis(kernel, (2, 3), (0, 1)).reshape(inputs * filters, height, width)
    means = np.moveaxis(kernel.mean(axis=2), -1, 0)
    owner = np.concatenate([np.tile(np.arange(filters), inputs), np.arange(filters)])
    return np.concatenate([slices, means]), owner


def kernel_units(kernel: np.ndarray, images: list[np.ndarray]) -> tuple[int, int, int]:
    """What a drawing shows of ``kernel`` in each unit a filter plot may use: the distinct
    filters drawn (any input channel, or their mean); the most input channels drawn of one
    filter; and that filter."""
    inputs, filters = kernel.shape[2:]
    candidates, owner = kernel_candidates(kernel)
    found = matched(images, candidates, owner)
    channels: dict[int, set[int]] = {}
    for i in found:
        if i < inputs * filters:
            channels.setdefault(i % filters, set()).add(i // filters)
    best = max(channels, key=lambda f: (len(channels[f]), -f), default=0)
    return len({int(owner[i]) for i in found}), len(channels.get(best, ())), best


def map_units(maps: np.ndarray, images: list[np.ndarray]) -> tuple[int, int]:
    """What a drawing shows of ``maps`` (images, height, width, channels) in each unit a
    feature-map plot may use: the most channels drawn of one image, the most images drawn
    in one channel (a grid of images by channels counts in both)."""
    count, channels = maps.shape[0], maps.shape[-1]
    planes = np.moveaxis(maps, -1, 1).reshape(count * channels, *maps.shape[1:3])
    found = matched(images, planes, np.arange(count * channels))
    per_image: dict[int, int] = {}
    per_channel: dict[int, int] = {}
    for i in found:
        per_image[i // channels] = per_image.get(i // channels, 0) + 1
        per_channel[i % channels] = per_channel.get(i % channels, 0) + 1
    return max(per_image.values(), default=0), max(per_channel.values(), default=0)


def drawn_images(evidence: Evidence) -> list[np.ndarray]:
    images = []
    for figure in evidence.figures:
        for axes in figure.axes:
            refs = axes.get("image_arrays")
            for ref in refs if isinstance(refs, list) else []:
                array = _numeric(evidence.array(ref), MAX_IMAGE_ELEMENTS)
                plane = _plane(np.asarray(array)) if array is not None else None
                if plane is not None:
                    images.append(plane)
    return images


def _by_shape(images: list[np.ndarray]) -> dict[tuple[int, ...], list[np.ndarray]]:
    grouped: dict[tuple[int, ...], list[np.ndarray]] = {}
    for image in images:
        grouped.setdefault(tuple(int(d) for d in image.shape), []).append(image)
    return grouped


def _kernels(
    evidence: Evidence, model: str | None, images: dict[tuple[int, ...], list[np.ndarray]]
) -> tuple[KernelShown, ...]:
    end = next((e for e in reversed(evidence.of_kind("fit_end")) if e.get("model") == model), None)
    found = []
    for entry in end.get("kernels", []) if end and isinstance(end.get("kernels"), list) else []:
        shape = _ints(entry.get("shape")) if isinstance(entry, dict) else None
        if shape is None or len(shape) != 4:
            continue
        kernel = _numeric(evidence.array(entry.get("array")), MAX_RECORDED_ELEMENTS)
        units = (0, 0, 0)
        if kernel is not None and kernel.shape == shape:
            units = kernel_units(np.asarray(kernel, dtype=np.float64), images.get(shape[:2], []))
        found.append(KernelShown(str(entry.get("layer", "?")), shape, *units))
    return tuple(found)


def _predict_outputs(evidence: Evidence) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Each output of each ``predict`` call, with its shape checked to be one."""
    pairs = []
    for event in evidence.of_kind("predict"):
        outputs = event.get("outputs")
        for output in outputs if isinstance(outputs, list) else []:
            shape = _ints(output.get("shape")) if isinstance(output, dict) else None
            if shape is not None:
                pairs.append((event, {**output, "shape": shape}))
    return pairs


def _maps(
    evidence: Evidence, images: dict[tuple[int, ...], list[np.ndarray]]
) -> tuple[MapsShown, ...]:
    found = []
    for event, output in _predict_outputs(evidence):
        shape = output["shape"]
        if len(shape) != 4:
            continue
        maps = _numeric(evidence.array(output.get("array")), MAX_RECORDED_ELEMENTS)
        if maps is None or maps.shape != shape or not shape[0]:
            found.append(MapsShown(shape[1:], 0))
            continue
        batch = np.asarray(maps[:MAPS_PER_CALL], dtype=np.float64)
        channels, images_shown = map_units(batch, images.get(shape[1:3], []))
        found.append(MapsShown(shape[1:], channels, len(batch), images_shown))
    return tuple(found)


def _predictions(evidence: Evidence, model: str | None) -> tuple[Prediction, ...]:
    found = []
    for event, output in _predict_outputs(evidence):
        if event.get("model") != model or len(output["shape"]) != 2:
            continue
        scores = _numeric(evidence.array(output.get("array")), MAX_RECORDED_ELEMENTS)
        rows, columns = output["shape"]
        readable = scores is not None and scores.shape == (rows, columns) and rows and columns
        classes = (
            tuple(int(c) for c in np.argmax(np.asarray(scores[:PREDICTIONS_KEPT]), axis=1))
            if readable and scores is not None
            else ()
        )
        found.append(Prediction(rows, columns, classes))
    return tuple(found)


def shown(evidence: Evidence, model: str | None) -> Shown:
    """What the figures drew from the trained ``model``'s kernels and from feature maps; what it
    predicted."""
    images = drawn_images(evidence)
    grouped = _by_shape(images)
    return Shown(
        kernels=_kernels(evidence, model, grouped),
        maps=_maps(evidence, grouped),
        images=tuple(tuple(int(d) for d in image.shape) for image in images),
        predictions=_predictions(evidence, model),
    )
