"""Grader side: the key of a kernel's seal, taken before any of the submission's cells runs.

The kernel's seal (``kernel/sealing.py``) writes the key it made into its artifacts folder as it
starts, before the kernel answers; no student code has run in that kernel yet.  The grader reads
it and removes it before the first cell, so the notebook never sees it (``boundary/seals``).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from grader.boundary.seals import KEY_FILE

# 32 bytes as hex, and room for nothing else.
MAX_KEY_BYTES = 128


def take_key(artifacts: Path) -> bytes | None:
    """The seal's key, read and removed; ``None`` when there is none (the kernel could not seal)."""
    path = artifacts / KEY_FILE
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            return None
        text = os.read(descriptor, MAX_KEY_BYTES)
    finally:
        os.close(descriptor)
        path.unlink(missing_ok=True)
    try:
        key = bytes.fromhex(text.decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        return None
    return key if len(key) == 32 else None
