"""Where assignments come from, wherever the grader is installed.

Each source is a folder of assignment folders (``<root>/<name>/assignment.toml``).  They
are looked at in this order, and the first that holds a name wins:

1. ``--assignments DIR`` (every command, and ``pytest``), in the order given;
2. ``$GRADER_ASSIGNMENTS``;
3. the folders named by the nearest ``grader.toml`` at or above the current folder
   (``assignments = ["course/assignments"]``, relative to that file);
4. installed course packages, through the entry point group ``grader.assignments``
   (the entry point names a module or package whose folder holds the assignments, or a
   path, or a function returning one);
5. the assignments built into the grader (package data, ``grader/assignments/``).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import Literal

ASSIGNMENTS_ENV = "GRADER_ASSIGNMENTS"
CONFIG_FILE = "grader.toml"
ENTRY_POINTS = "grader.assignments"
# The built-in assignments: package data of the wheel (grader/assignments/), or in a checkout of the
# repository the course's own assignments/ beside the package.
_PACKAGE = Path(__file__).resolve().parent.parent
BUILT_IN = next(
    (p for p in (_PACKAGE / "assignments", _PACKAGE.parent / "assignments") if p.is_dir()),
    _PACKAGE / "assignments",
)
DESCRIPTION = "assignment.toml"
# A course laid out as ``grader new`` makes it keeps its solution code beside its assignments.
REFERENCE = "reference"

Origin = Literal["--assignments", "GRADER_ASSIGNMENTS", "grader.toml", "entry point", "built-in"]


class LocationError(Exception):
    """A source of assignments is misconfigured; the message says where."""


@dataclass(frozen=True)
class Source:
    """One folder of assignment folders, and how it was named."""

    origin: Origin
    root: Path
    # The grader.toml file or the entry point that named it ("" otherwise).
    via: str = ""

    def describe(self) -> str:
        named = f"{self.origin} {self.via}" if self.via else self.origin
        return f"{named}: {self.root}"


@dataclass(frozen=True)
class Located:
    name: str
    folder: Path
    source: Source


def config_file(start: Path) -> Path | None:
    """The nearest ``grader.toml`` at or above ``start``."""
    for folder in (start, *start.parents):
        candidate = folder / CONFIG_FILE
        if candidate.is_file():
            return candidate
    return None


def _configured(path: Path) -> list[Source]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise LocationError(f"{path}: {exc}") from None
    folders = data.get("assignments", [])
    folders = [folders] if isinstance(folders, str) else folders
    if not isinstance(folders, list) or not all(isinstance(f, str) for f in folders):
        raise LocationError(
            f"{path}: 'assignments' must be a folder or a list of folders (relative to this file)"
        )
    return [
        Source("grader.toml", (path.parent / folder).resolve(), str(path)) for folder in folders
    ]


def _entry_point_root(entry: metadata.EntryPoint) -> Path:
    try:
        loaded = entry.load()
        if isinstance(loaded, ModuleType):
            return Path(
                next(iter(getattr(loaded, "__path__", [])))
                if hasattr(loaded, "__path__")
                else Path(str(loaded.__file__)).parent
            )
        return Path(loaded() if callable(loaded) else loaded)
    except Exception as exc:  # noqa: BLE001 - a course package's fault, named for its author
        raise LocationError(
            f"entry point {entry.name} = {entry.value} ({ENTRY_POINTS}): {type(exc).__name__}: "
            f"{exc}"
        ) from None


def from_environment() -> Path | None:
    """The folder ``$GRADER_ASSIGNMENTS`` names, if any (the one place it is read)."""
    named = os.environ.get(ASSIGNMENTS_ENV)
    return Path(named).resolve() if named else None


def _named(explicit: Sequence[Path], cwd: Path | None) -> list[Source]:
    """The course's own folders: options, the environment, ``grader.toml``."""
    found = [Source("--assignments", Path(p).resolve()) for p in explicit]
    environment = from_environment()
    if environment is not None:
        found.append(Source("GRADER_ASSIGNMENTS", environment))
    config = config_file((cwd or Path.cwd()).resolve())
    return found + (_configured(config) if config is not None else [])


def sources(explicit: Sequence[Path] = (), cwd: Path | None = None) -> tuple[Source, ...]:
    """Every source, in the order a name is looked up."""
    found = _named(explicit, cwd)
    for entry in sorted(metadata.entry_points(group=ENTRY_POINTS), key=lambda e: e.name):
        found.append(Source("entry point", _entry_point_root(entry).resolve(), entry.name))
    found.append(Source("built-in", BUILT_IN))
    return tuple(found)


def catalogue(found: Sequence[Source]) -> dict[str, Located]:
    """Each assignment name with the folder of the first source that holds it, sorted by name."""
    located: dict[str, Located] = {}
    for source in found:
        if not source.root.is_dir():
            continue
        for description in sorted(source.root.glob(f"*/{DESCRIPTION}")):
            name = description.parent.name
            located.setdefault(name, Located(name, description.parent, source))
    return dict(sorted(located.items()))


def private_folders(folder: Path) -> tuple[Path, ...]:
    """What a kernel grading against the assignment in ``folder`` must not read (besides what
    ``sandbox/off_limits`` always hides): the folder of assignments it lies in, the course's
    solution code beside that folder, and ``$GRADER_ASSIGNMENTS``'s folder."""
    root = folder.resolve().parent
    reference = [root.parent / REFERENCE] if (root.parent / REFERENCE).is_dir() else []
    environment = from_environment()
    return tuple(dict.fromkeys([root, *reference, *([environment] if environment else [])]))


def course_folder(explicit: Sequence[Path] = (), cwd: Path | None = None) -> Path:
    """Where a new assignment of this course goes: the first folder named by an option, the
    environment or ``grader.toml``; else ``./assignments``."""
    named = _named(explicit, cwd)
    return named[0].root if named else (cwd or Path.cwd()).resolve() / "assignments"
