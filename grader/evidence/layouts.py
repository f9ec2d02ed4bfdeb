"""How the pixels of each image were laid out: as the dataset loads them, or rearranged within the
image (transposed, flipped, rotated by a quarter turn or a half).

A student who writes ``x.transpose(0, 2, 1, 3)`` or ``np.flip(x, 2)`` still trains on the dataset's
images; each row of theirs is the original row with its pixels permuted.  The permutation is found
from the data (``tracing``: tried only where the images as laid out match nothing), so the grader
can say what happened and prepare the test split the same way.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from grader.outcome import Term

AS_LOADED = "as_loaded"

# Each rearrangement as numpy writes it, over an image's (height, width, ...) axes.
_MOVES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "transposed": lambda a: np.swapaxes(a, 0, 1),
    "flipped_left_right": lambda a: np.flip(a, 1),
    "flipped_up_down": lambda a: np.flip(a, 0),
    "rotated_180": lambda a: np.rot90(a, 2, axes=(0, 1)),
    "rotated_90": lambda a: np.rot90(a, 1, axes=(0, 1)),
    "rotated_270": lambda a: np.rot90(a, 3, axes=(0, 1)),
}
REARRANGED = tuple(_MOVES)


def permutation(layout: str, image_shape: tuple[int, ...]) -> np.ndarray | None:
    """For each position of a rearranged image's flattened pixels, the original position it holds;
    ``None`` for images as loaded, or a layout their shape does not allow (a transposed or quarter
    turned image that is not square)."""
    if layout == AS_LOADED or len(image_shape) < 2:
        return None
    grid = np.arange(int(np.prod(image_shape))).reshape(image_shape)
    moved = _MOVES[layout](grid)
    if moved.shape != grid.shape:
        return None
    return np.ascontiguousarray(moved).reshape(-1)


def term(layout: str) -> Term:
    """How a layout is said in the catalog."""
    return Term(f"layout.{layout}")


def undo(rows: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Rows of rearranged images (each original row taken in ``order``) put back as loaded."""
    restored = np.empty_like(rows)
    restored[:, order] = rows
    return restored


def redo(rows: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Rows of images as loaded rearranged as the student rearranged theirs."""
    return np.ascontiguousarray(rows[:, order])
