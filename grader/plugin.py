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

from grader import options
from grader.batch import Settings, grade_one
from grader.checks.catalog import load_all
from grader.course.assignment import (
    Assignment,
    AssignmentError,
    digest,
    load_assignment,
    self_check,
    with_limits,
)
from grader.course.custom_checks import AREA as CUSTOM_AREA
from grader.engine import prepare_kernel
from grader.marks.overrides import AdjustmentError
from grader.messages import default_language, text
from grader.report.causes import around
from grader.report.folder import RecordFolder
from grader.report.graded import package
from grader.report.safe_text import SafeConsole, terminal_safe
from grader.report.terminal import report
from grader.report.view import CheckView, View
from grader.sandbox.kernels import discard as discard_kernel
from grader.submissions.finding import SUFFIXES, one_submission

SUBMISSION_HELP = (
    f"the notebook or module ({options.KINDS}) to grade (default: the one notebook in the "
    "current folder)"
)

assignment_key = pytest.StashKey[Assignment]()
submission_key = pytest.StashKey[Path]()
views_key = pytest.StashKey[list[View]]()
lang_key = pytest.StashKey[str]()
folder_key = pytest.StashKey[RecordFolder]()
# Whether this run started a kernel (``pytest_unconfigure`` closes it if it still waits).
kernel_key = pytest.StashKey[bool]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("grader", "Keras notebook grading")
    options.ASSIGNMENT.add_to(group.addoption)
    group.addoption("--submission", metavar="PATH", help=SUBMISSION_HELP)
    for option in (options.ASSIGNMENTS, options.LANG, options.CELL_TIMEOUT, options.TOTAL_TIMEOUT):
        option.add_to(group.addoption)
    options.OUT.add_to(group.addoption, "--grader-out")


def _find_submission(folder: Path) -> Path:
    notebooks = sorted(p for p in folder.glob("*.ipynb") if p.is_file())
    if len(notebooks) == 1:
        return notebooks[0]
    if not notebooks:
        raise pytest.UsageError(
            f"no notebook (.ipynb) in {folder}; name one with --submission PATH"
        )
    names = ", ".join(p.name for p in notebooks)
    raise pytest.UsageError(
        f"several notebooks in {folder} ({names}); name one with --submission PATH"
    )


def pytest_configure(config: pytest.Config) -> None:
    name = config.getoption("assignment")
    if not name:
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    try:
        # A student's self-check: the visible checks only; the report says how many are graded after
        # submission.
        config.stash[assignment_key] = self_check(
            with_limits(
                load_assignment(
                    name,
                    explicit=config.getoption("assignments"),
                    cwd=Path(config.invocation_params.dir),
                ),
                config.getoption("cell_timeout"),
                config.getoption("total_timeout"),
            )
        )
    except AssignmentError as exc:
        raise pytest.UsageError(str(exc)) from None
    named = config.getoption("submission")
    submission = (
        Path(named).resolve() if named else _find_submission(Path(config.invocation_params.dir))
    )
    if not submission.is_file():
        raise pytest.UsageError(f"--submission {named}: no such file")
    if submission.suffix.lower() not in SUFFIXES:
        raise pytest.UsageError(f"--submission {named}: expected a {options.KINDS} file")
    config.stash[submission_key] = submission
    config.stash[views_key] = []
    config.stash[lang_key] = config.getoption("lang") or default_language()
    out = config.getoption("grader_out")
    if out:
        try:
            # The same folder as ``grader grade --out``: the late policy and overrides applied.
            config.stash[folder_key] = RecordFolder.for_assignment(
                Path(out), config.stash[assignment_key].folder
            )
        except AdjustmentError as exc:
            raise pytest.UsageError(str(exc)) from None
    # Grade exactly the submission, whatever folder pytest was started in.
    config.args[:] = [str(submission)]
    # Its kernel starts now (it imports TensorFlow while pytest collects); not when only collecting,
    # nor in an xdist controller, which grades nothing.
    grades = not getattr(config.option, "numprocesses", None) or hasattr(config, "workerinput")
    if grades and not config.option.collectonly:
        prepare_kernel(config.stash[assignment_key], only=True)
        config.stash[kernel_key] = True


