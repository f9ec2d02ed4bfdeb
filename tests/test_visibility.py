"""Hidden checks: ``[visibility]`` in assignment.toml, a self-check that runs only the visible
ones and says what is graded after submission, and outputs that show a hidden check's message
only to the instructor (or, for ``after_due_date``, once released)."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from grader.course.assignment import AssignmentError, load_assignment, self_check
from grader.course.visibility import Withheld
from grader.messages import text
from grader.outcome import Message
from grader.platforms.gradescope.results import gradescope_results
from grader.record import CheckResult, Record
from grader.report.feedback_html import feedback_page
from grader.report.json_record import to_data
from grader.report.terminal import report
from grader.report.view import build_view
from tests.conftest import LIMITS, WEEK8, cli_env

SECRET = "the secret threshold is 0.97"
LATER = "compare with the answer key"
CUSTOM = '''\
import pytest

@pytest.mark.points(2)
def test_secret():
    """a hidden custom check"""
'''


def course_with_hidden(tmp_path: Path) -> Path:
    """A course folder holding week8 with a hidden built-in check, an after-due-date one and a
    hidden custom check."""
    folder = tmp_path / "course" / "week8"
    shutil.copytree(WEEK8, folder, ignore=shutil.ignore_patterns("solution.ipynb", "examples"))
    (folder / "test_hidden.py").write_text(CUSTOM, encoding="utf-8")
    with (folder / "assignment.toml").open("a", encoding="utf-8") as toml:
        toml.write(
            '\n[visibility]\n"results.accuracy" = "hidden"\n"plots.loss" = '
            '"after_due_date"\n"custom.secret" = "hidden"\n'
        )
    return folder.parent


def _record(withheld: Withheld = Withheld()) -> Record:
    checks = (
        CheckResult("run.cells", "run", "passed", 1.0, 1.0, None),
        CheckResult(
            "results.accuracy",
            "results",
            "failed",
            0.0,
            3.0,
            Message("custom.free", {"expected": SECRET, "found": "0.5", "fix": "x"}),
            visibility="hidden",
        ),
        CheckResult(
            "plots.loss",
            "plots",
            "failed",
            0.0,
            1.0,
            Message("custom.free", {"expected": LATER, "found": "none", "fix": "y"}),
            visibility="after_due_date",
        ),
    )
    return Record("week8", "alice.ipynb", "graded", 1.0, 5.0, 1.0, checks, withheld=withheld)


def test_visibility_is_read_per_check_built_in_and_custom(tmp_path: Path) -> None:
    course = course_with_hidden(tmp_path)
    assignment = load_assignment("week8", explicit=[course])
    assert assignment.visibility_of("results.accuracy") == "hidden"
    assert assignment.visibility_of("plots.loss") == "after_due_date"
    assert assignment.visibility_of("custom.secret") == "hidden"
    assert assignment.visibility_of("model.layers") == "visible"


@pytest.mark.parametrize(
    "line, complaint",
    [('"model.nope" = "hidden"', "does not have"), ('"model.layers" = "secret"', "must be one of")],
)
def test_a_wrong_visibility_table_is_an_assignment_error(
    tmp_path: Path, line: str, complaint: str
) -> None:
    folder = tmp_path / "week8"
    shutil.copytree(WEEK8, folder, ignore=shutil.ignore_patterns("solution.ipynb", "examples"))
    with (folder / "assignment.toml").open("a", encoding="utf-8") as toml:
        toml.write(f"\n[visibility]\n{line}\n")
    with pytest.raises(AssignmentError, match=complaint):
        load_assignment("week8", tmp_path)


def test_a_self_check_runs_the_visible_checks_and_counts_the_rest(tmp_path: Path) -> None:
    full = load_assignment("week8", explicit=[course_with_hidden(tmp_path)])
    student = self_check(full)
    assert "results.accuracy" not in student.points and "plots.loss" not in student.points
    assert [c.id for c in student.custom] == []
    assert student.withheld == Withheld(3, 3.0 + 1.0 + 2.0)
    assert student.max_score == full.max_score - 6


def test_the_self_check_says_what_is_graded_after_submission_in_both_languages() -> None:
    record = Record(
        "week8",
        "a.ipynb",
        "graded",
        1.0,
        1.0,
        1.0,
        (CheckResult("run.cells", "run", "passed", 1.0, 1.0, None),),
        withheld=Withheld(2, 4.0),
    )
    for lang in ("en", "ja"):
        view = build_view(record, lang, "a", None, "")
        sentence = text(lang, "note", "withheld", checks=2, points="4")
        assert sentence in view.notes
        assert sentence in feedback_page(view)
        assert to_data(view)["graded_after_submission"] == {"checks": 2, "points": 4.0}


def test_the_instructor_sees_every_message_the_student_page_only_the_visible_ones() -> None:
    view = build_view(_record(), "en", "alice", None, "", instructor=True)
    data = to_data(view)
    assert [c["visibility"] for c in data["checks"]] == ["visible", "hidden", "after_due_date"]
    assert SECRET in data["checks"][1]["message"] and data["instructor"] is True
    terminal = io.StringIO()
    Console(file=terminal, width=200).print(report(view))
    assert SECRET in terminal.getvalue() and "(hidden)" in terminal.getvalue()
    page = feedback_page(view)
    assert SECRET not in page and LATER not in page
    assert text("en", "ui", "withheld_detail").replace("'", "&#x27;") in page
    assert 'id="score">1 / 1<' in page  # the hidden points count neither way on the student's page


def test_after_due_date_results_appear_on_the_page_once_released_hidden_ones_never() -> None:
    page = feedback_page(
        build_view(_record(), "en", "alice", None, "", instructor=True, released=True)
    )
    assert LATER in page and SECRET not in page


def test_gradescope_results_carry_each_checks_visibility() -> None:
    results = gradescope_results(
        to_data(build_view(_record(), "en", "alice", None, "", instructor=True))
    )
    assert [t["visibility"] for t in results["tests"]] == ["visible", "hidden", "after_due_date"]


@pytest.mark.slow
def test_grade_self_checks_unless_instructor(tmp_path: Path) -> None:
    """``grader grade`` runs the visible checks and says what is left; ``--instructor`` runs them
    all."""
    course = course_with_hidden(tmp_path)
    student = shutil.copy(WEEK8 / "examples" / "student.ipynb", tmp_path / "alice.ipynb")
    runs = {
        mode: subprocess.Popen(
            [
                sys.executable,
                "-m",
                "grader",
                "grade",
                "--assignment",
                "week8",
                "--assignments",
                str(course),
                "--lang",
                "en",
                "--out",
                str(tmp_path / mode),
                *LIMITS,
                *flags,
                str(student),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=cli_env(),
        )
        for mode, flags in (("self", ()), ("instructor", ("--instructor",)))
    }
    logs = {mode: run.communicate(timeout=900)[0] for mode, run in runs.items()}
    assert all(run.returncode == 0 for run in runs.values()), logs
    mine, theirs = (
        json.loads((tmp_path / mode / "alice.json").read_text()) for mode in ("self", "instructor")
    )
    hidden = {"results.accuracy", "plots.loss", "custom.secret"}
    assert not hidden & {c["id"] for c in mine["checks"]}
    assert mine["graded_after_submission"] == {"checks": 3, "points": 6.0}
    assert "3 more check(s), worth 6 point(s), are graded after you submit" in " ".join(
        logs["self"].split()
    )
    assert not any(h in (tmp_path / "self" / "gradebook.csv").read_text() for h in hidden)
    assert (
        hidden <= {c["id"] for c in theirs["checks"]}
        and theirs["max_score"] == mine["max_score"] + 6
    )
    assert {c["id"]: c["visibility"] for c in theirs["checks"]}["custom.secret"] == "hidden"
    assert "custom.secret" in (tmp_path / "instructor" / "gradebook.csv").read_text()


def test_the_pytest_self_check_collects_only_the_visible_checks(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    course = course_with_hidden(tmp_path)
    pytester.makefile(
        ".ipynb", alice=(WEEK8 / "examples" / "student.ipynb").read_text(encoding="utf-8")
    )
    result = pytester.runpytest_subprocess(
        "--assignment=week8", "--assignments", str(course), "--collect-only", "-q"
    )
    items = {
        line.split("alice.ipynb::", 1)[1] for line in result.stdout.lines if "alice.ipynb::" in line
    }
    assert "model::layers" in items
    assert not {"results::accuracy", "plots::loss", "custom::secret"} & items
