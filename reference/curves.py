"""Reference learning curves under the assignment's budget, for the students' feedback pages.

A student's ``fit`` runs in the sandbox capped by ``[budget]`` in ``assignment.toml``
(``grader/sandbox/kernel/hooks.py``: at most ``fit_samples`` training and ``validation_samples``
validation samples per epoch, at most ``max_epochs`` epochs; batch size kept).  Their
curves are only comparable with the reference trained under the same caps, so this module
trains the reference exactly so and writes the history as plain JSON:

    python -m reference.curves week8   # writes assignments/week8/reference_curves.json

The grader reads that file as data (``grader/report/curves.py``); it never trains here.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path
from typing import Any

FILE_NAME = "reference_curves.json"


def reference_history(module: Any, budget: dict[str, int], seed: int) -> tuple[dict[str, list[float]], int]:
    """Train the reference with the sandbox's caps; its history and the epochs it ran."""
    import keras

    data = module.prepare_data()
    epochs = min(int(module.EPOCHS), budget["max_epochs"])
    fit_n, validation_n = budget["fit_samples"], budget["validation_samples"]
    split = getattr(module, "VALIDATION_SPLIT", None)
    keras.utils.set_random_seed(seed)
    model = module.build_model()
    module.compile_model(model)
    validation: dict[str, Any] = (
        {"validation_split": split} if split
        else {"validation_data": (data.x_test[:validation_n], data.y_test[:validation_n])}
    )
    history = model.fit(data.x_train[:fit_n], data.y_train[:fit_n], batch_size=module.BATCH_SIZE, epochs=epochs,
                        verbose=0, **validation)
    return {key: [round(float(v), 6) for v in values] for key, values in history.history.items()}, epochs


def generate(name: str) -> Path:
    from grader.course.assignment import load_assignment
    from grader.sandbox.kernel import offline

    assignment = load_assignment(name)
    offline.install()
    module = importlib.import_module(assignment.reference)
    seed = int(assignment.measure.get("seed", 0))
    history, epochs = reference_history(module, assignment.budget, seed)
    document = {
        "assignment": name,
        "reference": assignment.reference,
        "budget": assignment.budget,
        "batch_size": int(module.BATCH_SIZE),
        "epochs": epochs,
        "seed": seed,
        "history": history,
    }
    target = assignment.folder / FILE_NAME
    target.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reference.curves", description=__doc__.splitlines()[0])
    parser.add_argument("assignments", nargs="+", help="assignment names, e.g. week8")
    for name in parser.parse_args(argv).assignments:
        print(f"{name}: wrote {generate(name)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
