"""LMS gradebooks out: ``grader export`` fills Canvas's exported gradebook by user id (a
round trip from a Canvas download graded by ``grader grade``), writes Moodle's import, and
leaves a student without a record blank, never 0."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from grader.platforms.lms.gradebooks import canvas_csv, moodle_csv
from grader.submissions.lms_names import LmsMark
from tests.conftest import grader_cli
from tests.records import canvas, graded, record, write_records
from tests.test_lms import canvas_class

CANVAS_EXPORT = (
    "Student,ID,SIS User ID,SIS Login ID,Section,week7 (4241),week8 (4242),Current Score\n"
    "    Points Possible,,,,,10.00,23.00,\n"
    '"Smith, Jane",1001,s1001,jsmith,Section A,9.00,,\n'
    '"Doe, John",1002,s1002,jdoe,Section A,8.00,,\n'
    '"Lee, Ann",1003,s1003,alee,Section B,7.00,,\n'
    '"=HYPERLINK(""x""), Eve",1004,s1004,eve,Section B,6.00,,\n'
)


def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.slow
def test_canvas_round_trip_from_download_to_import(tmp_path: Path) -> None:
    """Canvas download -> grader grade -> overrides -> grader export -> the same gradebook,
    filled."""
    out = tmp_path / "out"
    done = grader_cli(
        "grade",
        "--assignment",
        "week8",
        "--out",
        str(out),
        "--jobs",
        "1",
        str(canvas_class(tmp_path / "canvas")),
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    (out / "overrides.csv").write_text(
        "id,check,points,reason\nsmithjane_1001_5001_week8,total,+5,wrong file uploaded; "
        "graded the one mailed on time\n"
    )
    (tmp_path / "export.csv").write_text(CANVAS_EXPORT)
    done = grader_cli(
        "export", str(out), "--format", "canvas", "--gradebook", str(tmp_path / "export.csv")
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    table = rows((out / "canvas.csv").read_text())
    assert table[0] == rows(CANVAS_EXPORT)[0] and table[1] == rows(CANVAS_EXPORT)[1]
    filled = {row[1]: row[6] for row in table[2:]}
    # Jane: the override; John (late, resubmitted) and Ann: invalid files, graded 0; Eve has no
    # record: blank.
    # Jane's 5 points of the assignment's maximum, in the column's 23 points possible.
    jane = json.loads((out / "smithjane_1001_5001_week8.json").read_text(encoding="utf-8"))
    assert filled == {
        "1001": f"{round(5 * 23 / jane['max_score'], 2):g}",
        "1002": "0",
        "1003": "0",
        "1004": "",
    }
    assert [row[5] for row in table[2:]] == ["9.00", "8.00", "7.00", "6.00"]
    assert table[5][0].startswith("'=HYPERLINK")
    # The student's page, written by the batch, now shows the override and its reason.
    page = (out / "feedback" / "smithjane_1001_5001_week8.html").read_text()
    assert 'id="adjustments"' in page and "wrong file uploaded" in page


def test_canvas_scores_are_scaled_to_points_possible_and_the_latest_attempt_counts() -> None:
    export = CANVAS_EXPORT.replace(",23.00,", ",100,")
    # The resubmission counts even when the first file scored better.
    records = [
        record("a", lms=canvas("1001", "smithjane")),
        record("a2", {"fit.epochs": 0}, lms=canvas("1001", "smithjane", attempt=1)),
        record("b", lms=canvas("1002", "doejohn"), status="grader_error"),
    ]
    filled = {row[1]: row[6] for row in rows(canvas_csv(export, records, "week8"))[2:]}
    assert filled == {"1001": "50", "1002": "", "1003": "", "1004": ""}


def test_export_errors_name_what_is_missing(tmp_path: Path) -> None:
    out = write_records(tmp_path / "out", graded("a", lms=canvas("1001", "x")))
    (tmp_path / "export.csv").write_text(CANVAS_EXPORT.replace("week8 (4242)", "Week 8 (4242)"))
    done = grader_cli(
        "export", str(out), "--format", "canvas", "--gradebook", str(tmp_path / "export.csv")
    )
    assert done.returncode == 2 and "--column" in done.stdout
    done = grader_cli(
        "export",
        str(out),
        "--format",
        "canvas",
        "--gradebook",
        str(tmp_path / "export.csv"),
        "--column",
        "Week 8 (4242)",
    )
    assert done.returncode == 0, done.stdout
    assert (
        rows((out / "canvas.csv").read_text())[2][6] == "23"
    )  # full marks, out of its 23 points possible


def test_moodle_import_and_worksheet(tmp_path: Path) -> None:
    moodle = LmsMark("moodle", "123456", "Jane Smith")
    records = [
        record("Jane Smith_123456_assignsubmission_file_", {"model.layers": 0}, lms=moodle),
        record("plain"),
    ]
    assert rows(moodle_csv(records)) == [
        ["Identifier", "Full name", "Grade"],
        ["Participant 123456", "Jane Smith", "6"],
    ]
    worksheet = (
        "Identifier,Full name,Email address,Status,Grade,Maximum Grade\n"
        "Participant 123456,Jane Smith,j@x,Submitted,,10.00\nParticipant 123457,John Doe,d@x,No "
        "submission,,10.00\n"
    )
    filled = rows(moodle_csv(records, worksheet))
    assert [row[4] for row in filled[1:]] == ["6", ""]


def test_csv_export_rewrites_the_gradebook_with_final_scores(tmp_path: Path) -> None:
    out = write_records(tmp_path / "out", graded("a"))
    (out / "overrides.csv").write_text("id,check,points,reason\na,fit.epochs,3,\n")
    done = grader_cli("export", str(out), "--format", "csv")
    assert done.returncode == 0, done.stdout + done.stderr
    row = next(csv.DictReader(io.StringIO((out / "gradebook.csv").read_text())))
    assert (row["score"], row["final_score"]) == ("10.0", "8.0")
