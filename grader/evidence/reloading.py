"""Did the student's saved model come back as the model they trained?  Decided here, from files.

For each way of saving (``.keras``, ``.h5``, JSON + weights) the file the student loaded
is read as data (``model.saved_files``), its architecture rebuilt through the whitelist
(``training.build``) and its weights set from the arrays; the trained model is rebuilt
the same way from the weights the kernel wrote after the last cell.  Both predict on
fixed inputs in this process: a faithful round trip gives exactly the same numbers.  What
the student's reloaded models predicted (recorded in the kernel) is compared with the
trained model's predictions on the same inputs, as a cross-check of their own test.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import numpy as np

from grader.evidence.reading import Evidence
from grader.evidence.saved_copies import (
    FIXED_INPUTS,
    CostCheck,
    Unusable,
    architecture_of,
    predict,
    rebuild,
    same_layers,
    saved_file,
    trained_weights,
)
from grader.model.architecture import Architecture
from grader.model.saved_files import (
    ModelFile,
    ModelFileError,
    read_json,
    read_keras_archive,
    read_legacy_h5,
    read_weights,
)

FORMATS = ("keras", "h5", "json_weights")
# The student's predict may batch differently from ours; float32 sums then differ in the last bits.
RECORDED_TOLERANCE = 1e-5
SAVING_EVENTS = (
    "model_saved",
    "model_loaded",
    "model_from_json",
    "weights_saved",
    "weights_loaded",
)


@dataclass(frozen=True)
class RoundTrip:
    format: str
    # The file names the student saved to and loaded from (None: not done).
    saved: str | None
    loaded: str | None
    # Why the loaded file cannot be read or rebuilt.
    error: str | None = None
    # The loaded file's layers are those of the trained model.
    same_layers: bool | None = None
    # Largest absolute difference of predictions on fixed inputs: copy vs trained model.
    difference: float | None = None


@dataclass(frozen=True)
class ReloadedPredictions:
    format: str
    # Largest difference between what the student's reloaded model predicted and what the
    # trained model predicts on the same inputs.
    difference: float | None
    error: str | None = None


@dataclass(frozen=True)
class SavingFacts:
    # Why the trained model itself could not be rebuilt (then nothing could be compared).
    trained_error: str | None
    round_trips: dict[str, RoundTrip]
    predictions: dict[str, ReloadedPredictions]


def _suffix_format(name: Any) -> str | None:
    name = str(name or "").lower()
    return "keras" if name.endswith(".keras") else "h5" if name.endswith((".h5", ".hdf5")) else None


class _Comparison:
    def __init__(
        self, evidence: Evidence, trained: Architecture, original: Any, check: CostCheck
    ) -> None:
        self.evidence = evidence
        self.check = check
        self.trained = trained
        self.original = original
        rng = np.random.default_rng(0)
        self.inputs = rng.random(
            (FIXED_INPUTS, *cast(tuple[int, ...], trained.input_shape or ())), dtype=np.float32
        )
        self.expected = predict(original, self.inputs)

    def compare(self, fmt: str, saved: str | None, loaded: str | None, read: Any) -> RoundTrip:
        if loaded is None:
            return RoundTrip(fmt, saved, None)
        try:
            config_file, weights = read()
            architecture = architecture_of(config_file)
            copy = rebuild(architecture, weights, self.check)
            if not same_layers(architecture, self.trained):
                return RoundTrip(fmt, saved, loaded, same_layers=False)
            difference = float(np.max(np.abs(predict(copy, self.inputs) - self.expected)))
        except (ModelFileError, Unusable) as exc:
            return RoundTrip(fmt, saved, loaded, error=str(exc))
        return RoundTrip(fmt, saved, loaded, same_layers=True, difference=difference)


def saving_facts(
    evidence: Evidence, trained: Architecture | None, check: CostCheck = lambda *_: None
) -> SavingFacts:
    """Round trips of every format, and the reloaded models' recorded predictions, checked;
    ``check`` bounds each architecture before it is built."""
    fit = evidence.main_fit()
    key = fit.get("model") if fit else None
    weights = trained_weights(evidence, key)
    empty = {fmt: RoundTrip(fmt, None, None) for fmt in FORMATS}
    if not any(evidence.of_kind(kind) for kind in SAVING_EVENTS):
        return SavingFacts(None, empty, {})
    if trained is None or weights is None:
        reason = (
            "no trained model was found"
            if trained is None
            else "the trained model's weights were not recorded"
        )
        return SavingFacts(reason, empty, {})
    try:
        comparison = _Comparison(evidence, trained, rebuild(trained, weights, check), check)
    except Unusable as exc:
        return SavingFacts(str(exc), empty, {})

    saved = {
        fmt: next(
            (
                e.get("name")
                for e in reversed(evidence.of_kind("model_saved"))
                if _suffix_format(e.get("name")) == fmt
            ),
            None,
        )
        for fmt in ("keras", "h5")
    }
    loaded = {
        fmt: next(
            (
                e
                for e in reversed(evidence.of_kind("model_loaded"))
                if _suffix_format(e.get("name")) == fmt
            ),
            None,
        )
        for fmt in ("keras", "h5")
    }
    formats_by_model = {e.get("model"): fmt for fmt, e in loaded.items() if e is not None}
    readers = {"keras": read_keras_archive, "h5": read_legacy_h5}
    trips: dict[str, RoundTrip] = {}
    for fmt in ("keras", "h5"):
        event = loaded[fmt]

        def read(
            event: Any = event, reader: Any = readers[fmt]
        ) -> tuple[ModelFile, dict[str, tuple[np.ndarray, ...]]]:
            model_file = reader(*saved_file(evidence, event.get("file")))
            return model_file, model_file.weights

        trips[fmt] = comparison.compare(fmt, saved[fmt], event.get("name") if event else None, read)

    from_json = evidence.last("model_from_json")
    weights_saved = evidence.last("weights_saved")
    weights_loaded = next(
        (
            e
            for e in reversed(evidence.of_kind("weights_loaded"))
            if from_json is not None and e.get("model") == from_json.get("model")
        ),
        None,
    )
    if from_json is not None:
        formats_by_model[from_json.get("model")] = "json_weights"

    def read_json_weights() -> tuple[ModelFile, dict[str, tuple[np.ndarray, ...]]]:
        assert from_json is not None and weights_loaded is not None
        return read_json(*saved_file(evidence, from_json.get("file"))), read_weights(
            *saved_file(evidence, weights_loaded.get("file"))
        ).weights

    json_loaded = weights_loaded.get("name") if weights_loaded is not None else None
    if from_json is not None and weights_loaded is None:
        trips["json_weights"] = RoundTrip(
            "json_weights",
            weights_saved.get("name") if weights_saved else None,
            None,
            error="model_from_json was used, but load_weights was never called on its model",
        )
    else:
        trips["json_weights"] = comparison.compare(
            "json_weights",
            weights_saved.get("name") if weights_saved else None,
            json_loaded,
            read_json_weights,
        )
    return SavingFacts(None, trips, _recorded_predictions(evidence, comparison, formats_by_model))


def _recorded_predictions(
    evidence: Evidence, comparison: _Comparison, formats: dict[Any, str]
) -> dict[str, ReloadedPredictions]:
    found: dict[str, ReloadedPredictions] = {}
    for event in evidence.of_kind("reloaded_predict"):
        fmt = formats.get(event.get("model"))
        if fmt is None:
            continue
        x, y = evidence.array(event.get("x")), evidence.array(event.get("y"))
        if x is None or y is None:
            found[fmt] = ReloadedPredictions(fmt, None, "the predictions were not recorded")
            continue
        try:
            expected = predict(comparison.original, x)
        except Exception as exc:  # noqa: BLE001 - the student's inputs may not fit the model
            found[fmt] = ReloadedPredictions(
                fmt, None, f"the inputs do not fit the model ({type(exc).__name__})"
            )
            continue
        if expected.shape != y.shape:
            found[fmt] = ReloadedPredictions(
                fmt, None, f"the predictions have shape {y.shape}, not {expected.shape}"
            )
            continue
        found[fmt] = ReloadedPredictions(
            fmt, float(np.max(np.abs(np.asarray(y, dtype=np.float64) - expected)))
        )
    return found
