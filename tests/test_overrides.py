"""Overrides (``OUT/overrides.csv``) and late penalties (``[late]``): applied to the records
on disk by every batch's finish and by export; the record keeps the graded and the final
score; the gradebook and the feedback page say why; an unknown id or check is an error."""

from __future__ import annotations

import csv
import io
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest

from grader.marks.late import parse_policy
from grader.marks.overrides import AdjustmentError
from grader.report.folder import RecordFolder
from grader.submissions.lms_names import LmsMark
from tests.conftest import WEEK8, grader_cli
from tests.records import canvas, graded, read, write_records
from tests.test_lms import canvas_class

JST = "+09:00"


def gradebook(out: Path) -> dict[str, dict[str, str]]:
    return {
        row["id"]: row
        for row in csv.DictReader(io.StringIO((out / "gradebook.csv").read_text(encoding="utf-8")))
    }


def test_overrides_set_a_check_change_the_total_and_show_why(tmp_path: Path) -> None:
    out = write_records(
        tmp_path,
        graded("alice", {"model.layers": 1.0}),
        graded("bob", language="ja"),
        graded("=cmd", {"fit.epochs": 0}),
    )
    (out / "overrides.csv").write_text(
        "id,check,points,reason\n"
        "alice,model.layers,4,regraded by hand: the Flatten layer was there\n"
        "bob,total,-2,late-night copy of the lecture's plot\n"
        "'=cmd,fit.epochs,+2.5,\n",
        encoding="utf-8",
    )
    RecordFolder(out).finish("en")
    alice, bob, cmd = read(out, "alice"), read(out, "bob"), read(out, "=cmd")
    assert (alice["score"], alice["final_score"]) == (7.0, 10.0)
    assert (
        alice["adjustments"][0]["reason"]
        == "model.layers: +3 points — regraded by hand: the Flatten layer was there"
    )
    assert (bob["score"], bob["final_score"]) == (10.0, 8.0)
    assert bob["adjustments"][0]["reason"] == "合計: -2 点 — late-night copy of the lecture's plot"
    assert (cmd["score"], cmd["final_score"]) == (5.0, 7.5)
    rows = gradebook(out)
    assert (rows["alice"]["score"], rows["alice"]["final_score"]) == ("7.0", "10.0")
    assert "regraded by hand" in rows["alice"]["reasons"]
    # The id that would run as a formula keeps its ' in the gradebook, as before.
    assert rows["'=cmd"]["final_score"] == "7.5"
    page = (out / "feedback" / "alice.html").read_text()
    assert 'id="adjustments"' in page and "regraded by hand" in page and "10 / 10" in page


def test_an_override_taken_out_gives_back_the_graded_score(tmp_path: Path) -> None:
    out = write_records(tmp_path, graded("alice", {"model.layers": 1.0}))
    (out / "overrides.csv").write_text("id,check,points,reason\nalice,total,+1,bonus\n")
    RecordFolder(out).finish("en")
    assert read(out, "alice")["final_score"] == 8.0
    (out / "overrides.csv").write_text("id,check,points,reason\n")
    RecordFolder(out).finish("en")
    assert (
        "final_score" not in read(out, "alice") and gradebook(out)["alice"]["final_score"] == "7.0"
    )
    assert 'id="adjustments"' not in (out / "feedback" / "alice.html").read_text()


@pytest.mark.parametrize(
    ("line", "named"),
    [
        ("alicia,total,+1,typo", "unknown id 'alicia'"),
        ("alice,model.layer,4,typo", "alice has no check 'model.layer'"),
        ("alice,total,lots,typo", "points 'lots'"),
    ],
)
def test_an_unknown_id_or_check_is_an_error_naming_it(
    tmp_path: Path, line: str, named: str
) -> None:
    out = write_records(tmp_path, graded("alice"))
    (out / "overrides.csv").write_text(f"id,check,points,reason\n{line}\n")
    with pytest.raises(AdjustmentError, match="line 2") as error:
        RecordFolder(out).finish("en")
    assert named in str(error.value)


