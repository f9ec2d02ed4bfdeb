"""Import Keras in the grader's process while the student's cells still run, only when it will
be needed.

The grader imports TensorFlow (seconds, and hundreds of MB) only to rebuild and train the
student's architecture, and ``measurements`` remembers both for an architecture it has seen.
So this thread watches the events the kernel writes; at the first ``fit_start`` (or ``fit_end``)
with a model config it asks the cache whether that architecture's rebuilt layers are remembered, and if not
imports Keras at once, overlapping the student's training and the cells still to run.  A remembered one, a notebook that
never fits, or an unreadable config import nothing here (``engine._measure`` still imports
Keras if it needs it).  The events are read as data, bounded, never followed through a link.
"""

from __future__ import annotations

import json
import os
import stat
import threading
from pathlib import Path

from grader import measurements
from grader.architecture import ArchitectureError, parse_architecture
from grader.artifacts import EVENTS_FILE
from grader.evidence import MAX_EVENTS_BYTES
from grader.training import import_keras

POLL_S = 0.25
FITS = ("fit_start", "fit_end")


class KerasPrefetch(threading.Thread):
    """Watches ``artifacts`` until ``stop()``; imports Keras for a new architecture."""

    def __init__(self, artifacts: Path, seed: int) -> None:
        super().__init__(daemon=True)
        self.path = artifacts / EVENTS_FILE
        self.seed = seed
        self.offset = 0
        self.pending = b""
        self.imported = False
        self._finished = threading.Event()

    def run(self) -> None:
        while not self._finished.wait(POLL_S):
            try:
                if self._decided():
                    return
            except Exception:  # noqa: BLE001 - a hint only: the measurement imports what it needs
                return

    def stop(self) -> None:
        self._finished.set()

    def _read_new(self) -> bytes:
        """Bytes written since the last look (a regular file only, never through a link, bounded)."""
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
        except OSError:
            return b""
        with os.fdopen(fd, "rb") as f:
            if not stat.S_ISREG(os.fstat(fd).st_mode) or self.offset >= MAX_EVENTS_BYTES:
                return b""
            f.seek(self.offset)
            data = f.read(MAX_EVENTS_BYTES - self.offset)
        self.offset += len(data)
        return data

    def _decided(self) -> bool:
        lines = (self.pending + self._read_new()).split(b"\n")
        self.pending = lines.pop()  # a line not yet finished
        for line in lines:
            if b'"fit_' not in line:
                continue
            event = json.loads(line)
            if not isinstance(event, dict) or event.get("kind") not in FITS or not isinstance(event.get("config"), str):
                continue
            try:
                architecture = parse_architecture(event["config"])
            except ArchitectureError:
                return True
            if architecture.input_shape is None:
                continue  # a model built by its first fit: its fit_end tells
            if not measurements.built_known(architecture, self.seed):
                import_keras()
                self.imported = True
            return True
        return False
