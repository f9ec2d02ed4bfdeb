"""The pytest front end: ``pytest --assignment=week8`` next to a notebook.

The submission file becomes a collector that grades it once (in ``setup``) and yields one
item per check, grouped by area (``notebook.ipynb::data::x_shape``), so ``-k``, ``-x``,
``-v`` and ``--junitxml`` behave as usual.  A failing item shows expected / found / fix,
never a traceback; after the items, the rich report is printed.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from grader.assignment import Assignment, AssignmentError, load_assignment, with_limits
from grader.custom import AREA as CUSTOM_AREA
from grader.engine import CheckResult, Record, grade
from grader.messages import LANGUAGES, check_title, default_language, render, text
from grader.report import json_record
from grader.report.terminal import report
from grader.submissions import fingerprint

ASSIGNMENT_HELP = "grade a notebook or module against ASSIGNMENT (e.g. week8)"
SUBMISSION_HELP = "the notebook (.ipynb) or module (.py) to grade (default: the one notebook in the current folder)"
SUBMISSION_SUFFIXES = (".ipynb", ".py")

assignment_key = pytest.StashKey[Assignment]()
submission_key = pytest.StashKey[Path]()
records_key = pytest.StashKey[list[Record]]()
lang_key = pytest.StashKey[str]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("grader", "Keras notebook grading")
    group.addoption("--assignment", metavar="ASSIGNMENT", help=ASSIGNMENT_HELP)
    group.addoption("--submission", metavar="PATH", help=SUBMISSION_HELP)
    group.addoption("--lang", choices=LANGUAGES, help="report language (default: from the locale)")
    group.addoption("--cell-timeout", type=float, metavar="S", help="seconds per cell (default: the assignment's)")
    group.addoption("--total-timeout", type=float, metavar="S", help="seconds per submission (default: the assignment's)")
    group.addoption("--grader-out", metavar="DIR", help="also write the JSON record of the submission into DIR")


def _find_submission(folder: Path) -> Path:
    notebooks = sorted(p for p in folder.glob("*.ipynb") if p.is_file())
    if len(notebooks) == 1:
        return notebooks[0]
    if not notebooks:
        raise pytest.UsageError(f"no notebook (.ipynb) in {folder}; name one with --submission PATH")
    names = ", ".join(p.name for p in notebooks)
    raise pytest.UsageError(f"several notebooks in {folder} ({names}); name one with --submission PATH")


def pytest_configure(config: pytest.Config) -> None:
    name = config.getoption("assignment")
    if not name:
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    try:
        config.stash[assignment_key] = with_limits(
            load_assignment(name), config.getoption("cell_timeout"), config.getoption("total_timeout")
        )
    except AssignmentError as exc:
        raise pytest.UsageError(str(exc)) from None
    named = config.getoption("submission")
    submission = Path(named).resolve() if named else _find_submission(Path(config.invocation_params.dir))
    if not submission.is_file():
        raise pytest.UsageError(f"--submission {named}: no such file")
    if submission.suffix.lower() not in SUBMISSION_SUFFIXES:
        raise pytest.UsageError(f"--submission {named}: expected a .ipynb or .py file")
    config.stash[submission_key] = submission
    config.stash[records_key] = []
    config.stash[lang_key] = config.getoption("lang") or default_language()
    # Grade exactly the submission, whatever folder pytest was started in.
    config.args[:] = [str(submission)]


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    config = parent.config
    if submission_key in config.stash and file_path.resolve() == config.stash[submission_key]:
        return SubmissionFile.from_parent(parent, path=file_path)
    return None


class SubmissionFile(pytest.File):
    """The student's file; grading it is this collector's (shared, once-only) setup."""

    record: Record | None = None

    def collect(self) -> Iterator[pytest.Collector]:
        assignment = self.config.stash[assignment_key]
        areas: dict[str, list[str]] = {}
        from grader.checks import load_all

        registry = load_all()
        for check_id in assignment.points:
            areas.setdefault(registry[check_id].area, []).append(check_id)
        for extra in assignment.custom:
            areas.setdefault(CUSTOM_AREA, []).append(extra.id)
        for area, ids in areas.items():
            yield Area.from_parent(self, name=area, check_ids=ids)

    def setup(self) -> None:
        assignment = self.config.stash[assignment_key]
        lang = self.config.stash[lang_key]
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")

        def progress(number: int, total: int, seconds: float) -> None:
            if reporter is not None and reporter.isatty:
                reporter.rewrite(text(lang, "ui", "running", number=number, total=total, seconds=seconds), erase=True)

        self.record = grade(self.path, assignment, progress)
        if reporter is not None and reporter.isatty:
            reporter.rewrite("", erase=True)
        self.config.stash[records_key].append(self.record)
        out = self.config.getoption("grader_out")
        if out:
            json_record.write(json_record.to_data(self.record, lang, fingerprint=fingerprint(self.path)), Path(out))


class Area(pytest.Collector):
    def __init__(self, *, check_ids: list[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.check_ids = check_ids

    def collect(self) -> Iterator[pytest.Item]:
        for check_id in self.check_ids:
            yield CheckItem.from_parent(self, name=check_id.split(".", 1)[1], check_id=check_id)


class CheckFailed(Exception):
    def __init__(self, result: CheckResult) -> None:
        super().__init__(result.id)
        self.result = result


class CheckItem(pytest.Item):
    def __init__(self, *, check_id: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.check_id = check_id

    def runtest(self) -> None:
        submission = self.getparent(SubmissionFile)
        assert submission is not None and submission.record is not None
        result = next(c for c in submission.record.checks if c.id == self.check_id)
        self.user_properties.append(("points", f"{result.points:g}/{result.max_points:g}"))
        if result.status == "skipped" and result.message is not None:
            pytest.skip(render(result.message, self.config.stash[lang_key]).found)
        if not result.passed:
            raise CheckFailed(result)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if not isinstance(excinfo.value, CheckFailed):
            return super().repr_failure(excinfo)
        lang = self.config.stash[lang_key]
        result = excinfo.value.result
        submission = self.getparent(SubmissionFile)
        message = result.message
        if submission is not None and submission.record is not None and submission.record.error is not None:
            message = submission.record.error
        title = check_title(result, lang)
        if message is None:
            return f"{title}: {text(lang, 'ui', result.status)}"
        r = render(message, lang)
        return "\n".join([
            f"{title} ({result.points:g}/{result.max_points:g})",
            f"  {text(lang, 'ui', 'expected')}: {r.expected}",
            f"  {text(lang, 'ui', 'found')}: {r.found}",
            f"  {text(lang, 'ui', 'fix')}: {r.fix}",
        ])

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"{self.path.name}::{self.check_id}"


def pytest_report_header(config: pytest.Config) -> list[str] | None:
    if assignment_key not in config.stash:
        return None
    assignment = config.stash[assignment_key]
    return [f"grader: assignment {assignment.name}, submission {config.stash[submission_key]}, language {config.stash[lang_key]}"]


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    if records_key not in config.stash:
        return
    lang = config.stash[lang_key]
    for record in config.stash[records_key]:
        buffer = io.StringIO()
        console = Console(file=buffer, force_terminal=terminalreporter.hasmarkup, width=terminalreporter._tw.fullwidth)
        console.print(report(record, lang))
        terminalreporter.write(buffer.getvalue())
