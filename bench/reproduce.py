"""Train every reference exercise and compare its test accuracy with the published figure.

Full length is meant for a GPU machine; ``--quick`` is a CPU smoke run (1000 samples,
one epoch) that only checks everything runs.  A dataset that was not provisioned for
real (CIFAR-10 by default) is a generated stand-in: its accuracy is marked ``*`` and
means nothing.

    GRADER_CACHE_DIR=... python bench/reproduce.py [--quick] [--only NAME ...]
"""

import argparse
import importlib
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from grader.datasets import load  # noqa: E402
from grader.sandbox.kernel import offline
from reference import EXERCISES  # noqa: E402

QUICK_SAMPLES = 1000
HEADER = ("exercise", "published", "reproduced", "train s")


def reproduce(name: str, quick: bool, seed: int) -> tuple[str, str, str, str]:
    """One table row: exercise, published accuracy, reproduced accuracy, training seconds."""
    module = importlib.import_module(EXERCISES[name])
    keras.utils.set_random_seed(seed)
    data = module.prepare_data()
    model = module.build_model()
    module.compile_model(model)
    start = time.perf_counter()
    module.train(model, data, epochs=1 if quick else None, samples=QUICK_SAMPLES if quick else None)
    seconds = time.perf_counter() - start
    accuracy = module.evaluate(model, data)
    published = "-" if module.PUBLISHED_ACCURACY is None else f"{module.PUBLISHED_ACCURACY:.4f}"
    marker = "*" if load(module.DATASET).synthetic else ""
    return name, published, f"{accuracy:.4f}{marker}", f"{seconds:.1f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help=f"{QUICK_SAMPLES} samples, 1 epoch (CPU smoke run)"
    )
    parser.add_argument("--only", nargs="+", choices=list(EXERCISES), default=list(EXERCISES))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    offline.install()
    keras.utils.disable_interactive_logging()

    rows = [reproduce(name, args.quick, args.seed) for name in args.only]

    widths = [max(len(row[i]) for row in [HEADER, *rows]) for i in range(len(HEADER))]
    mode = f"quick: {QUICK_SAMPLES} samples, 1 epoch" if args.quick else "full training"
    devices = ", ".join(device.device_type for device in tf.config.list_physical_devices())
    print(
        f"{mode}; keras {keras.__version__}, tensorflow {tf.__version__}, devices: {devices}; seed "
        f"{args.seed}"
    )
    for row in [HEADER, *rows]:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
    if any(row[2].endswith("*") for row in rows):
        print(
            "* trained and tested on generated stand-in data: not comparable with the published "
            "figure"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