def test_late_policy_per_day_table_cap_and_grace() -> None:
    due = datetime(2026, 6, 1, 23, 59, tzinfo=timezone.utc)
    per_day = parse_policy({"due": due, "per_day": 10, "cap": 25, "grace_minutes": 5}, "t")
    assert per_day.days_late(datetime(2026, 6, 2, 0, 3, tzinfo=timezone.utc)) == 0
    assert per_day.days_late(datetime(2026, 6, 2, 0, 5, tzinfo=timezone.utc)) == 1
    assert [per_day.percent(d) for d in (0, 1, 2, 3, 9)] == [0, 10, 20, 25, 25]
    table = parse_policy({"due": due, "table": [5, 20, 50]}, "t")
    assert [table.percent(d) for d in (1, 2, 3, 7)] == [5, 20, 50, 50]
    with pytest.raises(AdjustmentError, match="unknown key"):
        parse_policy({"due": due, "per_dya": 10}, "t")


def test_late_deduction_from_submitted_csv_or_moodle_worksheet_keeps_raw_and_final(
    tmp_path: Path,
) -> None:
    policy = parse_policy(
        {"due": datetime.fromisoformat(f"2026-06-01T23:59:00{JST}"), "per_day": 10, "cap": 30}, "t"
    )
    out = write_records(
        tmp_path,
        graded("smithjane_1001_5001_week8", lms=canvas("1001", "smithjane", late=True)),
        graded("ontime"),
        graded(
            "moodle-student",
            {"fit.epochs": 0},
            lms=LmsMark("moodle", "123456", "J S"),
        ),
    )
    (out / "submitted.csv").write_text(
        "id,submitted\n1001,2026-06-03T10:00:00+09:00\nontime,2026-06-01T12:00:00+09:00\n"
    )
    RecordFolder(out, policy).finish("en")
    late = read(out, "smithjane_1001_5001_week8")
    assert (late["score"], late["final_score"]) == (10.0, 8.0)
    assert late["adjustments"][0] | {"reason": ""} == {
        "kind": "late",
        "check": "total",
        "change": -2.0,
        "reason": "",
        "days": 2,
        "percent": 20.0,
    }
    assert "Late by 2 day(s)" in late["adjustments"][0]["reason"]
    assert "final_score" not in read(out, "ontime")
    # Moodle's grading worksheet saved as submitted.csv: its own columns and date format.
    (out / "submitted.csv").write_text(
        "Identifier,Full name,Last modified (submission)\n"
        '"Participant 123456",J S,"Friday, 5 June 2026, 11:00 PM"\n'
    )
    RecordFolder(out, policy).finish("ja")
    moodle = read(out, "moodle-student")
    assert (moodle["score"], moodle["final_score"]) == (5.0, 2.0)
    assert "final_score" not in read(out, "smithjane_1001_5001_week8")


@pytest.mark.slow
def test_grader_grade_applies_the_assignments_late_policy_and_overrides(tmp_path: Path) -> None:
    """A Canvas download graded with an assignment that has [late], submitted.csv and
    overrides.csv in OUT."""
    course = tmp_path / "course"
    shutil.copytree(WEEK8, course / "week8", ignore=shutil.ignore_patterns("examples", "*.ipynb"))
    with open(course / "week8" / "assignment.toml", "a", encoding="utf-8") as toml:
        toml.write("\n[late]\ndue = 2026-06-01T23:59:00+09:00\nper_day = 5\ncap = 50\n")
    out = tmp_path / "out"
    out.mkdir()
    (out / "submitted.csv").write_text("id,submitted\n1002,2026-06-03T08:00:00+09:00\n")
    (out / "overrides.csv").write_text(
        "id,check,points,reason\ndoejohn_LATE_1002_5002_week8-1,model.layers,+4,read by hand\n"
    )
    done = grader_cli(
        "grade",
        "--assignments",
        str(course),
        "--assignment",
        "week8",
        "--out",
        str(out),
        "--jobs",
        "1",
        str(canvas_class(tmp_path / "canvas")),
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    john = read(out, "doejohn_LATE_1002_5002_week8-1")
    # The override's 4 points, less 2 days at 5% of the maximum score.
    late = round(0.10 * john["max_score"], 1)
    assert (john["score"], john["final_score"]) == (0.0, round(4 - late, 1))
    assert [a["kind"] for a in john["adjustments"]] == ["override", "late"]
    assert john["lms"]["late"] is True and john["submitted"].startswith("2026-06-03T08:00")
    assert "final_score" not in read(out, "smithjane_1001_5001_week8")
