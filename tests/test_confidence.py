"""How sure the accuracy verdict is (``measurement.confidence``): a measurement within the margin
below the threshold is measured again with the next seeds and the mean is judged; the record
carries every measurement and the chance that a correct model fails this way; the note says
"measured 2 times: 0.7400, then 0.7900" in both languages."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import pytest

from grader import judging
from grader.boundary.execution import Execution
from grader.checks import results
from grader.course.assignment import load_assignment
from grader.evidence.facts import Facts
from grader.evidence.measured_notes import measured_notes
from grader.measurement.confidence import Policy, false_fail_chance, judged, needs_more
from grader.measurement.measurer import Measured
from grader.messages import in_language, text
from grader.model.training import Built, Training

POLICY = Policy(threshold=0.75, margin=0.03, extra=2, spread=0.02)


def test_only_a_mean_just_under_the_threshold_is_measured_again() -> None:
    assert needs_more([0.74], POLICY) and needs_more([0.72], POLICY)
    assert not needs_more([0.7199], POLICY)  # far below: failed at once
    assert not needs_more([0.75], POLICY) and not needs_more([0.9], POLICY)
    assert needs_more([0.74, 0.745], POLICY)
    assert not needs_more([0.74, 0.745, 0.74], POLICY)  # the measurements allowed are used up
    assert not needs_more([0.74], replace(POLICY, extra=0))
    assert judged([0.74, 0.79]) == pytest.approx(0.765)


def _normal_below(x: float, mean: float, spread: float) -> float:
    return 0.5 * math.erfc((mean - x) / spread / math.sqrt(2))


def test_the_chance_that_a_correct_model_fails_is_the_procedures() -> None:
    # One measurement: the normal distribution's tail below the threshold.
    once = false_fail_chance(replace(POLICY, extra=0, spread=0.03), 0.77)
    assert once == pytest.approx(_normal_below(0.75, 0.77, 0.03), abs=0.005)
    # Measured again near the threshold: a correct model fails far less often; a model that
    # really is below it still fails most of the time.
    again = false_fail_chance(replace(POLICY, spread=0.03), 0.77)
    assert again is not None and again < once / 2
    slow = false_fail_chance(replace(POLICY, spread=0.03), 0.70)
    assert slow is not None and slow > 0.9
    assert false_fail_chance(replace(POLICY, spread=None), 0.77) is None


@dataclass
class SeededMeasurer:
    """A measurer whose accuracy depends on the seed only; it counts what it was asked."""

    accuracies: dict[int, float]
    asked: list[int]

    def measure(self, architecture: Any, seed: int, data: Any) -> Measured:
        self.asked.append(seed)
        return Measured(Built(0, ()), Training(self.accuracies[seed], 2000, 1, 128, 10000, 1.0))


@pytest.mark.parametrize(
    "accuracies, trials",
    [
        ({0: 0.80}, [(0, 0.80)]),
        ({0: 0.60}, [(0, 0.60)]),
        ({0: 0.74, 1: 0.79}, [(0, 0.74), (1, 0.79)]),
        ({0: 0.74, 1: 0.73, 2: 0.745}, [(0, 0.74), (1, 0.73), (2, 0.745)]),
    ],
    ids=["above", "far-below", "near-then-above", "near-three-times"],
)
def test_the_grader_measures_again_with_the_next_seeds_while_it_is_near(
    accuracies: dict[int, float], trials: list[tuple[int, float]]
) -> None:
    measurer = SeededMeasurer(accuracies, [])
    first = measurer.measure(None, 0, None).training
    found = judging._trials(first, None, 0, None, measurer, POLICY)  # type: ignore[arg-type]
    assert list(found) == trials and measurer.asked == [seed for seed, _ in trials]


def _facts(trials: tuple[tuple[int, float], ...]) -> Facts:
    return Facts(
        Execution("completed", (), 0.0, False),
        "mnist",
        False,
        training=Training(trials[0][1], 2000, 1, 128, 10000, 1.0),
        trials=trials,
    )


def _said(params: dict[str, Any], lang: str) -> str:
    return text(lang, "note", "remeasured", **{k: in_language(v, lang) for k, v in params.items()})


def test_the_accuracy_check_judges_the_mean_and_the_note_lists_every_measurement() -> None:
    expected = load_assignment("week8").expected
    assert results.accuracy(_facts(((0, 0.74), (1, 0.79))), expected).passed
    below = results.accuracy(_facts(((0, 0.74), (1, 0.73), (2, 0.745))), expected)
    assert not below.passed and below.message is not None
    assert below.message.params["found"] == round((0.74 + 0.73 + 0.745) / 3, 4)
    assert results.accuracy(_facts(((0, 0.74),)), expected).message is not None
    twice = measured_notes(_facts(((0, 0.74), (1, 0.79))))
    notes = [n for n in twice if n.key == "note.remeasured"]
    assert len(notes) == 1
    said = {lang: _said(notes[0].params, lang) for lang in ("en", "ja")}
    assert "2 times, with seeds 0, 1: 0.7400, then 0.7900" in said["en"]
    assert "0.7400、次に 0.7900" in said["ja"] and "0.765" in said["ja"]
    assert not [n for n in measured_notes(_facts(((0, 0.80),))) if n.key == "note.remeasured"]
