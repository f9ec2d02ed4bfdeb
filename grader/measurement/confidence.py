"""How sure the accuracy verdict is: a measurement near the threshold is measured again.

One seeded measurement of a correct model lands anywhere in a spread around the reference's
accuracy (other seeds, other first rows of a shuffled training set: ``bench/accuracy_spread.py``
measures it per assignment).  So a result just under the threshold is not final: while the mean
of the measurements lies within ``margin`` below the threshold, the grader measures again with
the next seed, up to ``extra`` more times, and judges the mean (a sequential test, in the manner
of StochasticGrade, EDM 2024).  A result far below the threshold costs nothing more.

``false_fail_chance`` is the chance that a correct model, whose measurements spread as the
bench found (``[measure] spread``) around the reference's accuracy, fails this procedure.
Pure: numbers in, numbers out.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

# Defaults where an assignment's ``[measure]`` sets none.
MARGIN = 0.03
EXTRA = 2
# Draws of the simulation behind ``false_fail_chance`` (seeded: the same figure every time).
DRAWS = 200_000


@dataclass(frozen=True)
class Policy:
    """When a measurement is measured again, and how the verdict is reached."""

    threshold: float
    # A mean this far below the threshold, or less, is measured again.
    margin: float = MARGIN
    # At most this many measurements after the first.
    extra: int = EXTRA
    # The standard deviation of a correct model's measurements (the bench's), when known.
    spread: float | None = None

    @classmethod
    def of(cls, table: Mapping[str, Any], threshold: float) -> Policy:
        """The policy of an assignment's ``[measure]`` table."""
        spread = table.get("spread")
        return cls(
            threshold,
            float(table.get("margin", MARGIN)),
            int(table.get("extra_measurements", EXTRA)),
            float(spread) if spread is not None else None,
        )


def judged(accuracies: Sequence[float]) -> float:
    """The accuracy the verdict reads: the mean of the measurements."""
    return float(np.mean(accuracies))


def _near(mean: Any, policy: Policy) -> Any:
    """Whether a mean (or each of an array of means) is below the threshold, within the margin."""
    return (policy.threshold - policy.margin <= mean) & (mean < policy.threshold)


def needs_more(accuracies: Sequence[float], policy: Policy) -> bool:
    """Whether to measure once more: the mean is below the threshold but within the margin, and
    the measurements allowed are not used up."""
    return bool(_near(judged(accuracies), policy)) and len(accuracies) < 1 + policy.extra


def false_fail_chance(policy: Policy, mean: float) -> float | None:
    """The chance that a model whose measurements spread by ``policy.spread`` around ``mean``
    fails under ``policy``; ``None`` where the spread is unknown."""
    if policy.spread is None:
        return None
    return _simulated(policy, mean, policy.spread)


@functools.lru_cache(maxsize=64)
def _simulated(policy: Policy, mean: float, spread: float) -> float:
    """``needs_more`` applied to ``DRAWS`` seeded rows of normal measurements at once."""
    draws = np.random.default_rng(0).normal(mean, spread, size=(DRAWS, 1 + policy.extra))
    means = np.cumsum(draws, axis=1) / np.arange(1, 2 + policy.extra)
    taken = np.ones(DRAWS, dtype=np.int64)
    for count in range(1, 1 + policy.extra):
        taken[(taken == count) & _near(means[:, count - 1], policy)] = count + 1
    return float((means[np.arange(DRAWS), taken - 1] < policy.threshold).mean())
