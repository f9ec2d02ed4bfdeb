"""``grader new NAME``: a new assignment folder an instructor fills in.

It writes ``assignments/NAME/`` (a commented ``assignment.toml``, a starter notebook, an
example custom check) and ``reference/<name>.py``, a working reference to edit: a small
dense network on MNIST, so the new assignment grades from the first minute and every
piece shows its shape.  ``docs/authoring.md`` walks through the same files.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass
from pathlib import Path
from string import Template

NAME = re.compile(r"^[a-z][a-z0-9-]{0,39}$")

# What ``grader new`` writes, each file from its template here (``$name``, ``$module`` filled in).
TEMPLATES = Path(__file__).parent / "templates"


class ScaffoldError(Exception):
    """The assignment cannot be created; the message says why."""


@dataclass(frozen=True)
class Scaffold:
    written: tuple[Path, ...]
    next_steps: str


def scaffold(name: str, assignments: Path) -> Scaffold:
    """Create ``assignments/NAME/`` and ``reference/<module>.py`` beside ``assignments``; never
    overwrite."""
    module = name.replace("-", "_")
    if not NAME.match(name) or keyword.iskeyword(module):
        raise ScaffoldError(
            f"{name!r} is not a usable name: use lowercase letters, digits and '-', starting with "
            "a letter"
        )
    project = assignments.parent
    folder = assignments / name
    reference = project / "reference" / f"{module}.py"
    for existing in (folder, reference):
        if existing.exists():
            raise ScaffoldError(f"{existing} already exists")
    files = {
        folder / "assignment.toml": "assignment.toml.tpl",
        reference: "reference.py.tpl",
        folder / f"test_{module}.py": "test.py.tpl",
        folder / "starter.ipynb": "starter.ipynb.tpl",
    }
    for path, template in files.items():
        text = Template((TEMPLATES / template).read_text(encoding="utf-8")).substitute(
            name=name, module=module
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    steps = (
        f"Next: edit {reference.relative_to(project)} (the correct solution) and the files in "
        f'{folder.relative_to(project)}; add "{name}": "reference.{module}" to EXERCISES in '
        "reference/__init__.py "
        "and run `python -m reference.notebooks` to write the solution notebook and `grader build "
        f"{name}` to "
        f"compile what grading reads (expected.json); grade it with "
        f"`grader grade --assignments {folder.parent.relative_to(project)} --assignment {name} "
        f"{folder.relative_to(project)}/solution.ipynb` to calibrate the threshold "
        "(docs/authoring.md)."
    )
    return Scaffold(tuple(files), steps)
