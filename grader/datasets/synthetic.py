"""Generated stand-ins for datasets that cannot be had offline.

The arrays have the exact shapes and dtypes of the real ones, and each class has its own
pattern plus noise, so a model can learn them and a pipeline bug still shows.  Anything
graded on them says so.
"""

from __future__ import annotations

import numpy as np

from grader.datasets.catalog import Spec
from grader.datasets.dataset import Dataset

SEED = 20_26


def _split(
    spec: Spec, n: int, rng: np.random.Generator, prototypes: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    labels = rng.integers(0, spec.classes, size=n).astype(np.uint8)
    noise = rng.integers(0, 96, size=(n, *spec.image_shape), dtype=np.uint8)
    images = np.clip(prototypes[labels].astype(np.int16) + noise - 48, 0, 255).astype(np.uint8)
    return images, labels.reshape(spec.label_shape(n))


def generate(spec: Spec) -> Dataset:
    rng = np.random.default_rng(SEED)
    prototypes = rng.integers(0, 256, size=(spec.classes, *spec.image_shape), dtype=np.uint8)
    x_train, y_train = _split(spec, spec.n_train, rng, prototypes)
    x_test, y_test = _split(spec, spec.n_test, rng, prototypes)
    return Dataset(spec.name, x_train, y_train, x_test, y_test, synthetic=True)
