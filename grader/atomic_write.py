"""Writing files atomically: a reader (or a resumed batch) never sees half a file."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomic(path: Path, text: str | bytes) -> Path:
    """Write ``text`` (or bytes) to ``path`` through a temporary file in the same folder and a
    rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    binary = isinstance(text, bytes)
    with tempfile.NamedTemporaryFile(
        "wb" if binary else "w",
        dir=path.parent,
        prefix=".",
        suffix=".tmp",
        delete=False,
        encoding=None if binary else "utf-8",
        newline=None if binary else "",
    ) as tmp:
        tmp.write(text)
        tmp.flush()
        os.fsync(tmp.fileno())
    os.replace(tmp.name, path)
    return path
