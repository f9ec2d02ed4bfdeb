"""Start the grader's measurement while the student's cells still run.

The grader trains the student's architecture itself (``measurement.measurer``), seconds of CPU that
the grading would otherwise add after the student's last cell.  The kernel records each ``fit`` as
it starts (``fit_start``: the model's config, the arrays it trains on and validates on), so this
thread watches the events and, at the first fit whose model has a fixed input shape (else at its
``fit_end``), starts measuring that architecture on those arrays, judged on the dataset's test split
prepared as the validation images were (the lecture's ``validation_data=(x_test, y_test)``: the
very images it evaluates on later, so the grading's own ask is usually this one).  The
later cells run meanwhile.  At the end the grading works out what to measure from everything the
kernel left (``engine``); when that is this measurement it waits for it (the ``Measurer`` runs each
once), when not this one only spent time the kernel left idle.

Nothing here decides a verdict: the events and arrays are read as data through
``evidence.hostile_files`` (bounded, never through a link, a FIFO or a device, copied into memory,
never mapped), so what the kernel writes or truncates later changes nothing the measurement is
keyed by and cannot stop this process.  A fit without validation images starts the
rebuilt layers only.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from grader.boundary.artifacts import EVENTS_FILE
from grader.checks.expected import Expected
from grader.datasets import Dataset
from grader.evidence import hostile_files
from grader.evidence.provenance import Provenance
from grader.evidence.reading import DEFAULT_LIMIT_BYTES, MAX_EVENTS_BYTES, Evidence
from grader.evidence.tracing import Tracer, preparation
from grader.measurement.inputs import training_data
from grader.measurement.measurer import Measurer, TrainingData
from grader.model.architecture import Architecture, ArchitectureError, parse_architecture

POLL_S = 0.25


class EarlyMeasurement(threading.Thread):
    """Watches the kernel's events in ``artifacts`` until ``stop()``; starts one measurement."""

    def __init__(
        self,
        artifacts: Path,
        measurer: Measurer,
        dataset: Dataset,
        expected: Callable[[], Expected],
        seed: int,
        limit_bytes: int = DEFAULT_LIMIT_BYTES,
    ) -> None:
        super().__init__(daemon=True)
        self.evidence = Evidence(artifacts, (), limit_bytes=limit_bytes)
        self.artifacts = artifacts
        self.measurer, self.dataset, self.expected, self.seed = measurer, dataset, expected, seed
        self.offset = 0
        self.pending = b""
        self.compiles: dict[Any, dict[str, Any]] = {}  # the last compile of each model
        self.last_compile: dict[str, Any] = {}
        self.unbuilt: dict[
            Any, dict[str, Any]
        ] = {}  # a fit of a model its fit builds: its fit_end tells the shape
        self.started = False
        self._finished = threading.Event()

    def run(self) -> None:
        while not self._finished.wait(POLL_S):
            try:
                if self._decided():
                    return
            except Exception:
                # A head start only: the grading measures what it needs anyway.
                return

    def stop(self) -> None:
        self._finished.set()

    def _read_new(self) -> bytes:
        """Bytes written since the last look (``hostile_files``: a file that breaks a rule is
        read as nothing; the grading reads it again at the end and says why)."""
        if self.offset >= MAX_EVENTS_BYTES:
            return b""
        try:
            data = hostile_files.read(
                self.artifacts,
                EVENTS_FILE,
                MAX_EVENTS_BYTES - self.offset,
                offset=self.offset,
                prefix=True,
            )
        except hostile_files.Refused:
            return b""
        data = data or bytearray()
        self.offset += len(data)
        return bytes(data)

    def _decided(self) -> bool:
        lines = (self.pending + self._read_new()).split(b"\n")
        self.pending = lines.pop()  # a line not yet finished
        for line in lines:
            if b'"compile"' not in line and b'"fit_' not in line:
                continue
            event = json.loads(line)
            if not isinstance(event, dict):
                continue
            kind, model = event.get("kind"), event.get("model")
            if kind == "compile":
                self.compiles[model] = self.last_compile = event
            elif kind in ("fit_start", "fit_end") and isinstance(event.get("config"), str):
                start = event if kind == "fit_start" else self.unbuilt.get(model)
                if start is None:
                    continue
                try:
                    architecture = parse_architecture(event["config"])
                except ArchitectureError:
                    return True
                if architecture.input_shape is None:
                    self.unbuilt[model] = start
                    continue
                self._start(architecture, start)
                return True
        return False

    def _start(self, architecture: Architecture, start: dict[str, Any]) -> None:
        data = None if self.dataset.synthetic else self._data(start)
        self.measurer.start(architecture, self.seed, data)
        self.started = True

    def _data(self, start: dict[str, Any]) -> TrainingData | None:
        expected = self.expected()
        # Only the rows the measurement trains on are read (the kernel holds the rest).
        x, y = (self.evidence.leading_rows(start.get(n), expected.measure_samples) for n in "xy")
        validation = self.evidence.array(start.get("validation_x"))
        if x is None or y is None or validation is None:
            return None
        # Traced on the copies read into this process, whatever the files hold later: the validation
        # images say how the test split is prepared, the first training rows which test images the
        # measurement leaves out.
        tracer = Tracer(self.dataset)
        provenance = Provenance(
            train=tracer.origin("x_train", x, None, "train"),
            test=tracer.origin("x_test", validation, None, "test"),
        )
        traced = tracer.images(x)
        batch = start.get("batch_size")
        compiled = self.compiles.get(start.get("model")) or self.last_compile
        data = training_data(
            {
                "x_train": x,
                "y_train": y,
                "compile": compiled,
                "preparation": preparation(provenance, x, validation),
                "trained_on": traced.index if traced is not None else None,
            },
            self.dataset,
            expected,
            batch if isinstance(batch, int) else None,
        )
        return data if isinstance(data, TrainingData) else None
