"""Figures beyond the learning curves: a curve saved as PNG, filters and feature maps drawn.

Each check compares counts that ``grader.figures`` took from the pixels the student drew
with the arrays behind them (the trained kernels, an intermediate model's outputs), so a
grid of 64 random squares does not pass for 64 filters.
"""

from __future__ import annotations

from grader.checks.registry import check
from grader.outcome import PASSED, Outcome, failed, not_run
from grader.checks.plots import shows_training_curve
from grader.expected import Expected
from grader.facts import Facts, FigureFacts

SAVED_FORMAT = "png"


def _shape(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(d) for d in shape) + ")"


def _files(figures: list[FigureFacts]) -> str:
    return ", ".join(sorted({f.saved.file or "a buffer" for f in figures if f.saved is not None}))


@check("plots.saved")
def saved_curve(facts: Facts, expected: Expected) -> Outcome:
    saved = [f for f in facts.figures if f.saved is not None]
    if not saved:
        return failed("plots.not_saved")
    files = [f for f in saved if f.saved is not None and f.saved.file and f.saved.format == SAVED_FORMAT and f.saved.size]
    if not files:
        return failed("plots.saved_format", files=_files(saved))
    if facts.fit is None or not facts.fit.history:
        return not_run("plots.no_history")
    if any(shows_training_curve(axes, facts.fit.history) for figure in files for axes in figure.axes):
        return PASSED
    if all(not axes.lines for figure in files for axes in figure.axes):
        return failed("plots.saved_blank", files=_files(files))
    return failed("plots.saved_not_curve", files=_files(files))


def _images_of(facts: Facts, size: tuple[int, ...]) -> int:
    return sum(1 for shape in facts.shown.images if shape == size)


@check("plots.filters")
def filters(facts: Facts, expected: Expected) -> Outcome:
    if facts.fit is None:
        return not_run("plots.no_trained_model")
    kernels = facts.shown.kernels
    for wanted in expected.kernel_shapes:
        layer = next((k for k in kernels if k.shape == wanted), None)
        count = wanted[-1]
        if layer is None:
            return failed("plots.no_kernel", shape=_shape(wanted), found=", ".join(_shape(k.shape) for k in kernels) or "none")
        if layer.filters_shown == 0:
            others = _images_of(facts, wanted[:2])
            if others:
                return failed("plots.filters_untrained", shape=_shape(wanted), layer=layer.layer, images=others,
                              size=f"{wanted[0]}x{wanted[1]}")
            return failed("plots.filters_missing", shape=_shape(wanted), layer=layer.layer, count=count,
                          size=f"{wanted[0]}x{wanted[1]}")
        if layer.filters_shown < count:
            return failed("plots.filters_partial", shape=_shape(wanted), layer=layer.layer, shown=layer.filters_shown, count=count)
    return PASSED


@check("plots.feature_maps")
def feature_maps(facts: Facts, expected: Expected) -> Outcome:
    for wanted in expected.feature_map_shapes:
        size = f"{wanted[0]}x{wanted[1]}"
        maps = [m for m in facts.shown.maps if m.shape == wanted]
        if not maps:
            found = ", ".join(sorted({_shape(m.shape) for m in facts.shown.maps})) or "none"
            return failed("plots.maps_not_predicted", shape=_shape(wanted), found=found, size=size)
        best = max(m.channels_shown for m in maps)
        if best == 0:
            return failed("plots.maps_missing", shape=_shape(wanted), size=size, count=wanted[-1], images=_images_of(facts, wanted[:2]))
        if best < wanted[-1]:
            return failed("plots.maps_partial", shape=_shape(wanted), size=size, shown=best, count=wanted[-1])
    return PASSED
