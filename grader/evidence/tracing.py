"""The arrays of one grading traced back to the dataset (``provenance``): each once, by identity.

``Tracer.images`` finds the map from pixels to the student's values (``transforms.guess``), turns
the images back into pixels, finds each among the dataset's originals (``alignment.locate``: the
split the array is meant to be from is searched first), and refits the map against the matched
originals.  Where that matches too few, it asks what else happened to the images, on a sample:
pixels inverted, or each image transposed, flipped or rotated (``layouts``).  The index it keeps
(into the training split and the test split laid end to end) also says what each label should be
(``labelling.relation``) and which images two arrays share.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from grader.datasets import Dataset
from grader.evidence import layouts, transforms
from grader.evidence.alignment import image_rows, locate, to_pixels
from grader.evidence.labelling import relation
from grader.evidence.provenance import Images, Labels, Origin, Preparation, Provenance
from grader.evidence.transforms import Transform

# Fewer matched rows than this share: the images are not the dataset's ("neither").
MIN_MATCHED = 0.5
# Rows of matched images the map is refitted on.
FIT_ROWS = 256


@dataclass(frozen=True)
class Traced:
    """One image array's fact and the index of each row among the originals (-1: not found)."""

    images: Images
    index: np.ndarray


class Tracer:
    """Traces the arrays of one grading against ``dataset``; an array met twice is traced once."""

    def __init__(self, dataset: Dataset) -> None:
        self.dataset = dataset
        self.splits = (dataset.x_train, dataset.x_test)
        self.boundary = len(dataset.x_train)
        self.labels = np.concatenate(
            [np.asarray(dataset.y_train).reshape(-1), np.asarray(dataset.y_test).reshape(-1)]
        ).astype(np.int64)
        self.pixels = int(np.prod(dataset.x_train.shape[1:]))
        self.image_shape = tuple(int(d) for d in dataset.x_train.shape[1:])
        self._traced: dict[int, tuple[np.ndarray, Traced | None]] = {}
        self._statistics: tuple[tuple[float, float], ...] | None = None

    def statistics(self) -> tuple[tuple[float, float], ...]:
        """The (mean, std) of each split's pixels: what a standardisation divides by."""
        if self._statistics is None:
            self._statistics = tuple(_statistics(split) for split in self.splits)
        return self._statistics

    def images(self, x: np.ndarray | None, meant: str = "train") -> Traced | None:
        """``x`` traced (``meant``: the split searched first); ``None`` when there is no array."""
        if x is None:
            return None
        cached = self._traced.get(id(x))
        if cached is not None and cached[0] is x:
            return cached[1]
        traced = self._trace(x, meant)
        self._traced[id(x)] = (x, traced)
        return traced

    def _trace(self, x: np.ndarray, meant: str) -> Traced:
        dtype = str(x.dtype)
        rows = image_rows(x, self.pixels)
        nothing = np.full(len(x) if x.ndim else 0, -1, dtype=np.int64)
        found = transforms.guess(rows) if rows is not None else None
        layout = layouts.AS_LOADED
        index = self._located(rows, found, layout, meant) if rows is not None and found else None
        if rows is not None and (index is None or np.mean(index >= 0) < MIN_MATCHED):
            otherwise = self._otherwise(rows)
            if otherwise is not None:
                found, layout = otherwise
                index = self._located(rows, found, layout, meant)
        if rows is None or found is None or index is None:
            return Traced(self._images(nothing, transforms.unknown(dtype)), nothing)
        transform = self._refitted(rows, index, found, dtype, layout)
        return Traced(self._images(index, transform), index)

    def _located(
        self, rows: np.ndarray, found: tuple[float, float], layout: str, meant: str
    ) -> np.ndarray:
        """Where each row is among the originals (training split first), its values mapped back
        by ``found`` and its pixels put back as loaded."""
        pixels = to_pixels(rows, *found)
        order = layouts.permutation(layout, self.image_shape)
        if order is not None:
            pixels = layouts.undo(pixels, order)
        splits = self.splits if meant == "train" else self.splits[::-1]
        index = locate(pixels, splits)
        if meant != "train":  # laid end to end test first: back to training split first
            test = len(self.dataset.x_test)
            index = np.where(
                index < 0, -1, np.where(index < test, index + self.boundary, index - test)
            )
        return index

    def _otherwise(self, rows: np.ndarray) -> tuple[tuple[float, float], str] | None:
        """The map and layout that find most of a sample of ``rows`` among the originals, where
        the images as laid out, mapped by an increasing map, are not found: the pixels inverted,
        each image rearranged, or both."""
        sample = rows[: transforms.SAMPLE_ROWS]
        possible = [
            layout
            for layout in layouts.REARRANGED
            if layouts.permutation(layout, self.image_shape) is not None
        ]
        for inverted in (False, True):
            found = transforms.guess(sample, inverted)
            tried = [layouts.AS_LOADED, *possible] if inverted else possible
            for layout in tried if found is not None else []:
                assert found is not None
                if np.mean(self._located(sample, found, layout, "train") >= 0) >= MIN_MATCHED:
                    return found, layout
        return None

    def _refitted(
        self,
        rows: np.ndarray,
        index: np.ndarray,
        found: tuple[float, float],
        dtype: str,
        layout: str,
    ) -> Transform:
        """The map fitted on matched rows against their originals, with its name."""
        matched = np.flatnonzero(index >= 0)[:FIT_ROWS]
        scale, offset = found
        order = layouts.permutation(layout, self.image_shape)
        if len(matched):
            gids = index[matched]
            in_train = gids < self.boundary
            originals = np.empty((len(matched), self.pixels), dtype=self.splits[0].dtype)
            originals[in_train] = self._flat(0)[gids[in_train]]
            originals[~in_train] = self._flat(1)[gids[~in_train] - self.boundary]
            values = rows[matched] if order is None else layouts.undo(rows[matched], order)
            scale, offset = transforms.fitted(values, originals)
        transform = transforms.named(scale, offset, dtype, layout=layout)
        # The splits' statistics cost a pass over each: looked up only for a map no other name fits.
        if transform.kind == "other":
            transform = transforms.named(scale, offset, dtype, self.statistics(), layout)
        return transform

    def _flat(self, split: int) -> np.ndarray:
        return np.asarray(self.splits[split]).reshape(len(self.splits[split]), self.pixels)

    def _images(self, index: np.ndarray, transform: Transform) -> Images:
        rows = len(index)
        train_rows = int(np.count_nonzero((index >= 0) & (index < self.boundary)))
        test_rows = int(np.count_nonzero(index >= self.boundary))
        if not transform.known:
            split = "unknown"
        elif rows == 0 or (train_rows + test_rows) / rows < MIN_MATCHED:
            split = "neither"
        elif train_rows and test_rows:
            split = "both"
        else:
            split = "train" if train_rows else "test"
        mostly_test = test_rows > train_rows
        size = len(self.splits[1] if mostly_test else self.splits[0])
        return Images(
            split,
            rows,
            train_rows,
            test_rows,
            size,
            _order(index, mostly_test, self.boundary, size) if split != "unknown" else "unknown",
            transform,
        )

    def labels_of(self, y: np.ndarray | None, traced: Traced | None) -> Labels | None:
        """How the labels ``y`` relate to the images ``traced``; ``None`` when there are none."""
        if y is None or traced is None:
            return None
        return relation(y, traced.index, self.labels, self.boundary)

    def origin(self, name: str, x: np.ndarray | None, y: np.ndarray | None, meant: str) -> Origin:
        traced = self.images(x, meant)
        assert traced is not None
        return Origin(name, traced.images, self.labels_of(y, traced))


