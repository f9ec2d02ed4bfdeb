"""``grader pack NAME --student DIR``: what students receive to check their work themselves.

``DIR/<name>/`` is an assignment folder holding only what a self-check needs: the starters
(ja, en), the compiled ``expected.json`` (without the fields only a check it does not run
reads) and the reference curves, the visible custom checks,
and an ``assignment.toml`` without the hidden checks that says how many checks and points
are graded after submission.  No solution notebook, no reference code, no example, no
hidden check.  ``DIR/README.md`` says how to self-check.
"""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path
from typing import Any

from grader.atomic_write import write_atomic
from grader.checks.expected_file import FILE_NAME, OWN_FIELDS, render
from grader.course.assignment import GRADED, Assignment, load_assignment, self_check
from grader.course.custom_checks import test_files
from grader.course.visibility import PARTS
from grader.messages import text
from grader.platforms.toml_text import dumps

# Copied as they are when present: what the starters and the feedback pages need.
CURVES = "reference_curves.json"
SHIPPED = (CURVES, "starter_ja.ipynb", "starter_en.ipynb")
DESCRIPTION = "assignment.toml"
README = "README.md"


class PackError(Exception):
    """The pack cannot be made as asked; the message says why."""


def visible_test_files(assignment: Assignment) -> list[Path]:
    """The custom test files to ship: those whose every check is visible (a file cannot be
    shipped in part)."""
    hidden = {
        c.nodeid.split("::", 1)[0].rsplit("/", 1)[-1]
        for c in assignment.custom
        if assignment.visibility_of(c.id) != "visible"
    }
    shown = {
        c.nodeid.split("::", 1)[0].rsplit("/", 1)[-1]
        for c in assignment.custom
        if assignment.visibility_of(c.id) == "visible"
    }
    mixed = sorted(hidden & shown)
    if mixed:
        raise PackError(
            f"{assignment.folder}: {', '.join(mixed)} mixes visible and hidden checks; "
            "put the hidden ones in a file of their own"
        )
    return [path for path in test_files(assignment.folder) if path.name not in hidden]


def students_description(assignment: Assignment) -> str:
    """``assignment.toml`` as a self-check reads it: the visible checks, the others counted."""
    data = tomllib.loads((assignment.folder / DESCRIPTION).read_text(encoding="utf-8"))
    seen = self_check(assignment)
    # The extras left ungraded stay declared, so the pack's report names them too.
    data["points"] = {
        **seen.points,
        **{k: v for k, v in assignment.extras.items() if assignment.visibility_of(k) == "visible"},
    }
    if "extras" in data:
        data["extras"] = {
            k: v for k, v in data["extras"].items() if k == GRADED or k in data["points"]
        }
    data.pop("visibility", None)
    later: dict[str, Any] = {"checks": seen.withheld.checks, "points": seen.withheld.points}
    # What the page leaves out, not the hidden checks' names: the page's part that would give them
    # away.
    if seen.undisclosed:
        later["withheld"] = sorted(seen.undisclosed)
    # The threshold is what the accuracy check expects.
    if "results.accuracy" in assignment.points and "results.accuracy" not in seen.points:
        data["measure"] = {**data["measure"], "threshold": 0.0, "reference_accuracy": 0.0}
    data["graded_after_submission"] = later
    return dumps(
        data,
        f"{assignment.name}, as students receive it (grader pack {assignment.name} --student): "
        "its hidden checks are graded after submission.",
    )


def students_expected(assignment: Assignment) -> str:
    """``expected.json`` for the visible checks: without a field that only a check the pack does
    not hold reads."""
    data = json.loads((assignment.folder / FILE_NAME).read_text(encoding="utf-8"))
    visible = self_check(assignment).points
    needed = {field for check_id, field in OWN_FIELDS.items() if check_id in visible}
    for field in set(OWN_FIELDS.values()) - needed:
        data.pop(field, None)
    if not any(
        check in visible for check in PARTS["model"]
    ):  # no check the pack holds reads the expected model
        data["architecture"] = {**data["architecture"], "input_shape": None, "layers": []}
        data["built"] = {"total_params": 0, "layers": []}
    return render(data)


def students_see(assignment: Assignment, part: str) -> bool:
    """Whether a self-check's page may show ``part`` of the expectation (``visibility.PARTS``)."""
    return part not in self_check(assignment).undisclosed


def _readme(assignment: Assignment) -> str:
    parts = []
    for lang in ("en", "ja"):
        parts.append(
            text(
                lang,
                "pack",
                "readme",
                name=assignment.name,
                title=assignment.title.get(lang, assignment.name),
            )
        )
    return "\n\n".join(parts) + "\n"


def pack_for_students(assignment: Assignment, directory: Path) -> tuple[Path, ...]:
    """Write the student pack of ``assignment`` into ``directory`` (new or empty), then check it
    loads; the files written."""
    if directory.exists() and any(directory.iterdir()):
        raise PackError(f"{directory} is not empty: choose a new folder for the pack")
    folder = directory / assignment.name
    folder.mkdir(parents=True)
    tests = visible_test_files(assignment)
    written = [
        write_atomic(folder / DESCRIPTION, students_description(assignment)),
        write_atomic(folder / FILE_NAME, students_expected(assignment)),
    ]
    shipped = [name for name in SHIPPED if name != CURVES or students_see(assignment, "curves")]
    for path in [*(assignment.folder / name for name in shipped), *tests]:
        if path.is_file():
            written.append(Path(shutil.copy2(path, folder / path.name)))
    written.append(write_atomic(directory / README, _readme(assignment)))
    packed = load_assignment(assignment.name, directory)
    expected = self_check(assignment)
    if packed.points != expected.points or [c.id for c in packed.custom] != [
        c.id for c in expected.custom
    ]:
        raise PackError(f"{directory}: the pack does not hold the assignment's visible checks")
    return tuple(written)
