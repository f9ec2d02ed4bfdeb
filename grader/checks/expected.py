"""What a correct submission looks like, taken from the reference implementation."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from grader.model.architecture import Architecture
from grader.model.training import Built


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
    # Test images the grader's measurement predicts (None: the whole test set).
    measure_test_samples: int | None = None
    # Full-training figures from the reference, quoted in feedback: the correct solution,
    # the same network on raw 0-255 pixels, and at today's default optimizer settings.
    full_accuracy: float | None = None
    raw_input_accuracy: float | None = None
    default_setting_accuracy: float | None = None
    # Visualisations: kernels (h, w, in, out) whose filters are drawn, feature maps (h, w, c).
    kernel_shapes: tuple[tuple[int, ...], ...] = ()
    feature_map_shapes: tuple[tuple[int, ...], ...] = ()
    # Names of the classes, in label order (for predictions turned into names).
    class_names: tuple[str, ...] = ()
