"""Tampering made visible: the evidence the kernel left, checked against what the grader observes.

The kernel's own report cannot be trusted, so each check compares it with something the grader
holds itself: the seal log against the key the grader took before any cell ran (its lines, in
order, tagged by a running HMAC); the events file, every array the grader read and every figure
and model file against their seals; the cells the grader sent against the cells the kernel
sealed; the end of the grader's final dump against the nonce the grader put in that cell; the
model the grader rebuilt from the configuration ``fit`` reported against the parameters Keras
counted in the model ``fit`` trained; and every tampering the seal saw as it happened.

The result is the record's ``integrity``: ``intact``, ``tampered`` (each finding says what), or
``unverified`` (the kernel could not seal, or the seal failed).  A finding never changes a
verdict: the record is marked for an instructor to look at (the class summary lists it).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from grader.boundary.artifacts import EVENTS_FILE, FIGURES_DIR, MODELS_DIR
from grader.boundary.execution import Execution
from grader.boundary.seals import SAMPLE_LABEL, SealKey, array_digest, array_label
from grader.evidence.facts import Facts
from grader.evidence.reading import Evidence
from grader.evidence.seal_log import SealLog, read_bounded, read_log, sha256_hex
from grader.outcome import Message

IntegrityStatus = Literal["intact", "tampered", "unverified"]
MAX_EVENTS_BYTES = 64 * 2**20
MAX_FILE_BYTES = 65 * 2**20
# Findings that say the seal could not vouch, not that anything was changed.
UNVERIFIED = ("no_seal", "fault")


@dataclass(frozen=True)
class Integrity:
    status: IntegrityStatus
    # Message keys of the ``[integrity]`` section of the catalog, with their parameters.
    findings: tuple[Message, ...] = ()


def check(
    directory: Path, execution: Execution, evidence: Evidence, facts: Facts | None
) -> Integrity:
    """Compare the kernel's evidence in ``directory`` with what the grader observed."""
    if execution.seal is None:
        return Integrity("unverified", (Message("no_seal"),))
    log = read_log(directory, execution.seal.key)
    findings = [*_log_findings(log), *_event_findings(directory, log, execution)]
    findings += _array_findings(log, evidence, execution.seal)
    findings += _file_findings(directory, log)
    findings += _cell_findings(log, execution)
    findings += _end_findings(log, execution)
    findings += _model_findings(evidence, facts)
    findings += [Message("seen", {"what": what}) for what in log.tampering]
    findings += [Message("fault", {"what": what}) for what in log.faults]
    if any(f.key not in UNVERIFIED for f in findings):
        return Integrity("tampered", tuple(findings))
    return Integrity("unverified" if findings else "intact", tuple(findings))


def _log_findings(log: SealLog) -> list[Message]:
    if not log.found:
        return [Message("no_log")]
    return [Message("log_changed", {"line": log.broken_at})] if log.broken_at else []


def _event_findings(directory: Path, log: SealLog, execution: Execution) -> list[Message]:
    raw = read_bounded(directory / EVENTS_FILE, MAX_EVENTS_BYTES)
    lines = (raw or b"").split(b"\n")
    found = [sha256_hex(line) for line in lines[:-1]]
    if lines[-1]:
        found.append(sha256_hex(lines[-1]))
    sealed = list(log.events)
    if execution.status != "completed" and len(found) == len(sealed) + 1:
        # Killed between writing a line and sealing it.
        found = found[:-1]
    if found == sealed:
        return []
    first = next((i for i, (a, b) in enumerate(zip(found, sealed)) if a != b), None)
    return [
        Message(
            "events_changed",
            {
                "sealed": len(sealed),
                "found": len(found),
                "line": (first if first is not None else min(len(found), len(sealed))) + 1,
            },
        )
    ]


def digest_of(array: np.ndarray, key: bytes) -> tuple[str, str]:
    """An array's label and digest as the kernel's seal makes them (``seals.array_digest``)."""
    data = np.ascontiguousarray(array)
    label = array_label(data.dtype.str, tuple(data.shape))
    try:
        flat: Any = memoryview(data).cast("B")  # type: ignore[arg-type]
    except (TypeError, ValueError):
        flat = data.tobytes()
    sample_key = hmac.digest(key, SAMPLE_LABEL, "sha256")
    return label, array_digest(flat, label, sample_key, hmac.digest, hashlib.sha256)


def _array_findings(log: SealLog, evidence: Evidence, seal: SealKey) -> list[Message]:
    changed = []
    for name, sealed in sorted(log.arrays.items()):
        array = evidence.array(name)
        if array is None or digest_of(array, seal.key) != sealed:
            changed.append(name)
    return [Message("array_changed", {"names": ", ".join(changed)})] if changed else []


def _file_findings(directory: Path, log: SealLog) -> list[Message]:
    changed = []
    for name, digest in sorted(log.files.items()):
        folder = FIGURES_DIR if name.startswith("fig") else MODELS_DIR
        data = read_bounded(directory / folder / name, MAX_FILE_BYTES)
        if data is None or sha256_hex(data) != digest:
            changed.append(name)
    return [Message("file_changed", {"names": ", ".join(changed)})] if changed else []


def _cell_findings(log: SealLog, execution: Execution) -> list[Message]:
    """Every cell the grader ran was sealed as it started, in order (others may come between:
    the grader's own probes, cells the notebook ran itself)."""
    sealed = iter(log.cells)
    missing = [
        run.number
        for run in execution.cells
        if run.outcome != "not_run"
        and sha256_hex(run.source.encode("utf-8", "backslashreplace")) not in sealed
    ]
    if not missing or log.broken_at is not None:
        return []
    return [Message("cells_unsealed", {"cells": ", ".join(map(str, missing))})]


def _end_findings(log: SealLog, execution: Execution) -> list[Message]:
    """A notebook that ran to its end had the grader's final dump sealed, with the grader's
    nonce."""
    if execution.status != "completed" or execution.seal is None:
        return []
    if log.end is None or log.end[0] != execution.seal.nonce:
        return [Message("no_end")]
    return []


def _model_findings(evidence: Evidence, facts: Facts | None) -> list[Message]:
    """The parameters Keras counted in the model ``fit`` trained, against the model the grader
    rebuilt from the configuration that ``fit`` reported."""
    if facts is None or facts.built is None:
        return []
    start = evidence.main_fit()
    model = start.get("model") if start else None
    for event in evidence.of_kind("fit_end"):
        counted = event.get("param_count")
        if event.get("model") == model and event.get("config") and isinstance(counted, int):
            if counted != facts.built.total_params:
                return [
                    Message(
                        "model_mismatch",
                        {"trained": counted, "rebuilt": facts.built.total_params},
                    )
                ]
            return []
    return []
