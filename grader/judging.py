"""After the student's cells: what the kernel left, read and turned into facts, and the grader's
own measurement, as one piece of work that ``engine.grade`` runs under the grading's deadline
(``deadline.within``).

The evidence is read as hostile (``evidence.hostile_files``), within what the kernel was allowed
to write (``Limits.disk_mb``); each file refused becomes a note of the record.  The measurement is
bounded by the assignment's ``[measure]`` (``measurement.bounds``), before anything is built.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.boundary.execution import Execution
from grader.checks.expected import Expected
from grader.course.assignment import Assignment
from grader.datasets import Dataset
from grader.evidence.facts import Facts
from grader.evidence.gathering import gather
from grader.evidence.integrity import Integrity
from grader.evidence.integrity import check as check_integrity
from grader.evidence.reading import read_evidence
from grader.evidence.reloading import saving_facts
from grader.measurement.bounds import Bounds
from grader.measurement.confidence import Policy, false_fail_chance, needs_more
from grader.measurement.inputs import training_data
from grader.measurement.measurer import Measurer, TrainingData
from grader.model.architecture import Architecture
from grader.model.training import BuildError, Training
from grader.outcome import Message

# A record names at most this many refused files (each its own note), then how many more.
MAX_REFUSAL_NOTES = 8


@dataclass(frozen=True)
class Judged:
    facts: Facts
    # The student's arrays the facts were gathered from (their custom checks receive them).
    arrays: dict[str, Any]
    # Each file of the kernel's the grader refused to read, and why.
    refused: tuple[tuple[str, str], ...]
    # Seconds spent reading the evidence and measuring.
    timings: dict[str, float]
    # Whether the evidence was tampered with (``evidence.integrity``).
    integrity: Integrity


def bounds(assignment: Assignment) -> Bounds:
    """What the grader may spend measuring one of ``assignment``'s submissions."""
    return Bounds.of(assignment.measure, assignment.limits.memory_mb)


def evidence_limit(assignment: Assignment) -> int:
    """The most bytes of arrays and saved models read of one kernel: what it may write."""
    return assignment.limits.disk_mb * 2**20


def judge(
    artifacts: Path,
    execution: Execution,
    dataset: Dataset,
    assignment: Assignment,
    seed: int,
    measurer: Measurer,
) -> Judged:
    """The facts of the run whose kernel left ``artifacts``, measured by ``measurer``."""
    clock = time.monotonic()
    evidence = read_evidence(artifacts, evidence_limit(assignment))
    facts, arrays = gather(evidence, execution, dataset)
    gathered = time.monotonic()
    policy = Policy.of(assignment.measure, assignment.expected.threshold)
    facts = measure(facts, arrays, dataset, assignment.expected, seed, measurer, policy)
    if any(check_id.startswith("saving.") for check_id in assignment.points):
        check = measurer.bounds.check
        facts = dataclasses.replace(facts, saving=saving_facts(evidence, facts.architecture, check))
    integrity = check_integrity(artifacts, execution, evidence, facts)
    timings = {"evidence": gathered - clock, "grader_training": time.monotonic() - gathered}
    return Judged(facts, arrays, tuple(evidence.refused), timings, integrity)


def measure(
    facts: Facts,
    arrays: dict[str, Any],
    dataset: Dataset,
    expected: Expected,
    seed: int,
    measurer: Measurer,
    policy: Policy,
) -> Facts:
    """``facts`` with the rebuilt layers and the grader's measurement of the student's model,
    measured again with the next seeds while the verdict is within ``policy``'s margin."""
    architecture = facts.architecture
    if architecture is None:
        return facts
    # The student's batch size; the assignment's when their fit never ran.  Accuracy on generated
    # stand-in data says nothing: not measured.
    data = (
        None
        if facts.synthetic_data
        else training_data(arrays, dataset, expected, facts.fit.batch_size if facts.fit else None)
    )
    try:
        measured = measurer.measure(
            architecture, seed, data if isinstance(data, TrainingData) else None
        )
    except BuildError as exc:
        return dataclasses.replace(facts, build_error=str(exc))
    if isinstance(data, str):
        return dataclasses.replace(facts, built=measured.built, unmeasured=data)
    return dataclasses.replace(
        facts,
        built=measured.built,
        training=measured.training,
        trials=_trials(measured.training, architecture, seed, data, measurer, policy),
        false_fail_chance=false_fail_chance(policy, expected.reference_accuracy),
        measured_on=data.on if data is not None else None,
    )


def _trials(
    first: Training | None,
    architecture: Architecture,
    seed: int,
    data: TrainingData | None,
    measurer: Measurer,
    policy: Policy,
) -> tuple[tuple[int, float], ...]:
    """Each measurement's seed and accuracy: the first, then one per further seed while the mean
    is within the margin below the threshold (``measurement.confidence``)."""
    if first is None or first.accuracy is None or first.error is not None:
        return ()
    trials = [(seed, first.accuracy)]
    while needs_more([accuracy for _, accuracy in trials], policy):
        following = seed + len(trials)
        again = measurer.measure(architecture, following, data).training
        if again is None or again.accuracy is None or again.error is not None:
            break
        trials.append((following, again.accuracy))
    return tuple(trials)


def refusal_notes(refused: tuple[tuple[str, str], ...]) -> tuple[Message, ...]:
    """A note for each file refused (the first ``MAX_REFUSAL_NOTES``), and one for the rest."""
    notes = [
        Message("note.evidence_refused", {"file": name, "reason": reason})
        for name, reason in refused[:MAX_REFUSAL_NOTES]
    ]
    if len(refused) > MAX_REFUSAL_NOTES:
        notes.append(
            Message("note.evidence_refused_more", {"count": len(refused) - MAX_REFUSAL_NOTES})
        )
    return tuple(notes)
