"""The options both front ends take, each defined once: ``grader grade`` (``grade_options.py``,
``cli.py``) and ``pytest --assignment`` (``plugin.py``) register the same ``Option``, argparse's
``add_argument`` and pytest's ``addoption`` alike, so their help and types cannot drift apart."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.messages import LANGUAGES
from grader.submissions.finding import SUFFIXES


@dataclass(frozen=True)
class Option:
    flag: str
    help: str
    metavar: str | None = None
    type: Callable[[str], Any] | None = None
    choices: Sequence[str] | None = None
    # Given again, it adds to a list (default: empty).
    repeatable: bool = False

    def add_to(self, add: Callable[..., object], flag: str | None = None, **extra: Any) -> None:
        """Register it with ``add`` (argparse's ``add_argument`` or pytest's ``addoption``), under
        ``flag`` where a front end names it otherwise; ``extra``: that front end's own settings."""
        settings: dict[str, Any] = {"help": self.help}
        for name in ("metavar", "type", "choices"):
            if getattr(self, name) is not None:
                settings[name] = getattr(self, name)
        if self.repeatable:
            settings |= {"action": "append", "default": []}
        add(flag or self.flag, **settings, **extra)


KINDS = " or ".join(SUFFIXES)
ASSIGNMENT = Option(
    "--assignment", "the assignment to grade against, e.g. week8 (see: grader list)", "NAME"
)
ASSIGNMENTS = Option(
    "--assignments",
    "a folder of assignment folders, looked at before $GRADER_ASSIGNMENTS, grader.toml, "
    "installed course packages and the built-in ones (repeatable)",
    "DIR",
    Path,
    repeatable=True,
)
LANG = Option("--lang", "report language (default: from the locale)", choices=LANGUAGES)
CELL_TIMEOUT = Option("--cell-timeout", "seconds per cell (default: the assignment's)", "S", float)
TOTAL_TIMEOUT = Option(
    "--total-timeout", "seconds per submission (default: the assignment's)", "S", float
)
OUT = Option(
    "--out",
    "write into DIR the records (<id>.json), feedback/<id>.html, gradebook.csv, junit.xml and "
    "summary.html, with DIR's overrides.csv and the assignment's late policy applied",
    "DIR",
)
