"""Which ``fit`` the grader reads as the notebook's training (``Evidence.main_fit``): not a copy
trained a little more after it was loaded, not a fit that raised."""

from __future__ import annotations

from pathlib import Path

from grader.evidence.reading import Evidence


def _fit(model: str, epochs: int, ended: bool = True) -> list[dict]:
    start = {"kind": "fit_start", "model": model, "epochs": epochs}
    return [start, {"kind": "fit_end", "model": model}] if ended else [start]


def _main(tmp_path: Path, *events: dict) -> tuple[str, int] | None:
    fit = Evidence(tmp_path, tuple(events)).main_fit()
    return None if fit is None else (fit["model"], fit["epochs"])


def test_the_evaluated_models_training_not_a_reloaded_copy_trained_after_it(
    tmp_path: Path,
) -> None:
    trained = [*_fit("m0", 5), {"kind": "evaluate", "model": "m0"}]
    # Loaded back, then fitted once more on a few images: that fit raised (no fit_end) ...
    assert _main(tmp_path, *trained, *_fit("m1", 1, ended=False)) == ("m0", 5)
    # ... or finished: the model the notebook evaluated is still the one it trained.
    assert _main(tmp_path, *trained, *_fit("m1", 1)) == ("m0", 5)


def test_without_an_evaluation_the_last_fit_that_finished(tmp_path: Path) -> None:
    assert _main(tmp_path, *_fit("m0", 5), *_fit("m1", 1, ended=False)) == ("m0", 5)
    assert _main(tmp_path, *_fit("m0", 5), *_fit("m1", 3)) == ("m1", 3)
    assert _main(tmp_path, *_fit("m0", 5, ended=False)) == ("m0", 5)
    assert _main(tmp_path) is None


def test_a_model_trained_again_and_evaluated_again_is_read_at_its_last_fit(tmp_path: Path) -> None:
    events = [
        *_fit("m0", 5),
        {"kind": "evaluate", "model": "m0"},
        *_fit("m1", 2),
        {"kind": "evaluate", "model": "m1"},
        *_fit("m0", 3),
    ]
    assert _main(tmp_path, *events) == ("m1", 2)
    assert _main(tmp_path, *events, {"kind": "evaluate", "model": "m0"}) == ("m0", 3)
