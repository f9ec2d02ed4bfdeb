"""The example corpus's JSON records, kept as a golden fixture: a restructuring must leave them
alone.

The corpus is every notebook of ``assignments/*/examples``, each assignment's solution, and
the week-8 planted bugs with the week-8 starter (``tests/test_planted_bugs.py``), graded by
``grader grade`` exactly as the suite grades them.  What varies from run to run (timings, the
grader's version, and the few values drawn from the student's own unseeded training) is left
out; everything else must be identical.

    python -m tests.golden --write   # grade the corpus and store its records
    python -m tests.golden --check   # grade it again and compare (exit 1 on any difference)
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from tests import hermetic

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"
PLANTED = "week8-planted"
# What differs between two gradings of the same notebook on the same machine.
VARYING = ("duration_s", "timings", "grader_version")
# Which layers of isolation held is the machine's, not the notebook's (records made before they had
# it lack it).
ISOLATION = "isolation"
# Whether the evidence was tampered with: checked on its own (``tests/test_planted_bugs.py``,
# ``tests/test_integrity.py``); the golden records were made before records had it.
INTEGRITY = "integrity"
# Parameters drawn from the student's own training in the kernel, which no notebook of the
# corpus seeds (predicted classes, how far a model saved before training is from the trained one).
UNSEEDED = {
    "saving.differs": ("difference",),
    "saving.predictions_differ": ("difference",),
    "results.predictions_unnamed": ("example",),
}
# What may differ on another machine: the accuracy the grader measures (float arithmetic), and which
# layers of isolation the machine offers (the golden records were made before records had them).
MEASURED = "results.accuracy"
MACHINE = ("measured", ISOLATION)


def _unseeded(check: dict[str, Any]) -> dict[str, Any]:
    """A check with the values of ``UNSEEDED`` parameters left out of its parameters and message."""
    names = UNSEEDED.get(str(check.get("key")), ())
    if not names:
        return check
    params, message = dict(check.get("params") or {}), str(check.get("message"))
    for name in names:
        message = message.replace(str(params.get(name)), "…")
        params[name] = "…"
    return dict(check, params=params, message=message)


def normalised(record: dict[str, Any]) -> dict[str, Any]:
    """A record without what varies between runs: timings, the grader's version, unseeded values."""
    data = {k: v for k, v in record.items() if k not in (*VARYING, ISOLATION, INTEGRITY)}
    if "cells" in data:
        data["cells"] = [
            {k: v for k, v in cell.items() if k != "duration_s"} for cell in data["cells"]
        ]
    data["checks"] = [_unseeded(check) for check in data.get("checks", [])]
    return data


def portable(record: dict[str, Any]) -> dict[str, Any]:
    """A normalised record without the measured accuracy, the check that judges it, and the
    isolation."""
    data = {k: v for k, v in record.items() if k not in MACHINE}
    data["checks"] = [c for c in data.get("checks", []) if c.get("id") != MEASURED]
    return data


def stored(corpus: str) -> dict[str, dict[str, Any]]:
    """The golden records of ``corpus`` (an assignment's examples, or ``PLANTED``), by id."""
    return {
        p.stem: json.loads(p.read_text(encoding="utf-8"))
        for p in sorted((GOLDEN / corpus).glob("*.json"))
    }


def _changes(path: str, theirs: Any, mine: Any) -> list[str]:
    """Each place where two JSON values differ, as ``path: old -> new``."""
    if isinstance(theirs, dict) and isinstance(mine, dict):
        return [
            line
            for key in sorted(set(theirs) | set(mine))
            for line in _changes(f"{path}.{key}", theirs.get(key), mine.get(key))
        ]
    if isinstance(theirs, list) and isinstance(mine, list) and len(theirs) == len(mine):
        return [
            line
            for i, (a, b) in enumerate(zip(theirs, mine))
            for line in _changes(f"{path}[{i}]", a, b)
        ]
    if theirs == mine:
        return []
    return [
        f"{path}: {json.dumps(theirs, ensure_ascii=False)[:300]} -> "
        f"{json.dumps(mine, ensure_ascii=False)[:300]}"
    ]


def differences(
    corpus: str, records: dict[str, dict[str, Any]], across_machines: bool = False
) -> list[str]:
    """Where ``records`` differ from the golden ones of ``corpus`` (empty: identical);
    ``across_machines``
    leaves out the measured accuracy (the golden records were graded on one machine)."""
    golden = stored(corpus)
    found = []
    for name in sorted(set(golden) | set(records)):
        if name not in golden or name not in records:
            found.append(
                f"{corpus}/{name}: only in {'the golden records' if name in golden else 'this run'}"
            )
            continue
        mine, theirs = normalised(records[name]), normalised(golden[name])
        if across_machines:
            mine, theirs = portable(mine), portable(theirs)
        found.extend(_changes(f"{corpus}/{name}", theirs, mine))
    return found


def _examples(assignment: Path) -> list[Path]:
    return [assignment / "solution.ipynb", *sorted((assignment / "examples").glob("*.ipynb"))]


def corpora() -> list[str]:
    return [
        *sorted(p.name for p in (ROOT / "assignments").iterdir() if (p / "examples").is_dir()),
        PLANTED,
    ]


def grade_corpus(folder: Path, names: list[str]) -> dict[str, dict[str, dict[str, Any]]]:
    """Grade the corpora ``names`` (the planted batch beside the examples) into ``folder``."""
    from tests.conftest import finished, grade_many
    from tests.test_planted_bugs import start_planted_batch

    if PLANTED in names:
        (folder / PLANTED).mkdir()
        planted = start_planted_batch(folder / PLANTED)
    results = {}
    for name in names:
        if name != PLANTED:
            assignment, out = ROOT / "assignments" / name, folder / name
            results[name] = finished(grade_many(name, _examples(assignment), out, jobs=1), out)
    if PLANTED in names:
        results[PLANTED] = finished(planted, folder / PLANTED / "out")
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true", help="grade the corpus and store its records")
    mode.add_argument(
        "--check", action="store_true", help="grade the corpus and compare with the stored records"
    )
    parser.add_argument(
        "--only", nargs="+", choices=corpora(), default=corpora(), help="these corpora only"
    )
    args = parser.parse_args(argv)
    # A cache of its own, as a test session has: the user's measurements are neither read nor
    # written.
    root = hermetic.enter()
    try:
        with tempfile.TemporaryDirectory(prefix="grader-golden-") as scratch:
            results = grade_corpus(Path(scratch), args.only)
    finally:
        hermetic.leave(root)
    if args.write:
        for corpus, records in results.items():
            (GOLDEN / corpus).mkdir(parents=True, exist_ok=True)
            for name, record in records.items():
                (GOLDEN / corpus / f"{name}.json").write_text(
                    json.dumps(normalised(record), ensure_ascii=False, indent=2, sort_keys=True)
                    + "\n",
                    encoding="utf-8",
                )
        return 0
    found = [line for corpus, records in results.items() for line in differences(corpus, records)]
    print("\n".join(found) or f"identical: {sum(len(r) for r in results.values())} records")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
