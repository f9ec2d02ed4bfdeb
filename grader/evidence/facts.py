"""The facts the checks look at: frozen, plain data about one submission's run, data, model,
settings and plots (``Facts`` and its parts).

Every number in them is computed in the grader's process from the arrays and configs the kernel
wrote (``gathering``, ``piece_facts``): shapes, ranges, label agreement with the true dataset,
parameter counts of the rebuilt model, the grader's own accuracy.  Checks receive these frozen
facts and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from grader.boundary.execution import Execution
from grader.evidence.compat_notes import Compat
from grader.evidence.figures import Shown
from grader.evidence.provenance import MeasuredOn, Provenance
from grader.evidence.reloading import SavingFacts
from grader.model.architecture import Architecture
from grader.model.training import Built, Training


@dataclass(frozen=True)
class ArrayFacts:
    """What every prepared array is: its variable's name, shape and dtype."""

    name: str
    shape: tuple[int, ...]
    dtype: str


@dataclass(frozen=True)
class ImageFacts(ArrayFacts):
    minimum: float
    maximum: float
    finite: bool


@dataclass(frozen=True)
class LabelFacts(ArrayFacts):
    # Values are all 0 or 1 and every row sums to 1.
    one_hot: bool
    # Share of rows whose class (argmax) is the true label of the same image; None if unknown.
    agreement: float | None


@dataclass(frozen=True)
class CompileFacts:
    loss: str | None
    optimizer: str | None
    optimizer_settings: dict[str, Any]
    # Each metric as written: a string, a function's name, a metric object's class.
    metrics: tuple[str, ...]
    # A loss object's settings that change what it computes (``from_logits``).
    loss_settings: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FitFacts:
    batch_size: int | None
    epochs: int | None
    # "test" (validation_data is the test set), "split", "other" or "none"
    validation: str
    validation_split: float
    history_keys: tuple[str, ...] | None
    history: dict[str, list[float]]


@dataclass(frozen=True)
class Line:
    label: str
    y: tuple[float, ...]
    marker: str
    linestyle: str


@dataclass(frozen=True)
class Axes:
    xlabel: str
    ylabel: str
    title: str
    legend: tuple[str, ...] | None
    lines: tuple[Line, ...]
    images: int


@dataclass(frozen=True)
class SavedFile:
    # The file's base name (None when saved to a buffer), its format, its size once written.
    file: str | None
    format: str | None
    size: int | None


@dataclass(frozen=True)
class FigureFacts:
    png: bytes | None
    axes: tuple[Axes, ...]
    # Set when the student's own ``savefig`` call wrote this figure.
    saved: SavedFile | None = None


@dataclass(frozen=True)
class Facts:
    execution: Execution
    dataset: str
    synthetic_data: bool
    x_train: ImageFacts | None = None
    x_test: ImageFacts | None = None
    y_train: LabelFacts | None = None
    y_test: LabelFacts | None = None
    architecture: Architecture | None = None
    architecture_error: str | None = None
    # The class of a subclassed model (``class Net(keras.Model)``): no check can judge its layers.
    subclassed: str | None = None
    built: Built | None = None
    build_error: str | None = None
    compile: CompileFacts | None = None
    fit: FitFacts | None = None
    figures: tuple[FigureFacts, ...] = ()
    training: Training | None = None
    # Each measurement's seed and accuracy, the first one's (``training``) first: more than one
    # where it was near the threshold (``measurement.confidence``).
    trials: tuple[tuple[int, float], ...] = ()
    # The chance that a correct model fails the measurement's procedure, where the assignment gives
    # the spread of its measurements (``measurement.confidence.false_fail_chance``).
    false_fail_chance: float | None = None
    shown: Shown = field(default_factory=Shown)
    notes: tuple[str, ...] = field(default=())
    # Round trips of saved models (only for assignments with saving checks).
    saving: SavingFacts | None = None
    # Keras 2 paths, Colab calls and pip installs the kernel answered for the notebook.
    compat: Compat = field(default_factory=Compat)
    # Where each array fit trains, validates and the student evaluates on came from.
    provenance: Provenance = field(default_factory=Provenance)
    # What the grader's own accuracy (``training``) was measured on.
    measured_on: MeasuredOn | None = None
    # Why it could not be measured, as a message key (the test split could not be prepared).
    unmeasured: str | None = None

    @property
    def judged_accuracy(self) -> float | None:
        """The accuracy the verdict reads: the mean of the measurements (more than one where the
        first was near the threshold, ``measurement.confidence``), else the one measured."""
        if self.trials:
            return sum(accuracy for _, accuracy in self.trials) / len(self.trials)
        return self.training.accuracy if self.training is not None else None
