"""Hidden checks never reach a student: for each writer, a hidden check with a planted message and a
planted expected model is looked for in everything the student receives (a self-check's outputs,
the feedback page and Gradescope's and Classroom's results of an instructor's grading), and found
in what the instructor receives.

Records are built by hand and go through the grader's own ``view_of`` with an assignment folder
whose ``[visibility]`` hides the checks (a self-check: ``self_check`` of it), so what decides is
the code every grading runs, without a kernel.
"""

from __future__ import annotations

import dataclasses
import io
import json
import re
import shutil
from pathlib import Path

import jsonschema
import pytest
from rich.console import Console

from grader.course.assignment import Assignment, AssignmentError, load_assignment, self_check
from grader.messages import text
from grader.model.training import Training
from grader.outcome import Message
from grader.platforms.classroom.result import classroom_result
from grader.platforms.gradescope.results import gradescope_results
from grader.platforms.student_pack import pack_for_students
from grader.record import CheckResult, Record
from grader.report.applied_marks import section
from grader.report.feedback_html import feedback_page
from grader.report.gradebook import gradebook_csv
from grader.report.graded import view_of
from grader.report.json_record import to_data
from grader.report.junit import junit_xml
from grader.report.terminal import report
from grader.report.view import View
from grader.submissions.finding import Job
from tests.conftest import WEEK8
from tests.test_batch import GRADESCOPE_SCHEMA
from tests.test_html import student_record

# The hidden checks' planted words: a message only the instructor may read, the expected model's
# first layer (4321 filters: in the layer table as its setting, its output shape and the total).
SECRET = "the secret answer is 0.4321"
SKIPPED = "skipped for a secret reason"
PLANTED_MODEL = ("filters=4321", "28, 28, 4321", "7,654,321")
MEASURED = 0.1234
HIDDEN = {
    "model.layers": "hidden",
    "model.output_shapes": "hidden",
    "model.params": "hidden",
    "results.accuracy": "hidden",
    "custom.secret": "hidden",
}
CUSTOM = '''\
import pytest

@pytest.mark.points(2)
def test_secret():
    """a hidden custom check"""
'''


def course(root: Path, visibility: dict[str, str]) -> Assignment:
    """week8 in a course folder: its expected model planted with 4321 filters, a hidden custom
    check,
    and ``visibility`` as its ``[visibility]`` table."""
    folder = root / "week8"
    shutil.copytree(WEEK8, folder, ignore=shutil.ignore_patterns("solution.ipynb", "examples"))
    (folder / "test_hidden.py").write_text(CUSTOM, encoding="utf-8")
    data = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
    data["architecture"]["layers"][0]["config"]["filters"] = 4321
    data["built"]["layers"][0] = {
        "class_name": "Conv2D",
        "output_shape": [28, 28, 4321],
        "params": 43210,
    }
    data["built"]["total_params"] = 7_654_321
    (folder / "expected.json").write_text(json.dumps(data), encoding="utf-8")
    table = "".join(f'"{check}" = "{seen}"\n' for check, seen in visibility.items())
    with (folder / "assignment.toml").open("a", encoding="utf-8") as toml:
        toml.write(f"\n[visibility]\n{table}")
    return load_assignment("week8", root)


def graded(assignment: Assignment) -> Record:
    """What grading gives under ``assignment`` (every check it runs): the hidden ones fail with
    the secret."""
    facts = dataclasses.replace(
        student_record().facts, training=Training(MEASURED, 2000, 1, 128, 2000, 1.0)
    )
    secret = Message("custom.free", {"expected": SECRET, "found": "0.5", "fix": "look again"})
    layers = Message(
        "model.layer_field",
        {
            "position": 1,
            "layer": "Conv2D",
            "field": "filters",
            "value": 32,
            "target": 4321,
            "expected": "Conv2D(filters=4321, ...)",
        },
    )
    every = (
        CheckResult("run.cells", "run", "passed", 1.0, 1.0, None),
        CheckResult("model.layers", "model", "failed", 0.0, 3.0, layers),
        CheckResult(
            "results.accuracy",
            "results",
            "skipped",
            0.0,
            5.0,
            Message("custom.free", {"expected": SKIPPED, "found": "-", "fix": "-"}),
        ),
        CheckResult("custom.secret", "custom", "failed", 0.0, 2.0, secret, "a hidden custom check"),
    )
    checks = tuple(
        dataclasses.replace(c, visibility=assignment.visibility_of(c.id))
        for c in every
        if c.id in assignment.points
        or c.id.startswith("custom.")
        and c.id in {x.id for x in assignment.custom}
    )
    return Record(
        "week8",
        "alice.ipynb",
        "graded",
        sum(c.points for c in checks),
        sum(c.max_points for c in checks),
        3.0,
        checks,
        facts=facts,
        withheld=assignment.withheld,
    )


