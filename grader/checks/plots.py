"""Figures: learning curves (a figure per quantity with training and validation curves, x label,
legend), a curve saved as PNG, filters and feature maps drawn.

Each check compares counts that ``grader.evidence.figures`` took from the pixels the student drew
with the arrays behind them (the trained kernels, an intermediate model's outputs), so a
grid of 64 random squares does not pass for 64 filters.  A drawing is complete in the unit
it uses: every filter of a layer, or every input channel of one filter; every channel of
one image's maps, or one channel of every image predicted (a grid of both counts as either).
"""

from __future__ import annotations

import math

from grader.checks.expected import Expected
from grader.checks.registry import check
from grader.evidence.facts import Axes, Facts, FigureFacts
from grader.evidence.figures import KernelShown, MapsShown
from grader.model.compile_forms import ACCURACY_KEYS
from grader.outcome import PASSED, Outcome, failed, not_run

HISTORY_SPELLINGS = {"accuracy": ACCURACY_KEYS, "loss": ("loss",)}


def _same(curve: tuple[float, ...], values: list[float]) -> bool:
    return (
        len(curve) == len(values)
        and len(values) > 0
        and all(math.isclose(a, b, rel_tol=1e-4, abs_tol=1e-6) for a, b in zip(curve, values))
    )


def shows_training_curve(axes: Axes, history: dict[str, list[float]]) -> bool:
    """Whether ``axes`` draws the training loss or accuracy of ``history``."""
    keys = [k for spellings in HISTORY_SPELLINGS.values() for k in spellings if k in history]
    return any(_same(line.y, history[k]) for k in keys for line in axes.lines)


def _find(facts: Facts, key: str) -> tuple[Axes | None, bool]:
    """The axes holding the training curve of ``key``; and whether it has the validation curve."""
    assert facts.fit is not None
    history = facts.fit.history
    names = [n for n in HISTORY_SPELLINGS.get(key, (key,)) if n in history]
    if not names:
        return None, False
    train, valid = history[names[0]], history.get(f"val_{names[0]}", [])
    for figure in facts.figures:
        for axes in figure.axes:
            if any(_same(line.y, train) for line in axes.lines):
                return axes, any(_same(line.y, valid) for line in axes.lines)
    return None, False


def _curves(facts: Facts, key: str) -> Outcome:
    if facts.fit is None or not facts.fit.history:
        return not_run("plots.no_history")
    axes, has_validation = _find(facts, key)
    if axes is None:
        return failed("plots.missing", quantity=key, figures=len(facts.figures))
    if not has_validation:
        return failed("plots.no_validation", quantity=key)
    if not axes.xlabel.strip():
        return failed("plots.no_xlabel", quantity=key)
    if not axes.legend or len(axes.legend) < 2:
        return failed("plots.no_legend", quantity=key)
    return PASSED


# A curve missing because the history lacks it; no x label or legend is the figure's own.
CURVES_AFTER = {
    "plots.no_history": ("fit.history",),
    "plots.missing": ("fit.history",),
    "plots.no_validation": ("fit.history",),
}


@check("plots.loss", after=CURVES_AFTER)
def loss_curves(facts: Facts, expected: Expected) -> Outcome:
    return _curves(facts, "loss")


@check("plots.accuracy", after=CURVES_AFTER)
def accuracy_curves(facts: Facts, expected: Expected) -> Outcome:
    return _curves(facts, "accuracy")


SAVED_FORMAT = "png"
# One channel drawn for every image predicted is a complete drawing when there are at least
# this many images (one channel of one image is not).
MIN_IMAGES = 2


def _shape(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(d) for d in shape) + ")"


def _files(figures: list[FigureFacts]) -> str:
    return ", ".join(sorted({f.saved.file or "a buffer" for f in figures if f.saved is not None}))


@check("plots.saved", after={"plots.no_history": ("fit.history",)})
def saved_curve(facts: Facts, expected: Expected) -> Outcome:
    saved = [f for f in facts.figures if f.saved is not None]
    if not saved:
        return failed("plots.not_saved")
    files = [
        f
        for f in saved
        if f.saved is not None and f.saved.file and f.saved.format == SAVED_FORMAT and f.saved.size
    ]
    if not files:
        return failed("plots.saved_format", files=_files(saved))
    if facts.fit is None or not facts.fit.history:
        return not_run("plots.no_history")
    if any(
        shows_training_curve(axes, facts.fit.history) for figure in files for axes in figure.axes
    ):
        return PASSED
    if all(not axes.lines for figure in files for axes in figure.axes):
        return failed("plots.saved_blank", files=_files(files))
    return failed("plots.saved_not_curve", files=_files(files))