# Each split's (mean, std), kept while the dataset is alive (a pass over 47 MB each).
_STATISTICS: dict[int, tuple[np.ndarray, tuple[float, float]]] = {}


def _statistics(split: np.ndarray) -> tuple[float, float]:
    cached = _STATISTICS.get(id(split))
    if cached is None or cached[0] is not split:
        found = (float(split.mean(dtype=np.float64)), float(split.std(dtype=np.float64)))
        cached = _STATISTICS[id(split)] = (split, found)
    return cached[1]


def _order(index: np.ndarray, mostly_test: bool, boundary: int, size: int) -> str:
    """The order of the rows from the split they mostly come from."""
    local = index[(index >= boundary) if mostly_test else ((index >= 0) & (index < boundary))]
    if mostly_test:
        local = local - boundary
    if len(local) == 0:
        return "unknown"
    distinct = len(np.unique(local))
    if distinct < len(local):
        return "repeated"
    if distinct < size:
        return "subset"
    return "as_loaded" if np.array_equal(local, np.arange(size)) else "permuted"


def shared(a: Traced | None, b: Traced | None) -> float | None:
    """The share of ``b``'s traced images that are among ``a``'s."""
    if a is None or b is None:
        return None
    mine = b.index[b.index >= 0]
    if len(mine) == 0:
        return None
    return float(np.mean(np.isin(mine, a.index[a.index >= 0])))


def trace(
    tracer: Tracer,
    train: tuple[np.ndarray | None, np.ndarray | None],
    validation: tuple[np.ndarray | None, np.ndarray | None],
    test: tuple[np.ndarray | None, np.ndarray | None],
    test_source: str,
) -> Provenance:
    """The provenance of a grading's arrays: what fit trains on, validates on, and what the student
    evaluated on (``test_source``)."""

    def origin(name: str, pair: tuple[np.ndarray | None, np.ndarray | None]) -> Origin | None:
        x, y = pair
        return (
            tracer.origin(name, x, y, "train" if name == "x_train" else "test")
            if x is not None
            else None
        )

    return Provenance(
        origin("x_train", train),
        origin("validation_data", validation),
        shared(tracer.images(train[0]), tracer.images(validation[0], "test")),
        origin("x_test", test),
        test_source if test[0] is not None else "none",
    )


def preparation(
    provenance: Provenance, x_train: np.ndarray | None, x_test: np.ndarray | None
) -> Preparation | None:
    """How the student prepared their images, for the grader to prepare the test split alike: as
    their test images, else as their training images; ``None`` when neither could be traced."""
    for origin, x in ((provenance.test, x_test), (provenance.train, x_train)):
        if origin is not None and x is not None and origin.images.traced:
            return Preparation(
                origin.name, origin.images.transform, tuple(int(d) for d in x.shape[1:])
            )
    return None