def view(assignment: Assignment, tmp_path: Path, *, instructor: bool) -> View:
    notebook = tmp_path / "alice.ipynb"
    notebook.write_text("{}", encoding="utf-8")
    return view_of(
        Job("alice", notebook), graded(assignment), assignment, "en", "", instructor=instructor
    )


@pytest.fixture(scope="module")
def views(tmp_path_factory: pytest.TempPathFactory) -> dict[str, View]:
    """The instructor's grading and the student's self-check under hidden checks, and a grading
    where every check is visible (what proves the planted words can be found)."""
    tmp = tmp_path_factory.mktemp("leaks")
    hidden = course(tmp / "hidden", HIDDEN)
    shown = course(tmp / "shown", {})
    return {
        "instructor": view(hidden, tmp, instructor=True),
        "self": view(self_check(hidden), tmp, instructor=False),
        "visible": view(shown, tmp, instructor=True),
    }


def secrets_in(output: str) -> list[str]:
    return [word for word in (SECRET, SKIPPED, *PLANTED_MODEL) if word in output]


def terminal(view: View) -> str:
    out = io.StringIO()
    Console(file=out, width=200).print(report(view))
    return out.getvalue()


def test_the_self_check_runs_no_hidden_check(views: dict[str, View]) -> None:
    assert [c.result.id for c in views["self"].checks] == ["run.cells"]
    assert views["self"].record.withheld.checks == len(HIDDEN)


def test_the_terminal_shows_hidden_checks_to_the_instructor_only(views: dict[str, View]) -> None:
    assert not secrets_in(terminal(views["self"]))
    assert SECRET in terminal(views["instructor"]) and "(hidden)" in terminal(views["instructor"])


def test_the_json_record_keeps_hidden_checks_and_the_measurement_for_the_instructor_only(
    views: dict[str, View],
) -> None:
    mine, theirs = to_data(views["self"]), to_data(views["instructor"])
    assert not secrets_in(json.dumps(mine, ensure_ascii=False))
    assert "measured" not in mine  # the hidden accuracy check's own finding
    assert (
        SECRET in json.dumps(theirs, ensure_ascii=False)
        and theirs["measured"]["accuracy"] == MEASURED
    )


@pytest.mark.parametrize("mode", ["self", "instructor"])
def test_the_feedback_page_gives_away_no_hidden_check(views: dict[str, View], mode: str) -> None:
    page = feedback_page(views[mode])
    assert not secrets_in(page), secrets_in(page)
    assert text("en", "feedback", "expected_withheld").replace("'", "&#x27;") in page
    reference = page.split('id="reference-curves"', 1)[1].split("</section>", 1)[0]
    assert "<img" not in reference and 'id="reference-withheld"' in reference
    assert re.search(r'id="score">1 / 1<', page)


def test_the_feedback_page_shows_the_expected_model_and_curves_when_their_checks_are_visible(
    views: dict[str, View],
) -> None:
    page = feedback_page(views["visible"])
    assert set(secrets_in(page)) >= set(PLANTED_MODEL)
    assert "<img" in page.split('id="reference-curves"', 1)[1].split("</section>", 1)[0]


def test_junit_and_the_gradebook_hold_hidden_checks_for_the_instructor_only(
    views: dict[str, View],
) -> None:
    mine, theirs = to_data(views["self"]), to_data(views["instructor"])
    assert not secrets_in(junit_xml([mine])) and "custom.secret" not in gradebook_csv([mine])
    assert SECRET in junit_xml([theirs]) and "custom.secret" in gradebook_csv([theirs])


