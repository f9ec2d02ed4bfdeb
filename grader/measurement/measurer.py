"""Where the grader's measurement of one grading runs, and each at most once.

The grader rebuilds the student's architecture and trains it itself (``training``); what it
trains on is ``TrainingData``, and the same inputs always give the same result, which
``measurement.cache`` remembers on disk.  Every measurement is bounded first
(``measurement.bounds``: the architecture's cost from its config, before anything is built).  A
measurement not remembered runs in a measurer forked from the resident fork server
(``sandbox/measurer``: TensorFlow is imported there already, so this process never imports it),
under the measurer's own time and memory limits; on Linux it never falls back to this process (a
measurer that fails is the grader's fault, ``MeasurerFailed``).  Only where no fork server serves
(not Linux: a student's self-check) is it made here, bounded by its cost alone.  A ``Measurer``
belongs to one grading: a measurement started early (``measurement.early``: at the student's
first ``fit``, while their later cells still run) is waited for, not made twice, when the grading
asks for the same one at the end.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

import numpy as np

from grader.evidence.provenance import MeasuredOn
from grader.measurement import cache
from grader.measurement.bounds import Bounds
from grader.model.architecture import Architecture, signature, to_plain
from grader.model.training import BuildError, Built, Training, build, measure, train_and_evaluate
from grader.sandbox.fork_client import Server
from grader.sandbox.forkserver.measurer import ARRAYS, NUMBERS

# How much longer than its own clock a forked measurer's answer may take (the handler relays it).
ANSWER_SLACK_S = 30.0


class MeasurerFailed(RuntimeError):
    """The fork server's measurer could not measure (not the student's doing): a grader error."""


def _as_trained(values: Any) -> np.ndarray:
    """Data as the grader trains on it: a copy of its own (what a kernel still running writes later
    changes nothing), numbers as float32 (Keras's own type, so a float64 copy of the same data is
    the same measurement)."""
    array = np.array(values)
    return array.astype(np.float32, copy=False) if array.dtype.kind in "fiub" else array


@dataclass(frozen=True)
class TrainingData:
    """What one measurement trains and is judged on: the student's prepared data (the first
    ``samples`` training rows), the dataset's test split prepared as they prepared theirs and its
    true labels (``measurement.inputs``), their compile settings and batch size, the assignment's
    budget; ``on`` says what the test images are (not part of the key: it follows from them)."""

    compile: dict[str, Any]
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    truth: np.ndarray
    samples: int
    epochs: int
    batch_size: int
    on: MeasuredOn | None = None

    def key(self, architecture: Architecture, seed: int) -> str:
        """Identical inputs train to identical results: a measurement made before (by any grading
        on this machine) is reused."""
        return cache.key(
            signature(architecture),
            self.compile.get("optimizer"),
            self.compile.get("loss"),
            self.samples,
            self.epochs,
            self.batch_size,
            seed,
            self.x_train,
            self.y_train,
            self.x_test,
            self.truth,
        )


@dataclass(frozen=True)
class Measured:
    built: Built
    training: Training | None


class Measurer:
    """One grading's measurements: each run once (a second ask waits for the first), in a
    measurer forked from the fork server ``server()`` gives when there is one, else in this process.
    """

    def __init__(self, server: Callable[[], Server | None], bounds: Bounds = Bounds()) -> None:
        # Connected to only when a measurement is not remembered (a connection costs a handler
        # there).
        self.server = server
        self.bounds = bounds
        self.lock = threading.Lock()
        self.running: dict[tuple[str, str | None], Future[Measured]] = {}

    def start(self, architecture: Architecture, seed: int, data: TrainingData | None) -> None:
        """Measure in a thread of its own (the grading asks for the result later)."""
        threading.Thread(
            target=lambda: self._quietly(architecture, seed, data), daemon=True
        ).start()

    def _quietly(self, architecture: Architecture, seed: int, data: TrainingData | None) -> None:
        try:
            self.measure(architecture, seed, data)
        except Exception:
            # Never a thread's traceback on the terminal: the grading asks again and reports it.
            pass

    def measure(self, architecture: Architecture, seed: int, data: TrainingData | None) -> Measured:
        """The rebuilt layers and (with ``data``) the measurement; raises ``BuildError`` when the
        architecture cannot be rebuilt or costs more than the bounds, ``MeasurerFailed`` when the
        fork server's measurer fails."""
        self.bounds.check(
            architecture, data.samples * data.epochs + len(data.x_test) if data else 0
        )
        ident = (
            cache.built_key(architecture, seed),
            data.key(architecture, seed) if data else None,
        )
        with self.lock:
            running = self.running.get(ident)
            if running is None:
                running = self.running[ident] = Future()
                mine = True
            else:
                mine = False
        if mine:
            try:
                running.set_result(self._remembered_or_made(ident, architecture, seed, data))
            except BaseException as exc:  # noqa: BLE001 - whoever waits for it raises it
                running.set_exception(exc)
        return running.result()

    def _remembered_or_made(
        self,
        ident: tuple[str, str | None],
        architecture: Architecture,
        seed: int,
        data: TrainingData | None,
    ) -> Measured:
        built_key, key = ident
        made: list[Measured] = []

        def make() -> Measured:
            """Both at once, the first time either is not remembered."""
            if not made:
                server = self._server()
                made.append(
                    _here(architecture, seed, data)
                    if server is None
                    else self._forked(server, architecture, seed, data)
                )
            return made[0]

        built = cache.remembered_built(built_key, lambda: make().built)
        if key is None:
            return Measured(built, None)
        return Measured(built, cache.remembered(key, lambda: _trained(make())))

    def _server(self) -> Server | None:
        """The fork server to measure in; ``None`` where none serves (not Linux)."""
        try:
            return self.server()
        except (RuntimeError, OSError) as exc:
            raise MeasurerFailed(f"the fork server cannot measure: {exc}") from None

    def _forked(
        self, server: Server, architecture: Architecture, seed: int, data: TrainingData | None
    ) -> Measured:
        """Measured by a measurer forked from the fork server, under the bounds' clock and
        memory."""
        limits = {"timeout_s": self.bounds.timeout_s, "memory_mb": self.bounds.memory_mb}
        request: dict[str, Any] = {
            "architecture": to_plain(architecture),
            "seed": seed,
            "limits": limits,
        }
        payload: tuple[memoryview, ...] = ()
        if data is not None:
            arrays = [(name, getattr(data, name)) for name in ARRAYS]
            if any(array.dtype.kind not in NUMBERS for _, array in arrays):
                # Not numbers (``_as_trained`` kept them as they were): nothing to train on.
                kinds = ", ".join(sorted({str(array.dtype) for _, array in arrays}))
                raise BuildError(f"the arrays to train on are not numbers ({kinds})")
            request.update(
                compile=data.compile,
                samples=data.samples,
                epochs=data.epochs,
                batch_size=data.batch_size,
                arrays=[[name, array.dtype.str, list(array.shape)] for name, array in arrays],
            )
            # Each array's own memory, sent as it is: no copy of tens of MB while the measurement
            # runs.
            payload = tuple(np.ascontiguousarray(array).data.cast("B") for _, array in arrays)
        try:
            result = server.call(
                {"measure": request}, payload, self.bounds.timeout_s + ANSWER_SLACK_S
            )
        except (RuntimeError, OSError) as exc:
            raise MeasurerFailed(f"the fork server's measurer did not answer: {exc}") from None
        return self._result(result, data)

    def _result(self, result: dict[str, Any], data: TrainingData | None) -> Measured:
        """What a measurer sent back, as ``Measured``; a stopped one's reason as the training's
        error (or as the build's, when it stopped before the layers were rebuilt)."""
        if "build_error" in result:
            raise BuildError(str(result["build_error"]))
        if "error" in result:
            raise MeasurerFailed(f"the fork server's measurer failed: {result['error']}")
        stopped = self.bounds.stop_reason(str(result["stopped"])) if "stopped" in result else None
        built = cache.built_of(result.get("built"))
        if built is None:
            raise BuildError(stopped) if stopped else MeasurerFailed(f"no layers in {result}"[:300])
        trained = result.get("training")
        if stopped and data is not None:
            return Measured(built, _stopped(data, stopped))
        return Measured(built, Training(**trained) if isinstance(trained, dict) else None)


def _stopped(data: TrainingData, reason: str) -> Training:
    """The training a stopped measurer did not finish: no accuracy, the reason."""
    batch = max(1, min(data.batch_size, data.samples))
    return Training(None, data.samples, data.epochs, batch, len(data.x_test), 0.0, reason)


def _trained(made: Measured) -> Training:
    assert made.training is not None  # made with data
    return made.training


def _here(architecture: Architecture, seed: int, data: TrainingData | None) -> Measured:
    """Measured in this process (Keras imported here)."""
    model = build(architecture, seed)
    built = measure(model)
    if data is None:
        return Measured(built, None)
    fields = {name: getattr(data, name) for name in ("samples", "epochs", "batch_size")}
    return Measured(
        built,
        train_and_evaluate(
            model,
            data.compile,
            data.x_train,
            data.y_train,
            data.x_test,
            data.truth,
            seed=seed,
            **fields,
        ),
    )
