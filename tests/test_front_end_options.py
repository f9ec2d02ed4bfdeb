"""The two front ends, ``grader grade`` and ``pytest --assignment``, take each shared option from
one definition (``grader/options.py``) and write the same output folder, late policy and
overrides applied; the pytest front end starts no kernel when it only collects, and closes only
the kernel its own run started (what a run started is in its stash)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from grader import options, plugin
from tests.conftest import WEEK8, grader_cli
from tests.test_lms import canvas_class

SHARED = (
    options.ASSIGNMENT,
    options.ASSIGNMENTS,
    options.LANG,
    options.CELL_TIMEOUT,
    options.TOTAL_TIMEOUT,
    options.OUT,
)
JOHN = "doejohn_LATE_1002_5002_week8-1"


def squeezed(text: str) -> str:
    """``text`` without its white space (each front end wraps help its own way)."""
    return "".join(text.split())


def late_course(folder: Path, late: str) -> Path:
    """A course holding week 8 with the ``[late]`` table ``late``."""
    shutil.copytree(WEEK8, folder / "week8", ignore=shutil.ignore_patterns("examples", "*.ipynb"))
    with open(folder / "week8" / "assignment.toml", "a", encoding="utf-8") as toml:
        toml.write(f"\n[late]\n{late}\n")
    return folder


def test_both_front_ends_show_each_shared_options_one_help(pytester: pytest.Pytester) -> None:
    cli = grader_cli("grade", "--help").stdout
    under_pytest = pytester.runpytest_subprocess("--help").stdout.str()
    for option in SHARED:
        assert squeezed(option.help) in squeezed(cli), option.flag
        assert squeezed(option.help) in squeezed(under_pytest), option.flag
    assert squeezed(f"--grader-out=DIR {options.OUT.help}") in squeezed(under_pytest)


def test_a_submission_of_another_kind_is_a_usage_error_naming_the_kinds(
    pytester: pytest.Pytester,
) -> None:
    pytester.makefile(".txt", notes="print(1)")
    result = pytester.runpytest_subprocess("--assignment=week8", "--submission=notes.txt")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*--submission notes.txt: expected a {options.KINDS} file*"])


def test_a_run_starts_a_kernel_only_to_grade_and_closes_only_its_own(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In this process (the kernels stood in for): collecting starts none; a run without
    ``--assignment`` leaves alone a kernel it did not start; a grading run starts one and closes
    it."""
    calls: list[str] = []
    monkeypatch.setattr(plugin, "prepare_kernel", lambda *a, **k: calls.append("start"))
    monkeypatch.setattr(plugin, "discard_kernel", lambda: calls.append("close"))
    pytester.makefile(".ipynb", broken='{"cells": [')
    collected = pytester.runpytest_inprocess("--assignment=week8", "--collect-only", "-q")
    assert collected.ret == pytest.ExitCode.OK and calls == []
    collected.stdout.fnmatch_lines(["broken.ipynb::model::layers"])
    pytester.makepyfile(test_plain="def test_one():\n    pass\n")
    pytester.runpytest_inprocess("test_plain.py").assert_outcomes(passed=1)
    assert calls == []
    graded = pytester.runpytest_inprocess("--assignment=week8", "--submission=broken.ipynb")
    assert graded.ret == pytest.ExitCode.TESTS_FAILED and calls == ["start", "close"]


def test_a_wrong_late_policy_is_a_usage_error_in_both_front_ends(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    course = late_course(tmp_path / "course", "per_day = 10")
    pytester.makefile(".ipynb", broken='{"cells": [')
    said = "[late] due must be a date-time"
    cli = grader_cli(
        "grade",
        *("--assignments", str(course), "--assignment", "week8"),
        *("--out", str(tmp_path / "cli"), str(pytester.path / "broken.ipynb")),
    )
    assert cli.returncode == 2 and said in cli.stdout, cli.stdout + cli.stderr
    under_pytest = pytester.runpytest_subprocess(
        f"--assignments={course}", "--assignment=week8", f"--grader-out={tmp_path / 'pytest'}"
    )
    assert under_pytest.ret == pytest.ExitCode.USAGE_ERROR
    assert said in under_pytest.stderr.str()


def test_a_wrong_overrides_file_is_a_usage_error_under_pytest_too(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As ``grader grade`` says it: the line named, exit code 2 (here, in this process, with the
    kernel stood in for)."""
    monkeypatch.setattr(plugin, "prepare_kernel", lambda *a, **k: None)
    pytester.makefile(".ipynb", broken='{"cells": [')
    out = pytester.mkdir("out")
    (out / "overrides.csv").write_text("id,check,points,reason\nnobody,total,+1,typo\n")
    result = pytester.runpytest_inprocess("--assignment=week8", f"--grader-out={out}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stdout.fnmatch_lines(["error: *line 2*unknown id 'nobody'*"])
    assert (out / "broken.json").is_file()


@pytest.mark.slow
def test_both_front_ends_give_the_same_final_score(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    """A late submission (Canvas's download name gives the student's user id) with an override:
    ``grader grade --out`` and ``pytest --grader-out`` apply the same late policy and overrides."""
    course = late_course(tmp_path / "course", "due = 2026-06-01T23:59:00+09:00\nper_day = 5")
    john = canvas_class(tmp_path / "canvas") / f"{JOHN}.ipynb"
    outs = {front: tmp_path / front for front in ("cli", "pytest")}
    for out in outs.values():
        out.mkdir()
        (out / "submitted.csv").write_text("id,submitted\n1002,2026-06-03T08:00:00+09:00\n")
        (out / "overrides.csv").write_text(
            f"id,check,points,reason\n{JOHN},model.layers,+4,read by hand\n"
        )
    common = ("--lang=en", f"--assignments={course}", "--assignment=week8")
    cli = grader_cli("grade", *common, f"--out={outs['cli']}", str(john))
    assert cli.returncode == 0, cli.stdout[-2000:] + cli.stderr[-2000:]
    under_pytest = pytester.runpytest_subprocess(
        *common, f"--submission={john}", f"--grader-out={outs['pytest']}"
    )
    assert under_pytest.ret == pytest.ExitCode.TESTS_FAILED, under_pytest.stdout.str()[-2000:]
    records = {
        front: json.loads((out / f"{JOHN}.json").read_text(encoding="utf-8"))
        for front, out in outs.items()
    }
    for record in records.values():
        # The override's 4 points, less 2 days at 5% of the maximum score.
        late = round(0.10 * record["max_score"], 1)
        assert (record["score"], record["final_score"]) == (0.0, round(4 - late, 1))
        assert [a["kind"] for a in record["adjustments"]] == ["override", "late"]
    assert records["cli"]["adjustments"] == records["pytest"]["adjustments"]