def test_gradescope_shows_a_student_no_hidden_check_and_no_hidden_total(
    views: dict[str, View],
) -> None:
    results = gradescope_results(to_data(views["instructor"]))
    jsonschema.validate(results, GRADESCOPE_SCHEMA)
    # What Gradescope shows a student: the top level and the visible tests.
    student = {k: v for k, v in results.items() if k != "tests"}
    student["tests"] = [t for t in results["tests"] if t["visibility"] == "visible"]
    assert not secrets_in(json.dumps(student, ensure_ascii=False))
    assert (
        "score" not in results
    )  # Gradescope totals the tests, and hides the total while some are hidden
    # Judged but not shown: the layers (3 points) and the custom check (2); the skipped accuracy is
    # no test.
    assert results["output"].splitlines()[:2] == [
        "graded: 1/1",
        text("en", "note", "not_shown", checks=2, points="5"),
    ]
    assert SECRET in json.dumps(results["tests"], ensure_ascii=False)
    visible = gradescope_results(to_data(views["self"]))
    jsonschema.validate(visible, GRADESCOPE_SCHEMA)
    assert visible["score"] == 1.0 and not secrets_in(json.dumps(visible, ensure_ascii=False))


@pytest.mark.parametrize("mode", ["self", "instructor"])
def test_classrooms_result_holds_only_what_the_student_may_read(
    views: dict[str, View], mode: str
) -> None:
    result = classroom_result(to_data(views[mode]))
    assert not secrets_in(json.dumps(result, ensure_ascii=False))
    assert [t["test_code"] for t in result["tests"]] == ["run.cells"] and result["max_score"] == 1.0


def test_a_student_pack_withholds_what_would_give_a_hidden_check_away(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    pack_for_students(course(tmp_path / "course", HIDDEN), pack)
    files = "\n".join(p.read_text(encoding="utf-8") for p in (pack / "week8").iterdir())
    assert not [word for word in ("4321", "custom.secret", "test_secret") if word in files]
    assert not (pack / "week8" / "reference_curves.json").exists()
    packed = load_assignment("week8", pack)
    assert (
        packed.undisclosed == {"model", "curves", "measured"} and packed.measure["threshold"] == 0.0
    )
    page = feedback_page(view(packed, tmp_path, instructor=False))
    assert not secrets_in(page) and 'id="reference-withheld"' in page


def test_a_pack_naming_an_unknown_part_is_an_assignment_error(tmp_path: Path) -> None:
    course(tmp_path, {})
    with (tmp_path / "week8" / "assignment.toml").open("a", encoding="utf-8") as toml:
        toml.write(
            '\n[graded_after_submission]\nchecks = 1\npoints = 1.0\nwithheld = ["answers"]\n'
        )
    with pytest.raises(AssignmentError, match="withheld must name parts of"):
        load_assignment("week8", tmp_path)


def test_the_pages_changes_to_the_score_leave_out_hidden_checks_and_the_totals_that_hold_them(
    views: dict[str, View],
) -> None:
    """An override of a hidden check, and the graded and final totals (they hold its points),
    stay the instructor's."""
    adjustments = [
        {
            "kind": "check",
            "check": "custom.secret",
            "change": 2.0,
            "reason": f"custom.secret: +2 points — {SECRET}",
        },
        {"kind": "late", "check": None, "change": -1.0, "reason": "Late by 1 day(s)"},
    ]
    for mode, hides in (("instructor", True), ("visible", False)):
        document = to_data(views[mode]) | {"adjustments": adjustments, "final_score": 4321.5}
        html = section(document)
        assert "Late by 1 day(s)" in html
        assert (SECRET in html, "4321.5" in html, 'id="final-later"' in html) == (
            not hides,
            not hides,
            hides,
        )


def test_a_student_pack_keeps_the_expected_model_a_visible_check_reads(tmp_path: Path) -> None:
    """With the layers hidden but the output shapes visible, the shapes check still has what it
    compares with;
    the page still leaves the expected model out."""
    pack = tmp_path / "pack"
    pack_for_students(course(tmp_path / "course", {"model.layers": "hidden"}), pack)
    packed = load_assignment("week8", pack)
    assert packed.expected.built.total_params == 7_654_321 and packed.undisclosed == {"model"}
    assert (pack / "week8" / "reference_curves.json").is_file()
