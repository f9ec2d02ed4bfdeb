"""What a notebook needed of Keras 2's paths, older APIs, Colab or ``pip``, read from the kernel's
evidence, and the notes that ask the student to modernise (never a lost point).

Only names the grader itself knows (``boundary.legacy_paths``, ``boundary.legacy_apis``) or that
look like package names reach a note, whatever the evidence says.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from grader.boundary.execution import CellRun
from grader.boundary.legacy_apis import LEGACY_APIS
from grader.boundary.legacy_paths import COLAB_CALLS, LEGACY, PACKAGE_NAME
from grader.evidence.reading import Evidence
from grader.outcome import Message

MISSING_MODULE = re.compile(r"^No module named '([A-Za-z_][A-Za-z0-9_.]{0,79})'")


@dataclass(frozen=True)
class Compat:
    # Keras 2 module paths the kernel resolved, in the order first used.
    legacy_imports: tuple[str, ...] = ()
    colab_calls: tuple[str, ...] = ()
    pip_present: tuple[str, ...] = ()
    pip_missing: tuple[str, ...] = ()
    # Older APIs the kernel mapped to today's (``LEGACY_APIS``' names), in the order first used.
    legacy_apis: tuple[str, ...] = ()


def _unique(values: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


def compat_facts(evidence: Evidence) -> Compat:
    imports = [e.get("name") for e in evidence.of_kind("legacy_import")]
    calls = [e.get("call") for e in evidence.of_kind("colab")]
    pips = [(e.get("package"), e.get("installed")) for e in evidence.of_kind("pip")]
    valid = [(p, i) for p, i in pips if isinstance(p, str) and PACKAGE_NAME.fullmatch(p)]
    apis = [e.get("name") for e in evidence.of_kind("legacy_api")]
    return Compat(
        _unique([n for n in imports if n in LEGACY]),
        _unique([c for c in calls if c in COLAB_CALLS]),
        _unique([p for p, installed in valid if installed is True]),
        _unique([p for p, installed in valid if installed is not True]),
        _unique([n for n in apis if n in LEGACY_APIS]),
    )


def missing_module_notes(cells: tuple[CellRun, ...]) -> list[Message]:
    """A note per cell that stopped at an import of a module the environment lacks: every
    check needing what that cell would have made says why it could not pass."""
    notes = []
    for cell in cells:
        found = (
            MISSING_MODULE.match(cell.error.value)
            if cell.error and cell.error.name == "ModuleNotFoundError"
            else None
        )
        if found and found.group(1) in LEGACY:
            notes.append(
                Message(
                    "note.legacy_refused",
                    {"cell": cell.number, "old": found.group(1), "new": LEGACY[found.group(1)]},
                )
            )
        elif found:
            notes.append(
                Message("note.missing_module", {"cell": cell.number, "module": found.group(1)})
            )
    return notes


def compat_notes(compat: Compat) -> list[Message]:
    notes = [
        Message("note.legacy_import", {"old": old, "new": LEGACY[old]})
        for old in compat.legacy_imports
    ] + [
        Message("note.legacy_api", {"old": LEGACY_APIS[name][0], "new": LEGACY_APIS[name][1]})
        for name in compat.legacy_apis
    ]
    if compat.colab_calls:
        notes.append(Message("note.colab", {"calls": ", ".join(compat.colab_calls)}))
    if compat.pip_present:
        notes.append(Message("note.pip_present", {"packages": ", ".join(compat.pip_present)}))
    if compat.pip_missing:
        notes.append(Message("note.pip_missing", {"packages": ", ".join(compat.pip_missing)}))
    return notes
