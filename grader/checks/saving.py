"""Saved models: each way of saving must bring back the trained model, predicting exactly alike.

The facts come from ``grader.evidence.reloading``: the saved files read as data and rebuilt in the
grader's process, never the student's own claims.
"""

from __future__ import annotations

from typing import NamedTuple

from grader.checks.expected import Expected
from grader.checks.registry import check
from grader.evidence.facts import Facts
from grader.evidence.reloading import FORMATS, RECORDED_TOLERANCE, SavingFacts
from grader.outcome import PASSED, Outcome, failed, not_run


class Way(NamedTuple):
    """One way of saving, as a student's report names it: its label, how to save, how to load."""

    label: str
    save: str
    load: str


WAYS = {
    "keras": Way(
        ".keras", "model.save('model.keras')", "restored = keras.models.load_model('model.keras')"
    ),
    "h5": Way(".h5", "model.save('model.h5')", "restored = keras.models.load_model('model.h5')"),
    "json_weights": Way(
        "JSON + weights",
        "open('model.json', 'w').write(model.to_json()); model.save_weights('model.weights.h5')",
        "restored = keras.models.model_from_json(open('model.json').read()); "
        "restored.load_weights('model.weights.h5')",
    ),
}


def _trained(facts: Facts) -> SavingFacts | Outcome:
    """The round trips of the trained model, or why there are none (then no saving check can
    run)."""
    saving = facts.saving
    if saving is None:
        return not_run("saving.not_checked")
    if saving.trained_error is not None:
        return not_run("saving.no_trained", reason=saving.trained_error)
    return saving


def _round_trip(facts: Facts, fmt: str) -> Outcome:
    saving = _trained(facts)
    if isinstance(saving, Outcome):
        return saving
    trip = saving.round_trips[fmt]
    way = WAYS[fmt]
    names = dict(format=way.label, save=way.save, load=way.load)
    if trip.loaded is None:
        if trip.error is not None:
            return failed("saving.weights_not_loaded", **names)
        if trip.saved is None:
            return failed("saving.not_saved", **names)
        return failed("saving.not_loaded", file=trip.saved, **names)
    if trip.error is not None:
        return failed("saving.unreadable", file=trip.loaded, reason=trip.error, **names)
    if trip.same_layers is False:
        return failed("saving.other_model", file=trip.loaded, **names)
    if trip.difference != 0.0:
        return failed(
            "saving.differs", file=trip.loaded, difference=f"{trip.difference:.3g}", **names
        )
    return PASSED


@check("saving.keras")
def keras_format(facts: Facts, expected: Expected) -> Outcome:
    return _round_trip(facts, "keras")


@check("saving.h5")
def h5_format(facts: Facts, expected: Expected) -> Outcome:
    return _round_trip(facts, "h5")


@check("saving.json_weights")
def json_weights_format(facts: Facts, expected: Expected) -> Outcome:
    return _round_trip(facts, "json_weights")


@check("saving.reloaded_predictions", after=("saving.keras", "saving.h5", "saving.json_weights"))
def reloaded_predictions(facts: Facts, expected: Expected) -> Outcome:
    saving = _trained(facts)
    if isinstance(saving, Outcome):
        return saving
    for fmt in FORMATS:
        prediction = saving.predictions.get(fmt)
        if prediction is None:
            continue
        if prediction.error is not None:
            return failed(
                "saving.predictions_unusable", format=WAYS[fmt].label, reason=prediction.error
            )
        if prediction.difference is not None and prediction.difference > RECORDED_TOLERANCE:
            return failed(
                "saving.predictions_differ",
                format=WAYS[fmt].label,
                difference=f"{prediction.difference:.3g}",
            )
    missing = [WAYS[fmt].label for fmt in FORMATS if fmt not in saving.predictions]
    if missing:
        return failed("saving.no_predictions", formats=", ".join(missing))
    return PASSED
