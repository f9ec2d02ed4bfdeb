"""What a correct submission looks like, taken from the reference implementation."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from grader.architecture import Architecture
from grader.training import Built


@dataclass(frozen=True)
class Expected:
    input_shape: tuple[int, ...]
    classes: int
    architecture: Architecture
    built: Built
    loss: str
    optimizer: str
    optimizer_settings: dict[str, Any]
    metrics: tuple[str, ...]
    batch_size: int
    epochs: int
    # "test": validation_data=(x_test, y_test); "split": validation_split=...
    validation: str
    validation_split: float | None
    history_keys: tuple[str, ...]
    # The grader's own measurement: budget and the accuracy a correct model reaches in it.
    threshold: float
    reference_accuracy: float
    measure_samples: int
    measure_epochs: int
    plots: tuple[str, ...] = field(default=("loss", "accuracy"))
