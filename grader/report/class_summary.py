"""The class at a glance, computed from the per-submission JSON documents alone.

Only what ``json_record.to_data`` writes is read (so a resumed batch rebuilds the summary
from the files on disk): statuses, scores, each check's status and message key, and the
durations.  Grader errors are not the students' doing: they are counted by status but
left out of the scores and the failure rates.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from grader.record import GRADER_FAULTS, STATUSES
from grader.record_data import RecordData

# The integrity statuses the summary lists, in its order.
FLAGGED = ("tampered", "unverified")
MOST_COMMON = 10
# Up to this many points, one histogram bar per point; above it, this many bars.
BARS = 25


@dataclass(frozen=True)
class Bin:
    low: float
    high: float
    count: int


@dataclass(frozen=True)
class CheckRate:
    id: str
    failed: int
    not_run: int
    counted: int

    @property
    def rate(self) -> float:
        return (self.failed + self.not_run) / self.counted if self.counted else 0.0


@dataclass(frozen=True)
class Mistake:
    key: str
    # The check that reported it; None for a submission-level error (e.g. not a notebook).
    check: str | None
    count: int
    # The most frequent parameters of this message, to render one concrete example.
    params: dict[str, Any]


@dataclass(frozen=True)
class Flagged:
    """A record whose evidence was tampered with, or could not be checked."""

    id: str
    # "tampered" or "unverified"
    status: str
    # Each finding's message key and parameters (``[integrity]`` in the catalog).
    findings: tuple[tuple[str, dict[str, Any]], ...]


@dataclass(frozen=True)
class ClassSummary:
    assignment: str
    total: int
    by_status: tuple[tuple[str, int], ...]
    max_score: float
    scores: tuple[float, ...]
    histogram: tuple[Bin, ...]
    checks: tuple[CheckRate, ...]
    mistakes: tuple[Mistake, ...]
    durations: tuple[float, ...]
    integrity: tuple[Flagged, ...] = ()

    @property
    def mean_score(self) -> float | None:
        return statistics.fmean(self.scores) if self.scores else None

    @property
    def median_score(self) -> float | None:
        return statistics.median(self.scores) if self.scores else None

    @property
    def median_duration(self) -> float | None:
        return statistics.median(self.durations) if self.durations else None

    @property
    def max_duration(self) -> float | None:
        return max(self.durations) if self.durations else None

    @property
    def total_duration(self) -> float:
        return math.fsum(self.durations)


def _number(value: Any) -> float | None:
    return (
        float(value)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        else None
    )


def histogram(scores: Sequence[float], max_score: float) -> tuple[Bin, ...]:
    """Bars from 0 to ``max_score``: one per point when that is few enough, else ``BARS``."""
    if max_score <= 0:
        return ()
    per_point = max_score <= BARS and float(max_score).is_integer()
    bars = int(max_score) + 1 if per_point else BARS
    width = 1.0 if per_point else max_score / bars
    counts = [0] * bars
    for score in scores:
        counts[min(bars - 1, max(0, int(score // width)))] += 1
    return tuple(
        Bin(i * width, (i + 1) * width if per_point else min(max_score, (i + 1) * width), c)
        for i, c in enumerate(counts)
    )


def _check_rates(records: Sequence[RecordData]) -> tuple[CheckRate, ...]:
    order: list[str] = []
    failed: Counter[str] = Counter()
    not_run: Counter[str] = Counter()
    counted: Counter[str] = Counter()
    for record in records:
        if record.get("status") in GRADER_FAULTS:
            continue
        for check in record.get("checks") or ():
            if not isinstance(check, dict) or not isinstance(check.get("id"), str):
                continue
            check_id = check["id"]
            if check.get("status") == "skipped":  # not judged on this machine: no rate to speak of
                continue
            if check_id not in counted:
                order.append(check_id)
            counted[check_id] += 1
            failed[check_id] += check.get("status") == "failed"
            not_run[check_id] += check.get("status") == "not_run"
    return tuple(CheckRate(c, failed[c], not_run[c], counted[c]) for c in order)


def _mistakes(records: Sequence[RecordData]) -> tuple[Mistake, ...]:
    """Failures grouped by message key, each counted once per submission, most frequent first."""
    submissions: Counter[tuple[str, str | None]] = Counter()
    examples: dict[tuple[str, str | None], Counter[str]] = {}
    params_of: dict[str, dict[str, Any]] = {}
    for record in records:
        if record.get("status") in GRADER_FAULTS:
            continue
        seen: set[tuple[str, str | None]] = set()
        found: list[tuple[object, object, object]] = [
            (check.get("key"), check.get("id"), check.get("params"))
            for check in record.get("checks") or ()
            if isinstance(check, dict) and check.get("status") == "failed"
        ]
        if record.get("error_key"):
            found.append((record["error_key"], None, record.get("error_params")))
        for key, check_id, params in found:
            if not isinstance(key, str):
                continue
            group = (key, check_id if isinstance(check_id, str) else None)
            plain = params if isinstance(params, dict) else {}
            example = repr(sorted(plain.items()))
            params_of.setdefault(example, plain)
            examples.setdefault(group, Counter())[example] += 1
            if group not in seen:
                seen.add(group)
                submissions[group] += 1
    ranked = sorted(submissions.items(), key=lambda item: (-item[1], item[0][0], item[0][1] or ""))
    return tuple(
        Mistake(key, check, count, params_of[examples[(key, check)].most_common(1)[0][0]])
        for (key, check), count in ranked[:MOST_COMMON]
    )


def flagged(records: Sequence[RecordData]) -> tuple[Flagged, ...]:
    """The records whose ``integrity`` is not ``intact``: tampered ones first."""
    found = []
    for record in records:
        integrity = record.get("integrity")
        if not isinstance(integrity, dict) or integrity.get("status") not in FLAGGED:
            continue
        findings = tuple(
            (str(f.get("key")), dict(f["params"]) if isinstance(f.get("params"), dict) else {})
            for f in integrity.get("findings") or ()
            if isinstance(f, dict)
        )
        found.append(Flagged(str(record.get("id")), str(integrity["status"]), findings))
    return tuple(sorted(found, key=lambda f: (FLAGGED.index(f.status), f.id)))


def summarise(records: Sequence[RecordData]) -> ClassSummary:
    """The summary of a batch from its JSON documents (as ``json.load`` returns them)."""
    statuses = Counter(str(r.get("status", "?")) for r in records)
    known = [s for s in STATUSES if statuses[s]] + sorted(s for s in statuses if s not in STATUSES)
    scored = [r for r in records if r.get("status") not in GRADER_FAULTS]
    scores = tuple(s for r in scored if (s := _number(r.get("score"))) is not None)
    max_score = max(
        (m for r in records if (m := _number(r.get("max_score"))) is not None), default=0.0
    )
    assignments = Counter(str(r.get("assignment", "")) for r in records)
    return ClassSummary(
        assignment=assignments.most_common(1)[0][0] if assignments else "",
        total=len(records),
        by_status=tuple((s, statuses[s]) for s in known),
        max_score=max_score,
        scores=scores,
        histogram=histogram(scores, max_score),
        checks=_check_rates(records),
        mistakes=_mistakes(records),
        durations=tuple(d for r in records if (d := _number(r.get("duration_s"))) is not None),
        integrity=flagged(records),
    )
