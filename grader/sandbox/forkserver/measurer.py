"""Fork-server side: the grader's measurement, in a process forked from the fork server (Linux).

The grader rebuilds the student's architecture and trains it itself (``training``).  Importing
TensorFlow for that costs the grader seconds and a second copy of it in memory; the fork server
(``forkserver.server``) has imported it already, with no op run.  So a grader process asks its
handler there to fork a measurer: a process of the grader's, never a kernel, that closes every file
but the pipe its result goes back through, rebuilds and trains with the grader's own code (the same
``training`` functions the grader would call) and ends.  Nothing the student wrote runs here: the
request is the parsed architecture as plain data and the compile settings; the arrays travel in the
request's bytes as ``.npy`` (no pickle), never through a file a kernel could reach.

The request sets the measurer's own limits (``limits``: ``timeout_s``, ``memory_mb``): a wall clock
(``SIGALRM``, which ends it) and ``RLIMIT_DATA`` (what it may allocate beyond the memory it was
forked with).  It writes the rebuilt layers as soon as it has them, then the training's result,
one line each; the handler relays them (``collect``) as one reply line, with ``stopped`` (``time``
or ``memory``) for a measurer that ended before its result, so a measurement runs beside the
kernels the same handler serves.  A measurer dies with its handler (a parent-death signal), as
kernels do.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
from typing import Any

import numpy as np

from grader.sandbox.kernel import confine

# What a measurer is sent, in this order, and the kinds of array it takes (numbers: an object
# array has no bytes of its own to send).
ARRAYS = ("x_train", "y_train", "x_test", "truth")
NUMBERS = "biuf"
# Why a measurer that ended before its last line did, by its exit code: its clock ran out; an
# allocation past its memory limit aborted it or was not checked (C++ code, a forked thread).
STOPPED = {
    -signal.SIGALRM: "time",
    -signal.SIGABRT: "memory",
    -signal.SIGSEGV: "memory",
    -signal.SIGBUS: "memory",
    -signal.SIGKILL: "memory",
}


def measure(
    request: dict[str, Any], payload: bytes, built: Any = lambda result: None
) -> dict[str, Any]:
    """Rebuild the architecture (its layers: ``built``, also handed to ``built`` at once) and,
    when arrays came with it, train and evaluate it (``training``); ``build_error`` when it
    cannot be rebuilt."""
    from grader.model import architecture, training

    layers = architecture.from_plain(request["architecture"])
    try:
        model = training.build(layers, int(request["seed"]))
        result: dict[str, Any] = {"built": dataclasses.asdict(training.measure(model))}
    except training.BuildError as exc:
        if _out_of_memory(type(exc.__context__).__name__):
            return {"stopped": "memory"}
        return {"build_error": str(exc)}
    built(result)
    if payload:
        x_train, y_train, x_test, truth = arrays_from(request["arrays"], payload)
        trained = training.train_and_evaluate(
            model,
            request["compile"],
            x_train,
            y_train,
            x_test,
            truth,
            samples=int(request["samples"]),
            epochs=int(request["epochs"]),
            batch_size=int(request["batch_size"]),
            seed=int(request["seed"]),
        )
        if _out_of_memory(trained.error or ""):
            return {**result, "stopped": "memory"}
        result["training"] = dataclasses.asdict(trained)
    return result


def _out_of_memory(error: str) -> bool:
    """Whether TensorFlow's error (its class name, or ``training``'s text of it) says an
    allocation failed: the measurer's memory limit, reached."""
    return error.startswith(("ResourceExhaustedError", "MemoryError"))


def arrays_from(layout: list[list[Any]], payload: bytes) -> list[np.ndarray]:
    """The arrays ``ARRAYS``, one after the other in ``payload`` as ``layout`` says: name, dtype and
    shape of each; the sizes must add up."""
    arrays, offset = [], 0
    for (name, dtype, shape), expected in zip(layout, ARRAYS, strict=True):
        kind = np.dtype(dtype)
        if name != expected or kind.kind not in NUMBERS:
            raise ValueError(f"unexpected array {name!r} of {kind}")
        count = int(np.prod(shape, dtype=np.int64))
        arrays.append(np.frombuffer(payload, kind, count, offset).reshape(shape))
        offset += count * kind.itemsize
    if offset != len(payload):
        raise ValueError(f"{len(payload)} bytes sent for {offset} bytes of arrays")
    return arrays


def limit(limits: dict[str, Any]) -> None:
    """This process ends after ``timeout_s`` seconds and may allocate ``memory_mb`` MB more."""
    import resource

    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGALRM])
    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    signal.setitimer(signal.ITIMER_REAL, max(0.001, float(limits["timeout_s"])))
    with open("/proc/self/status", "rb") as f:
        data = next((int(l.split()[1]) * 1024 for l in f if l.startswith(b"VmData:")), 0)
    allowed = data + int(limits["memory_mb"]) * 2**20
    hard = resource.getrlimit(resource.RLIMIT_DATA)[1]
    if hard != resource.RLIM_INFINITY:
        allowed = min(allowed, hard)
    resource.setrlimit(resource.RLIMIT_DATA, (allowed, allowed))


def _write(write: int, result: dict[str, Any]) -> None:
    data = json.dumps(result).encode() + b"\n"
    while data:
        data = data[os.write(write, data) :]


def _run(request: dict[str, Any], payload: bytes, write: int) -> None:
    confine.keep_only(write)
    try:
        if "limits" in request:
            limit(request["limits"])
        result = measure(request, payload, lambda built: _write(write, built))
    except MemoryError:
        result = {"stopped": "memory"}
    except Exception as exc:  # noqa: BLE001 - said to the grader
        result = {"error": f"{type(exc).__name__}: {exc}"[:400]}
    _write(write, {**result, "done": True})


def fork(request: dict[str, Any], payload: bytes) -> tuple[int, int]:
    """Fork a measurer for ``request``; returns the pipe its result comes through, and its pid."""
    read, write = os.pipe()
    pid = confine.fork_tied()
    if pid == 0:
        code = 1
        try:
            os.close(read)
            _run(request, payload, write)
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    return read, pid


def collect(read: int, pid: int, chunks: list[bytes]) -> dict[str, Any] | None:
    """Read what the measurer on ``read`` wrote so far; its result once it ended (``None``
    before): every line it wrote, merged, and ``stopped`` when it ended without its last one."""
    chunk = os.read(read, 1 << 16)
    if chunk:
        chunks.append(chunk)
        return None
    os.close(read)
    code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    result: dict[str, Any] = {}
    for line in b"".join(chunks).split(b"\n"):
        try:
            part = json.loads(line)
        except ValueError:
            continue
        result.update(part if isinstance(part, dict) else {})
    if not result.pop("done", False):
        result["stopped"] = STOPPED.get(code, f"code {code}")
    return result
