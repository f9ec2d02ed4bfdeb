"""The names and bounds of what the student's kernel writes into its artifacts folder.

Shared by the kernel side that writes the files (``sandbox/recorder.py``, ``sandbox/hooks.py``)
and the grader side that reads them (``evidence.py``, ``figures.py``, ``reloading.py``), so
the grader never imports a kernel-side module for a constant.
"""

from __future__ import annotations

EVENTS_FILE = "events.jsonl"
ARRAYS_DIR = "arrays"
FIGURES_DIR = "figures"
MODELS_DIR = "models"
# Kernels and predict outputs larger than this are described by their shape only.
MAX_RECORDED_ELEMENTS = 1_000_000
# Images shown with imshow are kept as arrays (filters, feature maps) up to this size.
MAX_IMAGE_ELEMENTS = 65_536
