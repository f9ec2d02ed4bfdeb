"""How a label array relates to the images it goes with, once the images are traced.

Each traced image has a true label (the dataset's); the student's labels either ``agree`` with
them, are the same labels ``permuted`` apart from their images (one of the two shuffled alone),
are ``offset`` by a few places (images and labels sliced differently), are the ``other_split``'s
labels in their loaded order (``fit(x_train[:10000], y_test)``), are ``relabelled`` (in step with
their images, but each class turned into another one: ``(y + 1) % 10``, ``9 - y``), simply
``disagree``, or are ``unknown`` (no class per row, another number of rows, no traced image).
"""

from __future__ import annotations

import numpy as np

from grader.evidence.provenance import Labels

# Labels this close to their images' agree (a few relabelled images are the student's choice).
AGREE = 0.999
# A relation other than agreement is named when it explains this share of the labels.
EXPLAINS = 0.99
# A class mapping is named only where each class has this many rows on average (with fewer, any
# labels at all would look like one).
ROWS_PER_CLASS = 10
# How far a label may be shifted from its image and still be recognised as offset.
MAX_OFFSET = 3


def label_classes(y: np.ndarray) -> np.ndarray | None:
    """The class of each row: the largest column of one-hot (or soft) labels, else the integer."""
    y = np.asarray(y)
    if y.ndim == 0 or y.dtype.kind not in "biuf" or y.shape[0] == 0:
        return None
    if y.ndim == 2 and y.shape[1] > 1:
        return np.argmax(y, axis=1)
    flat = y.reshape(len(y), -1)
    if flat.shape[1] != 1:
        return None
    values = flat[:, 0]
    if values.dtype.kind == "f" and not np.array_equal(values, np.rint(values)):
        return None
    return values.astype(np.int64)


def class_mapping(truth: np.ndarray, mine: np.ndarray) -> tuple[tuple[int, int], ...] | None:
    """The labels as a function of the true class, where one explains them: each true class with
    the one label its images were given (``(true, given)`` pairs, those that changed), else None.

    Labels that moved apart from their images spread each class over all ten; labels whose values
    were changed keep every image of a class together under its new label."""
    classes = np.unique(truth)
    if len(truth) < ROWS_PER_CLASS * len(classes):
        return None
    given: list[tuple[int, int]] = []
    explained = 0
    for true in classes:
        values, counts = np.unique(mine[truth == true], return_counts=True)
        explained += int(counts.max())
        given.append((int(true), int(values[np.argmax(counts)])))
    if explained < EXPLAINS * len(truth):
        return None
    changed = tuple((true, label) for true, label in given if true != label)
    return changed or None


def relation(y: np.ndarray, index: np.ndarray, labels: np.ndarray, boundary: int) -> Labels:
    """How ``y`` relates to images whose originals are at ``index`` (-1: none) among the dataset's
    splits laid end to end (``labels``: theirs; the test split starts at ``boundary``)."""
    classes = label_classes(y)
    known = index >= 0
    if classes is None or len(classes) != len(index) or not known.any():
        return Labels("unknown", None)
    where = index[known]
    truth, mine = labels[where], classes[known]
    agreement = float(np.mean(mine == truth))
    if agreement >= AGREE:
        return Labels("agree", agreement)
    mapping = class_mapping(truth, mine)
    if mapping is not None:
        return Labels("relabelled", agreement, mapping=mapping)
    for offset in (sign * k for k in range(1, MAX_OFFSET + 1) for sign in (-1, 1)):
        shifted = where + offset
        same_split = (shifted >= 0) & (shifted < len(labels))
        same_split &= (shifted < boundary) == (where < boundary)
        if same_split.mean() > EXPLAINS and (
            np.mean(mine[same_split] == labels[shifted[same_split]]) >= EXPLAINS
        ):
            return Labels("offset", agreement, offset)
    mostly_test = np.count_nonzero(where >= boundary) > len(where) / 2
    other = labels[:boundary] if mostly_test else labels[boundary:]
    n = min(len(other), len(classes))
    if n > 0 and float(np.mean(classes[:n] == other[:n])) >= EXPLAINS:
        return Labels("other_split", agreement)
    if np.array_equal(np.sort(mine), np.sort(truth)):
        return Labels("permuted", agreement)
    return Labels("disagree", agreement)
