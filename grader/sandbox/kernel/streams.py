"""Kernel side: the training budget for inputs that are not arrays.

A ``tf.data.Dataset``, a Python generator, a ``keras.utils.PyDataset``/``Sequence`` (what
``ImageDataGenerator.flow`` returns) cannot be sliced like an array; they are capped by
the number of batches an epoch takes instead (``steps_per_epoch``, ``validation_steps``),
keeping the student's epochs.  The batch size is read from the first batch (a generator's
first batch is put back in front), so the checks see the batch size a notebook gave
through its dataset.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Capped:
    # What fit should be given instead (a generator with its first batch put back).
    value: Any
    # Batches per epoch within the budget; None when ``value`` is not a stream.
    steps: int | None
    batch_size: int | None


def _first_dimension(batch: Any) -> int | None:
    while isinstance(batch, (list, tuple)) and batch:
        batch = batch[0]
    if isinstance(batch, dict) and batch:
        return _first_dimension(next(iter(batch.values())))
    shape = getattr(batch, "shape", None)
    try:
        return int(shape[0]) if shape is not None and len(shape) > 0 else None
    except (TypeError, ValueError):
        return None


def _put_back(first: Any, rest: Iterator[Any]) -> Iterator[Any]:
    yield first
    yield from rest


def cap(value: Any, samples: int) -> Capped:
    """``value`` capped to about ``samples`` samples an epoch, if it is a stream of batches."""
    if value is None or hasattr(value, "shape") or isinstance(value, (list, tuple, dict)):
        return Capped(value, None, None)
    if hasattr(value, "element_spec") and hasattr(value, "take"):  # tf.data.Dataset
        batch = _first_dimension(next(iter(value.take(1)), None))
    elif hasattr(value, "__getitem__") and hasattr(value, "__len__"):  # PyDataset, Sequence
        batch = _first_dimension(value[0]) if len(value) else None
    elif hasattr(value, "__next__"):  # a generator or other iterator
        try:
            first = next(value)
        except StopIteration:
            return Capped(value, None, None)
        batch, value = _first_dimension(first), _put_back(first, value)
    else:
        return Capped(value, None, None)
    return Capped(value, max(1, math.ceil(samples / batch)) if batch else 1, batch)
