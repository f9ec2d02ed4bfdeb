"""The GitHub Classroom workflow: generated from the assignment, committed up to date,
and each step's ``-k AREA`` selects exactly that area's checks."""

from __future__ import annotations


import pytest
import yaml

from grader.assignment import load_assignment
from grader.checks.catalog import load_all
from grader.classroom import area_points, workflow
from tests.conftest import ROOT, SOLUTION

COMMITTED = ROOT / "docs" / "github-classroom" / "week8.yml"


def test_the_committed_workflow_is_up_to_date() -> None:
    assert COMMITTED.read_text(encoding="utf-8") == workflow(load_assignment("week8"), "ja"), (
        "regenerate: grader classroom week8 --lang ja > docs/github-classroom/week8.yml"
    )


def test_the_steps_award_the_assignments_points() -> None:
    assignment = load_assignment("week8")
    steps = yaml.safe_load(COMMITTED.read_text(encoding="utf-8"))["jobs"]["run-autograding-tests"]["steps"]
    graded = [s for s in steps if s.get("uses", "").startswith("classroom-resources/autograding-command-grader")]
    assert sum(s["with"]["max-score"] for s in graded) == assignment.max_score
    reporter = steps[-1]
    assert reporter["with"]["runners"].split(",") == [s["id"] for s in graded]


@pytest.mark.parametrize("area", ["data", "model", "fit", "run", "plots"])
def test_each_step_selects_exactly_its_area(pytester: pytest.Pytester, area: str) -> None:
    pytester.makefile(".ipynb", week8=SOLUTION.read_text(encoding="utf-8"))
    result = pytester.runpytest_subprocess("--assignment=week8", "-k", area, "--collect-only", "-q")
    selected = {line.split("::")[1] for line in result.stdout.lines if line.startswith("week8.ipynb::")}
    assert selected == {area}
    registry = load_all()
    count = sum(1 for c in load_assignment("week8").points if registry[c].area == area)
    assert sum(1 for line in result.stdout.lines if line.startswith("week8.ipynb::")) == count
    assert area in area_points(load_assignment("week8"))
