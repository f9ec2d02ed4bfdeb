"""End to end: the solution earns full marks through both front ends, with the same verdicts.

The solution is graded once through ``grader grade`` and once by ``pytest --assignment``,
both at once (``graded``)."""

from __future__ import annotations

import pytest

from grader.course.assignment import digest, load_assignment
from tests.conftest import LIMITS, SOLUTION, PytestRun, finished, grade_many, graded_under_pytest
from tests.golden import normalised

pytest_plugins = ["pytester"]


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, PytestRun]:
    """The solution through ``grader grade`` and through ``pytest --assignment=week8``, at once."""
    out = tmp_path_factory.mktemp("cli")
    cli = grade_many("week8", [SOLUTION], out, *LIMITS, jobs=1)
    under_pytest = graded_under_pytest("week8", tmp_path_factory.mktemp("student-week8"))
    return finished(cli, out)["solution"], under_pytest


@pytest.fixture(scope="module")
def cli_record(graded: tuple[dict, PytestRun]) -> dict:
    return graded[0]


@pytest.fixture(scope="module")
def week8_under_pytest(graded: tuple[dict, PytestRun]) -> PytestRun:
    return graded[1]


@pytest.mark.slow
def test_solution_earns_full_marks_on_the_command_line(cli_record: dict) -> None:
    assert cli_record["status"] == "graded"
    assert cli_record["score"] == cli_record["max_score"] > 0
    assert all(c["passed"] for c in cli_record["checks"])
    for key in ("assignment", "submission", "status", "score", "max_score", "duration_s", "checks"):
        assert key in cli_record
    assert set(cli_record["checks"][0]) >= {
        "id",
        "title",
        "passed",
        "points",
        "max_points",
        "message",
    }
    assert cli_record["measured"]["test_samples"] == 10000
    assert cli_record["measured"]["accuracy"] >= load_assignment("week8").measure["threshold"]


@pytest.mark.slow
def test_solution_earns_full_marks_under_pytest(week8_under_pytest: PytestRun) -> None:
    run = week8_under_pytest
    done, record = run.done, run.record
    assert done.returncode == 0, done.stdout[-4000:]
    assert f"{len(record['checks'])} passed" in done.stdout
    assert "my_notebook.ipynb::model::layers PASSED" in done.stdout
    assert record["score"] == record["max_score"]
    assert (run.folder / "junit.xml").read_text().count("<testcase") == len(record["checks"])


@pytest.mark.slow
def test_both_front_ends_write_the_same_record(
    cli_record: dict, week8_under_pytest: PytestRun
) -> None:
    """The same notebook, handed in as ``alice.ipynb`` and graded by ``pytest`` as
    ``my_notebook.ipynb``."""
    same = lambda r: {k: v for k, v in normalised(r).items() if k not in ("id", "submission")}
    assert same(week8_under_pytest.record) == same(cli_record)
    assert cli_record["assignment_sha256"] == digest(load_assignment("week8"))


def test_a_broken_notebook_fails_every_item_with_a_message_and_no_traceback(
    pytester: pytest.Pytester,
) -> None:
    pytester.makefile(".ipynb", broken='{"cells": [')
    result = pytester.runpytest_subprocess("--assignment=week8", "--lang=en")
    result.assert_outcomes(failed=len(load_assignment("week8").points))
    result.stdout.fnmatch_lines(
        ["*Found: broken.ipynb is not valid JSON*", "*How to fix: Open it in Jupyter*"]
    )
    assert "Traceback" not in result.stdout.str()


def test_two_notebooks_without_submission_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makefile(".ipynb", a="{}", b="{}")
    result = pytester.runpytest_subprocess("--assignment=week8")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*several notebooks*--submission*"])


def test_unknown_assignment_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makefile(".ipynb", a="{}")
    result = pytester.runpytest_subprocess("--assignment=week99")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*unknown assignment 'week99'*week8*"])


def test_without_assignment_the_plugin_stays_out_of_the_way(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_plain="def test_one():\n    assert True\n")
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=1)
