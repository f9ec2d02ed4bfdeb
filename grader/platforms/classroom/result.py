"""GitHub Classroom's result for one submission: what its autograding reporter reads.

A runner step leaves ``result`` (base64 of a JSON document) in ``$GITHUB_OUTPUT``; the
reporter (``classroom-resources/autograding-grading-reporter``) decodes it from
``<RUNNER>_RESULTS`` and posts the sum of its tests' ``score`` out of the runners'
``max_score``.  One test per check, with the check's points, so one grading gives
per-check points.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

from grader.course.visibility import shown_to_student
from grader.record import GRADER_FAULTS
from grader.record_data import RecordData

OUTPUT_VARIABLE = "GITHUB_OUTPUT"
RESULT_NAME = "result"


def classroom_result(record: RecordData) -> dict[str, Any]:
    """The reporter's document (version 1): a test per judged check the student may read, its points
    as ``score``.  The reporter has no hidden tests and the workflow's log is the student's, so a
    check the student may not read yet (an instructor's grading) is left out, its points and message
    too."""
    released = bool(record.get("released"))
    judged = [
        c
        for c in record.get("checks", [])
        if c.get("status") != "skipped"
        and shown_to_student(c.get("visibility", "visible"), released)
    ]
    tests = [
        {
            "name": str(check.get("title") or check.get("id")),
            "status": "pass" if check.get("passed") else "fail",
            "message": str(check.get("message") or ""),
            "test_code": str(check.get("id")),
            "filename": str(record.get("submission", "")),
            "line_no": 0,
            "execution_time": f"{float(record.get('duration_s') or 0):.1f}s",
            "score": float(check.get("points", 0.0)),
        }
        for check in judged
    ]
    if record.get("status") in GRADER_FAULTS:
        status = "error"
    else:
        status = (
            "pass"
            if all(t["status"] == "pass" for t in tests) and record.get("status") == "graded"
            else "fail"
        )
    return {
        "version": 1,
        "status": status,
        "max_score": float(sum(float(c.get("max_points", 0.0)) for c in judged)),
        "tests": tests,
    }


def encoded(record: RecordData) -> str:
    """The document as the reporter reads it: base64 of its JSON."""
    return base64.b64encode(
        json.dumps(classroom_result(record), ensure_ascii=False).encode("utf-8")
    ).decode("ascii")


def write_classroom(record: RecordData, out: Path | None) -> Path:
    """Append ``result=...`` to ``$GITHUB_OUTPUT`` (in a workflow), else write
    ``OUT/classroom_output.txt``."""
    target = (
        Path(os.environ[OUTPUT_VARIABLE])
        if os.environ.get(OUTPUT_VARIABLE)
        else (out or Path(".")) / "classroom_output.txt"
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("a", encoding="utf-8") as output:
        output.write(f"{RESULT_NAME}={encoded(record)}\n")
    return target
