"""Where each array the student trains, validates and evaluates on came from: one plain fact.

For the images: which split of the dataset they are (``train``, ``test``, ``both``, ``neither``,
or ``unknown`` when no map from the pixels could be found), how many matched, in what order
(``as_loaded``, ``permuted``, a ``subset``, ``repeated``), and the map from the original pixels
(``transforms.Transform``: /255, /255 twice, /127.5 - 1, standardised, unchanged) with the dtype.
For the labels: whether they ``agree`` with their images, were ``permuted`` apart from them, are the
``other_split``'s, are ``offset`` by a few places, simply ``disagree``, or are ``unknown``.

Computed once per grading in the grader's process (``tracing.trace``), from the arrays the kernel
wrote and the dataset's own; every check and message that speaks of the data reads this fact, so
no two of them can tell the student different stories.
"""

from __future__ import annotations

from dataclasses import dataclass

from grader.evidence.transforms import Transform


@dataclass(frozen=True)
class Images:
    split: str
    rows: int
    # Rows found in each split of the dataset, and the size of the split they mostly come from.
    train_rows: int
    test_rows: int
    split_size: int
    order: str
    transform: Transform

    @property
    def matched(self) -> float:
        """The share of rows found in the dataset (either split)."""
        return (self.train_rows + self.test_rows) / self.rows if self.rows else 0.0

    @property
    def traced(self) -> bool:
        """Whether the images are, for the most part, the dataset's own (in some split)."""
        return self.split in ("train", "test", "both")


@dataclass(frozen=True)
class Labels:
    relation: str
    # Share of rows whose class is the true label of the same image (None: nothing matched).
    agreement: float | None
    # ``offset``: label i is that of the image ``offset`` places away in the dataset's order.
    offset: int | None = None
    # ``relabelled``: each true class whose images were all given another label, with that label.
    mapping: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class Origin:
    """One pair of arrays: the images (``name``) and their labels, where each came from."""

    name: str
    images: Images
    labels: Labels | None


@dataclass(frozen=True)
class Provenance:
    train: Origin | None = None
    validation: Origin | None = None
    # The share of the validation images that are among the images fit trains on (None: fit was
    # given no validation_data, or its images could not be traced).
    validation_in_training: float | None = None
    # What the student evaluated on: ``evaluate`` (their model.evaluate), ``validation`` (no
    # evaluate: fit's validation_data), ``variable`` (neither: their x_test) or ``none``.
    test: Origin | None = None
    test_source: str = "none"


@dataclass(frozen=True)
class Preparation:
    """How the student prepared their images, as the grader's measurement copies it onto the
    dataset's own test split: the map and image shape of their test images (``like``: their name),
    else of their training images."""

    like: str
    transform: Transform
    image_shape: tuple[int, ...]


@dataclass(frozen=True)
class MeasuredOn:
    """What the grader's own accuracy was measured on: ``images`` of the dataset's ``split_size``
    test images, prepared as the student prepared theirs; ``left_out``: test images the
    measurement trains on (the student trained on them), kept out of it."""

    images: int
    split_size: int
    preparation: Preparation
    left_out: int
