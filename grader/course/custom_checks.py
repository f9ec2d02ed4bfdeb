"""An assignment's own checks: ordinary pytest tests in ``assignments/<name>/test_*.py``.

What ``assignment.toml`` cannot say, an instructor writes as a test using the fixtures of
``grader.course.fixtures`` and the helpers of ``grader.course.assertions``.  The engine runs those
files with an in-process ``pytest.main`` in the deciding process (they see data, never the student's
objects) and turns each test into an outcome, so the CLI and the pytest front end report them like
built-in checks.  ``@pytest.mark.points(n)`` sets a test's weight (default 1);
``@pytest.mark.title(en=..., ja=...)`` or the docstring gives its title.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from grader.course import fixtures
from grader.course.assertions import CheckFailure
from grader.outcome import PASSED, Message, Outcome

AREA = "custom"
DEFAULT_POINTS = 1.0
# Our own run: no cache folder in the assignment, files imported by path, no outer ini
# file or conftest above the folder, and not the grader's front-end plugin again.
PYTEST_ARGS = (
    "-p",
    "no:cacheprovider",
    "-p",
    "no:grader",
    "-p",
    "no:randomly",
    "--import-mode=importlib",
    "-c",
    os.devnull,
    "-q",
    "--capture=sys",
    "-W",
    "ignore::pytest.PytestAssertRewriteWarning",
)


class CustomCheckError(Exception):
    """The assignment's test files cannot be collected; the message says why."""


@dataclass(frozen=True)
class CustomCheck:
    id: str
    nodeid: str
    points: float
    title: dict[str, str] = field(default_factory=dict)


def test_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("test_*.py") if p.is_file())


def _args(folder: Path, *extra: str) -> list[str]:
    # The root is the folder's parent, so importlib names the modules ``<assignment>.test_x``:
    # two assignments' ``test_checks.py`` never share an entry in ``sys.modules``.
    return [
        *(str(p) for p in test_files(folder)),
        *PYTEST_ARGS,
        "--rootdir",
        str(folder.parent),
        "--confcutdir",
        str(folder),
        *extra,
    ]


def check_id(item: pytest.Item) -> str:
    """``custom.<test name without test_>``: how reports and pytest items name the check."""
    return f"{AREA}.{item.name.removeprefix('test_')}"


def _title(item: pytest.Item) -> dict[str, str]:
    marker = item.get_closest_marker("title")
    if marker is not None:
        return {str(k): str(v) for k, v in marker.kwargs.items()}
    function = getattr(item, "obj", None)
    doc = (getattr(function, "__doc__", None) or "").strip()
    return {"en": doc.splitlines()[0] if doc else item.name}


def _points(item: pytest.Item) -> float:
    marker = item.get_closest_marker("points")
    if marker is None:
        return DEFAULT_POINTS
    value = marker.args[0] if marker.args else marker.kwargs.get("n", DEFAULT_POINTS)
    if not isinstance(value, (int, float)) or value < 0:
        raise CustomCheckError(f"{item.nodeid}: points must be a number >= 0, not {value!r}")
    return float(value)


class _Collector:
    def __init__(self) -> None:
        self.checks: list[CustomCheck] = []
        self.errors: list[str] = []

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            try:
                self.checks.append(
                    CustomCheck(check_id(item), item.nodeid, _points(item), _title(item))
                )
            except CustomCheckError as exc:
                self.errors.append(str(exc))

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.errors.append(
                f"{report.nodeid or 'collection'}: {report.longreprtext.strip().splitlines()[-1:]}"
            )


def _forget_modules(folder: Path) -> None:
    """Drop the test modules a previous run imported (a failed import leaves an empty one
    behind)."""
    for path in test_files(folder):
        sys.modules.pop(f"{folder.name}.{path.stem}", None)


def _quiet_main(args: list[str], plugins: list[Any], folder: Path) -> tuple[int, str]:
    _forget_modules(folder)
    output = io.StringIO()
    with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
        code = pytest.main(args, plugins=plugins)
    return int(code), output.getvalue()


def collect(folder: Path) -> tuple[CustomCheck, ...]:
    """The custom checks of an assignment folder, with their points and titles."""
    if not test_files(folder):
        return ()
    collector = _Collector()
    code, output = _quiet_main(_args(folder, "--collect-only"), [fixtures, collector], folder)
    if collector.errors or code not in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
        detail = "; ".join(collector.errors) or output.strip()[-500:]
        raise CustomCheckError(f"{folder}: the custom checks cannot be collected: {detail}")
    ids = [c.id for c in collector.checks]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise CustomCheckError(f"{folder}: two custom checks share a name: {duplicates}")
    return tuple(collector.checks)


def _failure(excinfo: pytest.ExceptionInfo[BaseException], item: pytest.Item) -> Message:
    error = excinfo.value
    if isinstance(error, CheckFailure):
        return error.message
    if isinstance(error, AssertionError):
        return Message(
            "custom.assertion", {"test": item.name, "detail": str(error).strip()[:600] or "assert"}
        )
    return Message(
        "custom.error", {"test": item.name, "detail": f"{type(error).__name__}: {error}"[:600]}
    )


class _Results:
    def __init__(self, run: fixtures.StudentRun) -> None:
        self.run = run
        self.outcomes: dict[str, Outcome] = {}

    def pytest_configure(self, config: pytest.Config) -> None:
        config.stash[fixtures.student_key] = self.run

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
        report = yield
        key = check_id(item)
        if report.skipped and call.excinfo is not None:
            reason = str(
                call.excinfo.value.msg if hasattr(call.excinfo.value, "msg") else call.excinfo.value
            )
            what = (
                reason.removeprefix(fixtures.MISSING_PREFIX)
                if reason.startswith(fixtures.MISSING_PREFIX)
                else None
            )
            self.outcomes[key] = Outcome(
                "not_run",
                Message(
                    "custom.missing" if what else "custom.skipped",
                    {"what": what or reason, "test": item.name},
                ),
            )
        elif report.failed and call.excinfo is not None:
            self.outcomes[key] = Outcome("failed", _failure(call.excinfo, item))
        elif report.when == "call" and report.passed:
            self.outcomes[key] = PASSED
        return report


def run(
    checks: tuple[CustomCheck, ...], folder: Path, student: fixtures.StudentRun
) -> dict[str, Outcome]:
    """Run the custom checks on one student's data; every check gets an outcome."""
    if not checks:
        return {}
    results = _Results(student)
    try:
        _, output = _quiet_main(_args(folder), [fixtures, results], folder)
    except Exception as exc:  # noqa: BLE001 - a broken custom check must not stop grading
        output = f"{type(exc).__name__}: {exc}"
    missing = Outcome(
        "failed", Message("custom.error", {"test": "", "detail": output.strip()[-300:]})
    )
    return {c.id: results.outcomes.get(c.id, missing) for c in checks}
