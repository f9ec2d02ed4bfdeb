"""The names and bounds of what the student's kernel writes into its artifacts folder.

Shared by the kernel side that writes the files (``sandbox/recorder.py``, ``sandbox/hooks.py``)
and the grader side that reads them (``evidence/reading.py``, ``figures.py``, ``reloading.py``), so
the grader never imports a kernel-side module for a constant.  ``as_json`` is how a value
becomes JSON data, for the compile events the kernel writes and for the grader's records.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

EVENTS_FILE = "events.jsonl"
ARRAYS_DIR = "arrays"
FIGURES_DIR = "figures"
MODELS_DIR = "models"
# Kernels and predict outputs larger than this are described by their shape only.
MAX_RECORDED_ELEMENTS = 1_000_000
# Images shown with imshow are kept as arrays (filters, feature maps) up to this size.
MAX_IMAGE_ELEMENTS = 65_536


def as_json(value: Any, other: Callable[[Any], Any]) -> Any:
    """``value`` as JSON data: strings, numbers, booleans and ``None`` as they are, lists and tuples
    as lists, dicts with their keys as strings; each other value, at any depth, as ``other(value)``.
    """
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (list, tuple)):
        return [as_json(v, other) for v in value]
    if isinstance(value, dict):
        return {str(k): as_json(v, other) for k, v in value.items()}
    return other(value)
