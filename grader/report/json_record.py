"""A record as the JSON document instructors and CI consume (``DIR/<submission>.json``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import cast

import grader
from grader.atomic_write import write_atomic
from grader.boundary.artifacts import as_json
from grader.messages import text
from grader.record_data import CheckData, RecordData
from grader.report.view import CheckView, View


def _check(c: CheckView) -> CheckData:
    data: CheckData = {
        "id": c.result.id,
        "title": c.title,
        "area": c.result.area,
        "status": c.result.status,
        "passed": c.result.passed,
        "points": c.result.points,
        "max_points": c.result.max_points,
        "message": c.message.line if c.message else "",
        # The catalog key and its parameters: what the class summary groups mistakes by.
        "key": c.message.message.key if c.message else None,
        "params": as_json(c.message.params, str) if c.message else {},
        "visibility": c.result.visibility,
        # The check whose failure this one follows from (``checks/dependencies.py``).
        "caused_by": c.result.caused_by,
    }
    # A consequence says whether it kept its points (``[scoring] consequences``).
    if c.result.caused_by is not None:
        data["waived"] = c.result.waived
    return data


def to_data(view: View) -> RecordData:
    """The record as plain JSON data."""
    record = view.record
    checks = [_check(c) for c in view.checks]
    data: RecordData = {
        "id": view.id,
        "assignment": record.assignment,
        "submission": record.submission,
        "status": record.status,
        "score": record.score,
        "max_score": record.max_score,
        "duration_s": record.duration_s,
        "timings": record.timings,
        "submission_sha256": view.submission_sha256,
        "grader_version": grader.__version__,
        "language": view.lang,
        "checks": checks,
        "notes": list(view.notes),
        # An instructor's grading ran every check; a self-check left some for after submission.
        "instructor": view.instructor,
        "released": view.released,
        "assignment_sha256": view.assignment_sha256,
    }
    if record.withheld.checks:
        data["graded_after_submission"] = {
            "checks": record.withheld.checks,
            "points": record.withheld.points,
        }
    if view.error is not None:
        data["error"] = view.error.line
        data["error_key"] = view.error.message.key
        data["error_params"] = as_json(view.error.params, str)
    facts = record.facts
    if facts is not None:
        data["cells"] = [
            {
                "cell": c.number,
                "outcome": c.outcome,
                "duration_s": round(c.duration_s, 2),
                "error": c.error,
                "hint": c.hint,
            }
            for c in view.cells
        ]
        # The grader's measurement is what the accuracy check judges: a self-check that left that
        # check out does not give it away (an instructor's grading keeps it).
        if facts.training is not None and (view.instructor or view.disclosure.shows("measured")):
            data["measured"] = {
                "accuracy": facts.training.accuracy,
                "judged_accuracy": facts.judged_accuracy,
                "samples": facts.training.samples,
                "epochs": facts.training.epochs,
                "test_samples": facts.training.test_samples,
                "error": facts.training.error,
                # Every measurement (more than one near the threshold), and the chance that a
                # correct model fails this way (``measurement.confidence``).
                "trials": [{"seed": seed, "accuracy": a} for seed, a in facts.trials],
                "false_fail_chance": facts.false_fail_chance,
            }
        data["synthetic_data"] = facts.synthetic_data
    if record.isolation is not None:
        data["isolation"] = record.isolation.to_data()
    if record.integrity is not None:
        data["integrity"] = {
            "status": record.integrity.status,
            "findings": [
                {
                    "key": finding.key,
                    "params": as_json(finding.params, str),
                    "text": text(view.lang, "integrity", finding.key, **finding.params),
                }
                for finding in record.integrity.findings
            ],
        }
    if record.grader_traceback:
        data["grader_traceback"] = record.grader_traceback
    return data


def write(data: RecordData, directory: Path) -> Path:
    """Write ``<directory>/<id>.json`` atomically (a reader never sees half a file)."""
    return write_atomic(
        directory / f"{data['id']}.json", json.dumps(data, ensure_ascii=False, indent=2)
    )


def read(path: Path) -> RecordData | None:
    """A record written by ``write``; ``None`` when it is missing or not one of ours (the output
    folder is the grader's own: a document with an id and a status is taken as ``to_data`` made
    it)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if isinstance(data, dict) and isinstance(data.get("id"), str) and "status" in data:
        return cast(RecordData, data)
    return None
