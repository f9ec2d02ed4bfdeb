"""Assignments: ``<name>/assignment.toml`` (found by ``locations.py``) and the compiled solution
beside it.

The TOML declares what is the instructor's to choose (points, limits, the budgets, the
accuracy threshold); what a correct solution *is* (shapes, layers, settings) is read from
``expected.json``, compiled from the reference module by ``grader build`` (``course/compiling.py``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from grader.boundary.execution import Limits
from grader.boundary.legacy_paths import SWITCHES
from grader.checks import expected_file
from grader.checks.catalog import load_all
from grader.checks.expected import Expected
from grader.course.consequences import Consequences, ScoringError
from grader.course.consequences import parse as scoring_policy
from grader.course.custom_checks import CustomCheck, CustomCheckError, collect
from grader.course.locations import Located, LocationError, catalogue, private_folders, sources
from grader.course.visibility import PARTS, Visibility, VisibilityError, Withheld, disclosure, parse

# The key of ``[extras]`` that grades the extras (every other key names a check).
GRADED = "graded"
# The keys of ``[limits]`` an assignment may leave out (``Limits`` has their defaults).
OPTIONAL_LIMITS: dict[str, Callable[[Any], Any]] = {
    "disk_mb": int,
    "max_processes": int,
    "grader_timeout_s": float,
}


class AssignmentError(Exception):
    """The assignment is unknown or its description is wrong; the message says which."""


def available(explicit: Sequence[Path] = (), cwd: Path | None = None) -> dict[str, Located]:
    """Every assignment this grader can find, with where it comes from."""
    try:
        return catalogue(sources(explicit, cwd))
    except LocationError as exc:
        raise AssignmentError(str(exc)) from None


@dataclass(frozen=True)
class Switches:
    """``[compat]``: what the kernel serves for notebooks written for Keras 2 or on Colab, or
    copied from older tutorials (``boundary.legacy_apis``)."""

    keras2_paths: bool = True
    colab: bool = True
    legacy_apis: bool = True


@dataclass(frozen=True)
class Assignment:
    name: str
    folder: Path
    title: dict[str, str]
    dataset: str
    reference: str
    limits: Limits
    budget: dict[str, int]
    measure: dict[str, Any]
    points: dict[str, float]
    # The assignment's own pytest checks (``test_*.py`` in its folder), points from their markers.
    custom: tuple[CustomCheck, ...] = ()
    # ``[visibility]``: check id -> who sees it (a check not named is visible).
    visibility: dict[str, Visibility] = dataclasses.field(default_factory=dict)
    # Checks this copy does not hold that are graded after submission (a student pack's
    # ``[graded_after_submission]``, or those ``self_check`` left out).
    withheld: Withheld = Withheld()
    # The parts of the expectation (``visibility.PARTS``) the student's page leaves out because they
    # give away a check this copy left out (``self_check``, or a student pack's ``withheld``).
    undisclosed: frozenset[str] = frozenset()
    # ``[extras]``: checks asked beyond the seed article that are not graded (``graded = false``,
    # the default), with their points; they are not in ``points``, and the report names them.
    extras: dict[str, float] = dataclasses.field(default_factory=dict)
    # ``[compat]``: whether the kernel serves the Keras 2 paths and the Colab stand-in.
    compat: Switches = Switches()
    # ``[kernel] preload``: whether kernels import TensorFlow, Keras, numpy and pyplot before their
    # submission is known (off for an assignment whose notebooks never import them).
    preload: bool = True
    # ``[scoring] consequences``: whether a failure that follows from another loses its points.
    consequences: Consequences = "counted"

    def visibility_of(self, check_id: str) -> Visibility:
        return self.visibility.get(check_id, "visible")

    @property
    def private(self) -> tuple[Path, ...]:
        """Folders the student's kernel must not read (see ``locations.private_folders``)."""
        return private_folders(self.folder)

    @property
    def max_score(self) -> float:
        return float(sum(self.points.values()) + sum(c.points for c in self.custom))

    @cached_property
    def expected(self) -> Expected:
        """What a correct solution is: the compiled ``expected.json`` (``grader build``) and
        ``[measure]``."""
        try:
            return expected_file.read(self.folder, self.measure)
        except expected_file.ExpectedDataError as exc:
            raise AssignmentError(str(exc)) from None


def _switches(table: Any, names: tuple[str, ...], where: str) -> dict[str, bool]:
    """A table of on/off switches, every name and value checked."""
    if not isinstance(table, dict):
        raise AssignmentError(f"{where}: must be a table")
    wrong = {str(k): v for k, v in table.items() if k not in names or not isinstance(v, bool)}
    if wrong:
        raise AssignmentError(f"{where}: expected true or false for {list(names)}, not {wrong}")
    return {str(k): bool(v) for k, v in table.items()}


def _extras(
    table: Any, points: dict[str, float], where: str
) -> tuple[dict[str, float], dict[str, float]]:
    """``points`` split by ``[extras]`` into the graded checks and the extras left ungraded."""
    if not isinstance(table, dict):
        raise AssignmentError(f"{where}: must be a table")
    declared = {str(k): v for k, v in table.items() if k != GRADED}
    unknown = sorted(k for k in declared if k not in points)
    wrong = {
        k: v
        for k, v in [*declared.items(), (GRADED, table.get(GRADED, False))]
        if not isinstance(v, bool)
    }
    if unknown or wrong:
        raise AssignmentError(
            f"{where}: names checks of [points] with true (an extra) or false, and '{GRADED}' "
            f"with true or false; not {unknown or wrong}"
        )
    if table.get(GRADED, False):
        return points, {}
    left = {k for k, extra in declared.items() if extra}
    return {k: v for k, v in points.items() if k not in left}, {
        k: v for k, v in points.items() if k in left
    }


