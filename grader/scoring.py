"""A grading's verdict, computed from plain data: every check of the assignment (and its own
pytest checks) scored into ``CheckResult``s, and the notes its record carries (the budget, what
the grader measured, the compatibility switches, why a run stopped).

``engine.grade`` calls both once the facts are gathered; ``score(assignment, None)`` gives the
checks of a submission that never ran, each earning nothing.  Each check that fails because an
earlier one failed names its cause (``checks/dependencies.py``); the assignment's ``[scoring]`` says
whether it loses its points all the same.
"""

from __future__ import annotations

import dataclasses

from grader.boundary.execution import Execution
from grader.checks.catalog import load_all
from grader.checks.dependencies import Verdict, causes, declared
from grader.course import custom_checks
from grader.course.assignment import Assignment
from grader.course.fixtures import StudentRun
from grader.evidence.compat_notes import compat_notes, missing_module_notes
from grader.evidence.facts import Facts
from grader.evidence.measured_notes import measured_notes
from grader.messages import LANGUAGES, text
from grader.outcome import Message, Outcome
from grader.record import CheckResult


def score(
    assignment: Assignment, facts: Facts | None, student: StudentRun | None = None
) -> tuple[CheckResult, ...]:
    """Each check of ``assignment`` on ``facts``, then its custom checks on ``student``."""
    registry = load_all()
    results = []
    for check_id, points in assignment.points.items():
        check = registry[check_id]
        outcome = (
            check.function(facts, assignment.expected)
            if facts is not None
            else Outcome("not_run", Message("run.nothing"))
        )
        # A skipped check is not part of this grading: it is worth nothing either way.
        worth = 0.0 if outcome.status == "skipped" else points
        results.append(
            CheckResult(
                check_id,
                check.area,
                outcome.status,
                worth if outcome.passed else 0.0,
                worth,
                outcome.message,
                visibility=assignment.visibility_of(check_id),
            )
        )
    outcomes = (
        custom_checks.run(assignment.custom, assignment.folder, student)
        if student is not None
        else {}
    )
    for extra in assignment.custom:
        outcome = outcomes.get(extra.id, Outcome("not_run", Message("run.nothing")))
        results.append(
            CheckResult(
                extra.id,
                custom_checks.AREA,
                outcome.status,
                extra.points if outcome.passed else 0.0,
                extra.points,
                outcome.message,
                extra.title,
                assignment.visibility_of(extra.id),
            )
        )
    # A submission that never ran has one cause, the record's error: no check is another's.
    return with_causes(tuple(results), assignment) if facts is not None else tuple(results)


def with_causes(
    results: tuple[CheckResult, ...], assignment: Assignment
) -> tuple[CheckResult, ...]:
    """``results`` with each consequence's cause, and its points kept where ``[scoring]`` waives
    them."""
    registry = load_all()
    verdicts = [
        Verdict(
            r.id,
            r.status,
            r.message.key if r.message else None,
            r.message.params if r.message else {},
            builtin=r.id in registry,
        )
        for r in results
    ]
    found = causes(verdicts, declared(registry))
    waived = assignment.consequences == "waived"
    return tuple(
        dataclasses.replace(
            r,
            caused_by=found[r.id],
            waived=waived,
            points=r.max_points if waived else r.points,
        )
        if r.id in found
        else r
        for r in results
    )


def notes(assignment: Assignment, execution: Execution, facts: Facts) -> tuple[Message, ...]:
    """What the record notes beside the checks, as message keys and parameters."""
    notes = [Message("note.budget", dict(assignment.budget))]
    notes.extend(measured_notes(facts))
    if facts.synthetic_data:
        notes.append(Message("note.synthetic", {"dataset": facts.dataset}))
    if facts.subclassed is not None:
        notes.append(Message("note.subclassed", {"name": facts.subclassed}))
    if execution.output_truncated:
        notes.append(
            Message("note.output_truncated", {"kb": assignment.limits.output_bytes // 1024})
        )
    notes.extend(compat_notes(facts.compat) + missing_module_notes(execution.cells))
    if assignment.extras:
        titles = {
            lang: ", ".join(text(lang, "check", check_id) for check_id in assignment.extras)
            for lang in LANGUAGES
        }
        notes.append(Message("note.extras", {"checks": titles}))
    if execution.status != "completed":
        notes.append(
            Message(
                f"note.{execution.status}",
                {
                    "detail": execution.detail,
                    "seconds": assignment.limits.total_timeout_s,
                    "memory_mb": assignment.limits.memory_mb,
                },
            )
        )
    return tuple(notes)