def _images_of(facts: Facts, size: tuple[int, ...]) -> int:
    return sum(1 for shape in facts.shown.images if shape == size)


def _drawn_whole(layer: KernelShown) -> bool:
    inputs, count = layer.shape[2], layer.shape[3]
    return layer.filters_shown >= count or (inputs > 1 and layer.channels_shown >= inputs)


def _partial(layer: KernelShown) -> Outcome:
    """A partial filter drawing, counted in the unit it uses (filters, or input channels of one
    filter)."""
    shape, (inputs, count) = _shape(layer.shape), layer.shape[2:]
    if inputs > 1 and layer.channels_shown * count > layer.filters_shown * inputs:
        return failed(
            "plots.filters_partial_channels",
            shape=shape,
            layer=layer.layer,
            shown=layer.channels_shown,
            inputs=inputs,
            filter=layer.channels_filter,
            count=count,
        )
    return failed(
        "plots.filters_partial",
        shape=shape,
        layer=layer.layer,
        shown=layer.filters_shown,
        count=count,
    )


@check("plots.filters", after={"plots.no_trained_model": ("run.cells", "fit.epochs")})
def filters(facts: Facts, expected: Expected) -> Outcome:
    if facts.fit is None:
        return not_run("plots.no_trained_model")
    kernels = facts.shown.kernels
    for wanted in expected.kernel_shapes:
        layer = next((k for k in kernels if k.shape == wanted), None)
        count = wanted[-1]
        if layer is None:
            return failed(
                "plots.no_kernel",
                shape=_shape(wanted),
                found=", ".join(_shape(k.shape) for k in kernels) or "none",
            )
        if layer.filters_shown == 0:
            others = _images_of(facts, wanted[:2])
            if others:
                return failed(
                    "plots.filters_untrained",
                    shape=_shape(wanted),
                    layer=layer.layer,
                    images=others,
                    size=f"{wanted[0]}x{wanted[1]}",
                )
            return failed(
                "plots.filters_missing",
                shape=_shape(wanted),
                layer=layer.layer,
                count=count,
                size=f"{wanted[0]}x{wanted[1]}",
            )
        if not _drawn_whole(layer):
            return _partial(layer)
    return PASSED


def _maps_whole(maps: MapsShown) -> bool:
    return maps.channels_shown >= maps.shape[-1] or (
        maps.images >= MIN_IMAGES and maps.images_shown >= maps.images
    )


def _maps_of(facts: Facts, wanted: tuple[int, ...]) -> Outcome:
    """Whether the maps of shape ``wanted`` were drawn whole, in either unit; else what was
    drawn."""
    size = f"{wanted[0]}x{wanted[1]}"
    maps = [m for m in facts.shown.maps if m.shape == wanted]
    if not maps:
        found = ", ".join(sorted({_shape(m.shape) for m in facts.shown.maps})) or "none"
        return failed("plots.maps_not_predicted", shape=_shape(wanted), found=found, size=size)
    if any(_maps_whole(m) for m in maps):
        return PASSED
    best = max(
        maps, key=lambda m: (m.channels_shown / wanted[-1], m.images_shown / max(m.images, 1))
    )
    if best.channels_shown == 0:
        return failed(
            "plots.maps_missing",
            shape=_shape(wanted),
            size=size,
            count=wanted[-1],
            images=_images_of(facts, wanted[:2]),
        )
    return failed(
        "plots.maps_partial",
        shape=_shape(wanted),
        size=size,
        shown=best.channels_shown,
        count=wanted[-1],
        images_shown=best.images_shown,
        images=best.images,
    )


# The most telling of several shapes' failures: something drawn, then something predicted.
_TELLING = ("plots.maps_partial", "plots.maps_missing", "plots.maps_not_predicted")


@check("plots.feature_maps")
def feature_maps(facts: Facts, expected: Expected) -> Outcome:
    """The maps of at least one of the reference's intermediate outputs, drawn whole."""
    outcomes = [_maps_of(facts, wanted) for wanted in expected.feature_map_shapes]
    if not outcomes or any(o.passed for o in outcomes):
        return PASSED
    return min(
        outcomes, key=lambda o: _TELLING.index(o.message.key) if o.message else len(_TELLING)
    )


@check("plots.feature_maps_layers", after=("plots.feature_maps",))
def feature_maps_layers(facts: Facts, expected: Expected) -> Outcome:
    """The maps of every one of the reference's intermediate outputs, each drawn whole."""
    for wanted in expected.feature_map_shapes:
        outcome = _maps_of(facts, wanted)
        if not outcome.passed:
            return outcome
    return PASSED
