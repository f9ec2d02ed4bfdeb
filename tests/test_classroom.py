"""The GitHub Classroom workflow: generated from the assignment, committed up to date, grading
once with ``grader grade`` and handing the reporter one test per check with its points; run
here as the workflow runs it, with a hostile repository that no deciding process loads."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from grader.course.assignment import load_assignment
from grader.platforms.classroom.result import classroom_result
from grader.platforms.classroom.workflow import RUNNER, workflow
from tests.conftest import LECTURE, ROOT, WEEK8, cli_env

COMMITTED = ROOT / "docs" / "github-classroom" / "week8.yml"
# What a student could add to their repository to sway a grader that loaded it.
HOSTILE = {
    "conftest.py": "import pathlib\npathlib.Path({marker!r}).write_text('loaded')\n",
    "grader.toml": 'assignments = ["mine"]\n',
    "grader/__init__.py": "raise SystemExit('the student\\'s grader package was imported')\n",
}


def steps() -> list[dict]:
    return yaml.safe_load(COMMITTED.read_text(encoding="utf-8"))["jobs"]["run-autograding-tests"][
        "steps"
    ]


def test_the_committed_workflow_is_up_to_date() -> None:
    assert COMMITTED.read_text(encoding="utf-8") == workflow(load_assignment("week8"), "ja"), (
        "regenerate: grader classroom week8 --lang ja > docs/github-classroom/week8.yml"
    )


def test_the_workflow_grades_once_and_reports_that_grading() -> None:
    graders = [s for s in steps() if "grader grade" in s.get("run", "")]
    assert len(graders) == 1 and graders[0]["id"] == RUNNER
    assert "pytest" not in COMMITTED.read_text(encoding="utf-8")
    reporter = steps()[-1]
    assert reporter["with"]["runners"] == RUNNER
    assert reporter["env"] == {
        f"{RUNNER.upper()}_RESULTS": f"${{{{steps.{RUNNER}.outputs.result}}}}"
    }


def test_the_result_gives_each_check_its_points() -> None:
    record = {
        "status": "graded",
        "submission": "a.ipynb",
        "duration_s": 3.0,
        "checks": [
            {
                "id": "model.layers",
                "title": "layers",
                "passed": True,
                "status": "passed",
                "points": 3.0,
                "max_points": 3.0,
                "message": "",
            },
            {
                "id": "fit.epochs",
                "title": "epochs",
                "passed": False,
                "status": "failed",
                "points": 0.0,
                "max_points": 1.0,
                "message": "m",
            },
            {
                "id": "results.accuracy",
                "title": "acc",
                "passed": False,
                "status": "skipped",
                "points": 0.0,
                "max_points": 0.0,
            },
        ],
    }
    result = classroom_result(record)
    assert result["max_score"] == 4.0 and result["status"] == "fail" and result["version"] == 1
    assert [(t["name"], t["status"], t["score"]) for t in result["tests"]] == [
        ("layers", "pass", 3.0),
        ("epochs", "fail", 0.0),
    ]


@pytest.mark.slow
def test_the_workflows_commands_grade_the_repository_once_with_per_check_points(
    tmp_path: Path,
) -> None:
    workspace, runner_temp = tmp_path / "workspace", tmp_path / "runner-temp"
    runner_temp.mkdir()
    marker = tmp_path / "conftest-was-loaded"
    for name, body in HOSTILE.items():
        (workspace / name).parent.mkdir(parents=True, exist_ok=True)
        (workspace / name).write_text(body.format(marker=str(marker)), encoding="utf-8")
    shutil.copytree(
        WEEK8, workspace / "mine" / "week8", ignore=shutil.ignore_patterns("*.ipynb", "examples")
    )
    (workspace / "mine" / "week8" / "assignment.toml").write_text(
        (WEEK8 / "assignment.toml")
        .read_text()
        .replace('"model.layers" = 3', '"model.layers" = 300'),
        encoding="utf-8",
    )
    shutil.copy(LECTURE, workspace / "my_notebook.ipynb")
    bin_folder = tmp_path / "bin"
    bin_folder.mkdir()
    (bin_folder / "grader").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m grader "$@"\n')
    (bin_folder / "grader").chmod(0o755)
    output = tmp_path / "github_output"
    env = cli_env(
        GITHUB_WORKSPACE=str(workspace), RUNNER_TEMP=str(runner_temp), GITHUB_OUTPUT=str(output)
    )
    env["PATH"] = f"{bin_folder}{os.pathsep}{env.get('PATH', '')}"
    script = next(s for s in steps() if s.get("id") == RUNNER)["run"]
    done = subprocess.run(
        [
            "bash",
            "-e",
            "-c",
            script.replace("--lang ja", "--lang en --cell-timeout 45 --total-timeout 200"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
        cwd=workspace,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    lines = [line for line in output.read_text().splitlines() if line.startswith("result=")]
    assert len(lines) == 1
    result = json.loads(base64.b64decode(lines[0].removeprefix("result=")))
    record = json.loads((runner_temp / "grading" / "workspace.json").read_text())
    assert record["status"] == "graded" and not marker.exists()
    assert (
        result["max_score"] == record["max_score"] <= load_assignment("week8").max_score < 100
    )  # not the repository's week8
    assert sum(t["score"] for t in result["tests"]) == record["score"]
    assert (
        len(result["tests"]) == len([c for c in record["checks"] if c["status"] != "skipped"]) > 10
    )