def pytest_unconfigure(config: pytest.Config) -> None:
    if config.stash.get(kernel_key, False):
        discard_kernel()


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    config = parent.config
    if submission_key in config.stash and file_path.resolve() == config.stash[submission_key]:
        return SubmissionFile.from_parent(parent, path=file_path)
    return None


class SubmissionFile(pytest.File):
    """The student's file; grading it is this collector's (shared, once-only) setup."""

    view: View | None = None

    def collect(self) -> Iterator[pytest.Collector]:
        assignment = self.config.stash[assignment_key]
        areas: dict[str, list[str]] = {}
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
                reporter.rewrite(
                    text(lang, "ui", "running", number=number, total=total, seconds=seconds),
                    erase=True,
                )

        job = one_submission(self.path)
        settings = Settings(
            assignment.name,
            str(assignment.folder.parent),
            lang,
            assignment.max_score,
            assignment_digest=digest(assignment),
        )
        self.view = grade_one(job, assignment, settings, progress)
        if reporter is not None and reporter.isatty:
            reporter.rewrite("", erase=True)
        self.config.stash[views_key].append(self.view)
        if folder_key in self.config.stash:
            self.config.stash[folder_key].add(package(self.view, job))


class Area(pytest.Collector):
    def __init__(self, *, check_ids: list[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.check_ids = check_ids

    def collect(self) -> Iterator[pytest.Item]:
        for check_id in self.check_ids:
            yield CheckItem.from_parent(self, name=check_id.split(".", 1)[1], check_id=check_id)


def failure_text(check: CheckView, view: View) -> str:
    """A failing item's report: the submission's error if it has one, else the check's message,
    led by its cause (a consequence) or followed by what fails because of it (a cause)."""
    message = view.error or check.message
    result, lang = check.result, view.lang
    if message is None:
        return f"{check.title}: {check.status}"
    cause, following = around(check, view.checks, lang)
    return "\n".join(
        [f"{check.title} ({result.points:g}/{result.max_points:g})"]
        + ([f"  {cause}"] if cause else [])
        + [
            f"  {text(lang, 'ui', 'expected')}: {message.rendered.expected}",
            f"  {text(lang, 'ui', 'found')}: {message.rendered.found}",
            f"  {text(lang, 'ui', 'fix')}: {message.rendered.fix}",
        ]
        + ([f"  {following}"] if following else [])
    )


class CheckFailed(Exception):
    def __init__(self, check: CheckView, error: str | None) -> None:
        super().__init__(check.result.id)
        self.check = check
        # The failure as a person reads it: expected / found / how to fix, no traceback.
        self.error = error


class CheckItem(pytest.Item):
    def __init__(self, *, check_id: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.check_id = check_id

    def runtest(self) -> None:
        submission = self.getparent(SubmissionFile)
        assert submission is not None and submission.view is not None
        view = submission.view
        check = next(c for c in view.checks if c.result.id == self.check_id)
        result = check.result
        self.user_properties.append(("points", f"{result.points:g}/{result.max_points:g}"))
        if result.status == "skipped" and check.message is not None:
            pytest.skip(terminal_safe(check.message.rendered.found))
        if not result.passed:
            raise CheckFailed(check, failure_text(check, view))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, CheckFailed) and excinfo.value.error is not None:
            return terminal_safe(excinfo.value.error)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"{self.path.name}::{self.check_id}"


def pytest_report_header(config: pytest.Config) -> list[str] | None:
    if assignment_key not in config.stash:
        return None
    assignment = config.stash[assignment_key]
    return [
        terminal_safe(
            f"grader: assignment {assignment.name}, submission {config.stash[submission_key]}, "
            f"language {config.stash[lang_key]}"
        )
    ]


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    if views_key not in config.stash:
        return
    for view in config.stash[views_key]:
        buffer = io.StringIO()
        console = SafeConsole(
            file=buffer,
            force_terminal=terminalreporter.hasmarkup,
            width=terminalreporter._tw.fullwidth,
        )
        console.print(report(view))
        terminalreporter.write(buffer.getvalue())


def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    if folder_key not in config.stash:
        return
    try:
        config.stash[folder_key].finish(config.stash[lang_key])
    except AdjustmentError as exc:
        # overrides.csv or submitted.csv: the message names the line (as ``grader grade`` says it).
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(f"error: {exc}", red=True)
        session.exitstatus = pytest.ExitCode.USAGE_ERROR