def _require(table: dict[str, Any], key: str, where: str) -> Any:
    if key not in table:
        raise AssignmentError(f"{where}: missing '{key}'")
    return table[key]


def load_assignment(
    name: str, root: Path | None = None, *, explicit: Sequence[Path] = (), cwd: Path | None = None
) -> Assignment:
    """The assignment ``name`` from the folder of assignments ``root``, else from the first
    source that holds it (``--assignments`` folders ``explicit``, then ``locations.sources``)."""
    if root is not None:
        folder = root / name
    else:
        known = available(explicit, cwd)
        if name not in known:
            raise AssignmentError(
                f"unknown assignment {name!r} (known: {', '.join(known) or 'none'})"
            )
        folder = known[name].folder
    path = folder / "assignment.toml"
    if not path.is_file():
        raise AssignmentError(f"unknown assignment {name!r}: no {path}")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise AssignmentError(f"{path}: {exc}") from None
    limits = _require(data, "limits", str(path))
    registry = load_all()
    points = {str(k): float(v) for k, v in _require(data, "points", str(path)).items()}
    unknown = [k for k in points if k not in registry]
    if unknown:
        raise AssignmentError(f"{path}: unknown checks {unknown}; known: {sorted(registry)}")
    try:
        custom = collect(folder)
    except CustomCheckError as exc:
        raise AssignmentError(str(exc)) from None
    try:
        visibility = parse(
            data.get("visibility", {}), [*points, *(c.id for c in custom)], str(path)
        )
    except VisibilityError as exc:
        raise AssignmentError(str(exc)) from None
    later = data.get("graded_after_submission", {})
    # A student pack names the parts of the expectation its page leaves out (visibility.PARTS).
    undisclosed = frozenset(str(k) for k in later.get("withheld", []))
    if undisclosed - set(PARTS):
        raise AssignmentError(
            f"{path}: [graded_after_submission] withheld must name parts of {sorted(PARTS)}"
        )
    points, extras = _extras(data.get("extras", {}), points, f"{path} [extras]")
    compat = Switches(**_switches(data.get("compat", {}), SWITCHES, f"{path} [compat]"))
    preload = _switches(data.get("kernel", {}), ("preload",), f"{path} [kernel]").get(
        "preload", True
    )
    try:
        consequences = scoring_policy(data.get("scoring", {}), f"{path} [scoring]")
    except ScoringError as exc:
        raise AssignmentError(str(exc)) from None
    return Assignment(
        name=name,
        folder=folder,
        title=dict(_require(data, "title", str(path))),
        dataset=str(_require(data, "dataset", str(path))),
        reference=str(_require(data, "reference", str(path))),
        limits=Limits(
            float(limits["cell_timeout_s"]),
            float(limits["total_timeout_s"]),
            int(limits["memory_mb"]),
            int(limits["output_kb"]) * 1024,
            **{k: kind(limits[k]) for k, kind in OPTIONAL_LIMITS.items() if k in limits},
        ),
        budget={k: int(v) for k, v in _require(data, "budget", str(path)).items()},
        measure=dict(_require(data, "measure", str(path))),
        points=points,
        custom=custom,
        visibility=visibility,
        withheld=Withheld(int(later.get("checks", 0)), float(later.get("points", 0.0))),
        undisclosed=undisclosed,
        extras=extras,
        compat=compat,
        preload=preload,
        consequences=consequences,
    )


def self_check(assignment: Assignment) -> Assignment:
    """The assignment as a student's self-check runs it: only its visible checks, the others
    counted in ``withheld`` (how many checks and points are graded after submission), and the
    parts of the expectation that would give them away in ``undisclosed``."""

    def shown(check_id: str) -> bool:
        return assignment.visibility_of(check_id) == "visible"

    points = {k: v for k, v in assignment.points.items() if shown(k)}
    custom = tuple(c for c in assignment.custom if shown(c.id))
    left_out = [v for k, v in assignment.points.items() if not shown(k)] + [
        c.points for c in assignment.custom if not shown(c.id)
    ]
    withheld = assignment.withheld.plus(Withheld(len(left_out), float(sum(left_out))))
    undisclosed = disclosure(assignment.visibility, False, assignment.undisclosed).withheld
    return dataclasses.replace(
        assignment,
        points=points,
        custom=custom,
        withheld=withheld,
        undisclosed=undisclosed,
        visibility={k: v for k, v in assignment.visibility.items() if shown(k)},
    )


def digest(assignment: Assignment) -> str:
    """sha256 of what defines the grading: ``assignment.toml`` and the custom tests beside it."""
    files = [assignment.folder / "assignment.toml", *sorted(assignment.folder.glob("test_*.py"))]
    hasher = hashlib.sha256()
    for path in files:
        hasher.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return hasher.hexdigest()


def with_limits(
    assignment: Assignment,
    cell_timeout_s: float | None = None,
    total_timeout_s: float | None = None,
) -> Assignment:
    """The assignment with its time limits overridden (from the command line)."""
    limits = assignment.limits
    if cell_timeout_s is not None:
        limits = dataclasses.replace(limits, cell_timeout_s=cell_timeout_s)
    if total_timeout_s is not None:
        limits = dataclasses.replace(limits, total_timeout_s=total_timeout_s)
    return dataclasses.replace(assignment, limits=limits)
