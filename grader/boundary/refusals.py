"""The sentences the kernel's own refusals raise with, which ``hints`` recognises.

One place for both sides: ``sandbox/guard.py`` and ``sandbox/boot.py`` raise with these, and
``hints.py`` matches them, so a reworded refusal cannot silently lose its hint.
"""

from __future__ import annotations

NETWORK_MESSAGE = "network access is disabled while grading (the grader provides datasets offline)"
PROCESS_MESSAGE = (
    "the grader allows at most {n} new processes per notebook (and none from a forked child)"
)
SIGNAL_MESSAGE = "signals to processes outside the notebook are not allowed while grading"
PROTECTED_MESSAGE = "the course's reference files are not available while grading"
WRITE_MESSAGE = (
    "while grading, a notebook may only write files in its current folder (or tempfile's folder)"
)
