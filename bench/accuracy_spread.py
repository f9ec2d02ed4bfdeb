"""How sure the grader's accuracy verdict is, per assignment: the spread of its measurement, the
chance that a correct solution fails, and the chance that a slow learner passes.

The grader measures a student's architecture on their first ``[measure] samples`` training rows,
with a seed, and judges the accuracy on the test split against ``threshold``.  A correct solution
whose training set is in another order (shuffled with its labels, as many students do) starts
from other rows, and another seed starts from other weights: the figure moves.  This bench
measures it exactly as the grader does (``train_and_evaluate``), for ``--orders`` orders of the
training set times the seeds the grader would use (``seed``, then the next ``extra_measurements``
seeds near the threshold), for:

- ``reference``: the reference solution, in its order and shuffled;
- ``raw pixels`` (0-255, not divided by 255), a planted slow learner;
- ``sgd``: the reference compiled with SGD at its default rate, a planted slow learner;
- ``default rate``: the reference's optimizer at Keras's default settings (``Adadelta()`` where
  the reference sets ``learning_rate=1.0``), where that differs from the reference's own.

It prints, per variant, the mean, standard deviation, minimum and maximum of the single
measurements, how often one measurement falls below the threshold, and how often the grader's
procedure (``measurement.confidence``: measured again while the mean is within the margin) ends
below it; and the spread to write into ``[measure] spread``.

    python bench/accuracy_spread.py week8 mlp --orders 8
"""

from __future__ import annotations

import argparse
import importlib
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from grader.course.assignment import load_assignment  # noqa: E402
from grader.measurement.confidence import Policy, judged, needs_more  # noqa: E402
from grader.model.architecture import parse_architecture  # noqa: E402
from grader.model.training import build, import_keras, train_and_evaluate  # noqa: E402
from grader.sandbox.kernel import offline  # noqa: E402


def _variants(module: Any, keras: Any) -> dict[str, tuple[Any, dict[str, Any], bool]]:
    """Each variant's model, compile settings, and whether its pixels stay raw (0-255)."""
    compiled = module.build_model()
    module.compile_model(compiled)
    architecture = compiled.to_json()
    optimizer = keras.optimizers.serialize(compiled.optimizer)
    sgd = keras.optimizers.serialize(keras.optimizers.SGD())
    default = keras.optimizers.serialize(type(compiled.optimizer)())
    found = {
        "reference": (architecture, {"optimizer": optimizer, "loss": module.LOSS}, False),
        "raw pixels": (architecture, {"optimizer": optimizer, "loss": module.LOSS}, True),
        "sgd": (architecture, {"optimizer": sgd, "loss": module.LOSS}, False),
    }
    if default["config"] != optimizer["config"]:
        found["default rate"] = (architecture, {"optimizer": default, "loss": module.LOSS}, False)
    return found


def spread(name: str, orders: int, variants: list[str]) -> list[str]:
    assignment = load_assignment(name)
    expected = assignment.expected
    policy = Policy.of(assignment.measure, expected.threshold)
    first_seed = int(assignment.measure.get("seed", 0))
    module = importlib.import_module(assignment.reference)
    keras = import_keras()
    data = module.prepare_data()
    tests = expected.measure_test_samples
    x_test, truth = data.x_test[:tests], data.y_test[:tests].argmax(axis=1)
    lines = [
        f"{name}: threshold {expected.threshold}, margin {policy.margin}, up to "
        f"{policy.extra} more measurements; {orders} orders x {1 + policy.extra} seeds, "
        f"{expected.measure_samples} samples x {expected.measure_epochs} epoch(s)"
    ]
    for variant, (architecture, settings, raw) in _variants(module, keras).items():
        if variant not in variants:
            continue
        started = time.perf_counter()
        rows = []
        for order in range(orders):
            # Order 0 is the reference's own; the others shuffle images and labels together.
            chosen = np.random.default_rng(order).permutation(len(data.x_train)) if order else None
            x = data.x_train if chosen is None else data.x_train[chosen]
            y = data.y_train if chosen is None else data.y_train[chosen]
            scale = 255.0 if raw else 1.0
            row = []
            for seed in range(first_seed, first_seed + 1 + policy.extra):
                training = train_and_evaluate(
                    build(parse_architecture(architecture), seed),
                    settings,
                    x[: expected.measure_samples] * scale,
                    y[: expected.measure_samples],
                    x_test * scale,
                    truth,
                    samples=expected.measure_samples,
                    epochs=expected.measure_epochs,
                    batch_size=expected.batch_size,
                    seed=seed,
                )
                row.append(float(training.accuracy or 0.0))
            rows.append(row)
        lines.append(_summary(variant, rows, policy, time.perf_counter() - started))
    return lines


def _procedure(row: list[float], policy: Policy) -> tuple[float, int]:
    """The accuracy the grader judges for one order, and how many measurements it took."""
    taken = 1
    while needs_more(row[:taken], policy):
        taken += 1
    return judged(row[:taken]), taken


def _summary(variant: str, rows: list[list[float]], policy: Policy, seconds: float) -> str:
    values = [value for row in rows for value in row]
    firsts = [row[0] for row in rows]
    decided = [_procedure(row, policy) for row in rows]
    below_once = sum(value < policy.threshold for value in values) / len(values)
    below_procedure = sum(mean < policy.threshold for mean, _ in decided) / len(decided)
    again = sum(taken > 1 for _, taken in decided)
    return (
        f"  {variant:11} mean {statistics.mean(values):.4f}  sd {statistics.pstdev(values):.4f}  "
        f"min {min(values):.4f}  max {max(values):.4f}  first {statistics.mean(firsts):.4f}  "
        f"below the threshold: {below_once:.1%} of single measurements, "
        f"{below_procedure:.1%} after the procedure ({again}/{len(rows)} measured again)  "
        f"[{seconds:.0f} s]"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("assignments", nargs="*", default=["week8", "mlp", "mnist-cnn"])
    parser.add_argument("--orders", type=int, default=8, help="orders of the training set")
    parser.add_argument(
        "--variants",
        default="reference,raw pixels,sgd",
        help="which of: reference, raw pixels, sgd, default rate (comma-separated)",
    )
    options = parser.parse_args()
    offline.install()
    for name in options.assignments:
        for line in spread(name, options.orders, options.variants.split(",")):
            print(line, flush=True)


if __name__ == "__main__":
    main()
