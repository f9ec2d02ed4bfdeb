"""The accuracy an assignment's reference reaches under the grader's own measurement budget.

The threshold in ``assignments/<name>/assignment.toml`` (``[measure]``) is set below what
the reference reaches when the grader rebuilds and trains it exactly as it does a
student's model: same samples, epochs, test images, seed and the reference's batch size.
Run this after changing a budget, or once real data is provisioned (CIFAR-10 ships as
generated stand-ins, on which accuracy is not judged).

    python bench/calibrate.py mlp mnist-cnn cifar10
"""

import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import importlib  # noqa: E402

from grader.course.assignment import load_assignment  # noqa: E402
from grader.datasets import load  # noqa: E402
from grader.model.architecture import parse_architecture  # noqa: E402
from grader.model.training import build, import_keras, train_and_evaluate  # noqa: E402
from grader.sandbox.kernel import offline


def calibrate(name: str) -> str:
    assignment = load_assignment(name)
    expected = assignment.expected
    module = importlib.import_module(assignment.reference)
    keras = import_keras()
    data = module.prepare_data()
    compiled = module.build_model()
    module.compile_model(compiled)
    optimizer = keras.optimizers.serialize(compiled.optimizer)
    tests = expected.measure_test_samples
    started, cpu = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF).ru_utime
    training = train_and_evaluate(
        build(parse_architecture(compiled.to_json()), int(assignment.measure.get("seed", 0))),
        {"optimizer": optimizer, "loss": module.LOSS},
        data.x_train,
        data.y_train,
        data.x_test[:tests],
        data.y_test[:tests].argmax(axis=1),
        samples=expected.measure_samples,
        epochs=expected.measure_epochs,
        batch_size=expected.batch_size,
        seed=int(assignment.measure.get("seed", 0)),
    )
    cpu = resource.getrusage(resource.RUSAGE_SELF).ru_utime - cpu
    synthetic = (
        " (generated data: not judged)"
        if load(assignment.dataset, provision_missing=False).synthetic
        else ""
    )
    return (
        f"{name:10} reference {training.accuracy!s:>7}  threshold {expected.threshold:<5} "
        f"{training.samples} samples x {training.epochs} epoch, {training.test_samples} test "
        "images, "
        f"{time.perf_counter() - started:.0f} s wall, {cpu:.0f} s CPU{synthetic}"
    )


def main() -> None:
    offline.install()
    for name in sys.argv[1:] or ["mlp", "mnist-cnn", "cifar10"]:
        print(calibrate(name), flush=True)


if __name__ == "__main__":
    main()
