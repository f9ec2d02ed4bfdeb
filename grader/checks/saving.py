"""Saved models: each way of saving must bring back the trained model, predicting exactly alike.

The facts come from ``grader.reloading``: the saved files read as data and rebuilt in the
grader's process, never the student's own claims.
"""

from __future__ import annotations

from grader.checks.registry import check
from grader.outcome import PASSED, Outcome, failed, not_run
from grader.expected import Expected
from grader.facts import Facts
from grader.reloading import FORMATS, RECORDED_TOLERANCE

LABELS = {"keras": ".keras", "h5": ".h5", "json_weights": "JSON + weights"}
SAVE = {
    "keras": "model.save('model.keras')",
    "h5": "model.save('model.h5')",
    "json_weights": "open('model.json', 'w').write(model.to_json()); model.save_weights('model.weights.h5')",
}
LOAD = {
    "keras": "restored = keras.models.load_model('model.keras')",
    "h5": "restored = keras.models.load_model('model.h5')",
    "json_weights": "restored = keras.models.model_from_json(open('model.json').read()); restored.load_weights('model.weights.h5')",
}


def _round_trip(facts: Facts, fmt: str) -> Outcome:
    saving = facts.saving
    if saving is None:
        return not_run("saving.not_checked")
    if saving.trained_error is not None:
        return not_run("saving.no_trained", reason=saving.trained_error)
    trip = saving.round_trips[fmt]
    names = dict(format=LABELS[fmt], save=SAVE[fmt], load=LOAD[fmt])
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
        return failed("saving.differs", file=trip.loaded, difference=f"{trip.difference:.3g}", **names)
    return PASSED


@check("saving.keras")
def keras_archive(facts: Facts, expected: Expected) -> Outcome:
    return _round_trip(facts, "keras")


@check("saving.h5")
def legacy_h5(facts: Facts, expected: Expected) -> Outcome:
    return _round_trip(facts, "h5")


@check("saving.json_weights")
def json_and_weights(facts: Facts, expected: Expected) -> Outcome:
    return _round_trip(facts, "json_weights")


@check("saving.reloaded_predictions")
def reloaded_predictions(facts: Facts, expected: Expected) -> Outcome:
    saving = facts.saving
    if saving is None:
        return not_run("saving.not_checked")
    if saving.trained_error is not None:
        return not_run("saving.no_trained", reason=saving.trained_error)
    for fmt in FORMATS:
        prediction = saving.predictions.get(fmt)
        if prediction is None:
            continue
        if prediction.error is not None:
            return failed("saving.predictions_unusable", format=LABELS[fmt], reason=prediction.error)
        if prediction.difference is not None and prediction.difference > RECORDED_TOLERANCE:
            return failed("saving.predictions_differ", format=LABELS[fmt], difference=f"{prediction.difference:.3g}")
    missing = [LABELS[fmt] for fmt in FORMATS if fmt not in saving.predictions]
    if missing:
        return failed("saving.no_predictions", formats=", ".join(missing))
    return PASSED
