"""LMS downloads in: Canvas's and Moodle's file names give each record the LMS's user id and
late mark, while the ids in every output stay the file and folder names.  The LMS is decided once
for a command, so a name a student chose to match the other LMS's pattern is not reinterpreted."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from grader.marks.final_score import adjust, late_by_name_only, submitted_at
from grader.marks.late import parse_policy
from grader.marks.submission_times import parse_submitted
from grader.submissions.finding import find_submissions, undecided
from grader.submissions.lms_names import (
    LmsSettingError,
    assignment_lms,
    choose_system,
    lms_mark,
    systems_matching,
)
from tests.conftest import grader_cli

# What a student uploads to Canvas: a name made to read, as a whole, as Moodle's, with another
# user id (999999) and no late mark.  Canvas puts its own prefix before it.
DISGUISED = "doejohn_LATE_1002_5002_x_999999_assignsubmission_file_week8.ipynb"


def canvas_class(folder: Path) -> Path:
    """Canvas's "Download submissions", unzipped: one flat folder, broken files (graded without a
    kernel)."""
    folder.mkdir(parents=True)
    (folder / "smithjane_1001_5001_week8.ipynb").write_text("not json")
    (folder / "doejohn_LATE_1002_5002_week8-1.ipynb").write_text("not json")
    (folder / "leeann_1003_5003_hw.ipynb").write_text("{}")
    return folder


def moodle_class(folder: Path) -> Path:
    """Moodle's assignment download, in folders: ``Full Name_ID_assignsubmission_file_/...``."""
    (folder / "Jane Smith_123456_assignsubmission_file_").mkdir(parents=True)
    (folder / "Jane Smith_123456_assignsubmission_file_" / "week8.ipynb").write_text("not json")
    (folder / "John Doe_123457_assignsubmission_file_").mkdir()
    return folder


def test_canvas_names_give_user_id_late_mark_and_resubmission() -> None:
    late = lms_mark("doejohn_LATE_1002_5002_week8-1.ipynb", "canvas")
    assert late is not None and (
        late.system,
        late.user_id,
        late.late,
        late.attempt,
        late.original,
    ) == ("canvas", "1002", True, 1, "week8.ipynb")
    on_time = lms_mark("smithjane_1001_5001_week8.ipynb", "canvas")
    assert on_time is not None and (
        on_time.user_id,
        on_time.late,
        on_time.attempt,
        on_time.submission_id,
    ) == ("1001", False, 0, "5001")
    # A hyphen in the uploaded name that is not a resubmission count stays part of it.
    hyphen = lms_mark("leeann_1003_5003_my-week8.ipynb", "canvas")
    assert hyphen is not None and hyphen.original == "my-week8.ipynb"
    assert (
        lms_mark("alice.ipynb", "canvas") is None and lms_mark("alice_12.ipynb", "canvas") is None
    )
    # Moodle's pattern is never tried for a Canvas download.
    assert lms_mark("Jane Smith_123456_assignsubmission_file_", "canvas") is None


def test_moodle_names_give_user_id() -> None:
    mark = lms_mark("Jane Smith_123456_assignsubmission_file_", "moodle")
    assert mark is not None and (mark.system, mark.user_id, mark.name, mark.late) == (
        "moodle",
        "123456",
        "Jane Smith",
        False,
    )


def test_class_folders_as_the_lms_lays_them_out_keep_their_ids(tmp_path: Path) -> None:
    canvas = {job.id: job for job in find_submissions([canvas_class(tmp_path / "canvas")])}
    assert set(canvas) == {
        "smithjane_1001_5001_week8",
        "doejohn_LATE_1002_5002_week8-1",
        "leeann_1003_5003_hw",
    }
    assert canvas["doejohn_LATE_1002_5002_week8-1"].lms.late  # type: ignore[union-attr]
    moodle = {job.id: job for job in find_submissions([moodle_class(tmp_path / "moodle")])}
    jane = moodle["Jane Smith_123456_assignsubmission_file_"]
    assert jane.path.name == "week8.ipynb" and jane.lms is not None and jane.lms.user_id == "123456"
    john = moodle["John Doe_123457_assignsubmission_file_"]
    assert john.problem is not None and john.lms is not None and john.lms.user_id == "123457"


def test_graded_records_carry_the_lms_user_id_and_late_mark(tmp_path: Path) -> None:
    folder = canvas_class(tmp_path / "canvas")
    (folder / DISGUISED).write_text("{}")
    out = tmp_path / "out"
    done = grader_cli(
        "grade",
        "--assignment",
        "week8",
        "--out",
        str(out),
        "--jobs",
        "1",
        "--lms",
        "canvas",
        *map(str, sorted(folder.glob("*.ipynb"))),
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    records = {p.stem: json.loads(p.read_text()) for p in out.glob("*.json")}
    assert records["doejohn_LATE_1002_5002_week8-1"]["lms"] == {
        "system": "canvas",
        "user_id": "1002",
        "name": "doejohn",
        "late": True,
        "submission_id": "5002",
        "attempt": 1,
        "original": "week8.ipynb",
    }
    assert records["smithjane_1001_5001_week8"]["lms"]["late"] is False
    disguised = records[DISGUISED.removesuffix(".ipynb")]["lms"]
    assert (disguised["system"], disguised["user_id"], disguised["late"]) == (
        "canvas",
        "1002",
        True,
    )
    # Nothing readable to compare, but the batch still writes the similarity report.
    assert (out / "similarity.csv").read_text().startswith("a,b,score,flagged,shared")


def test_a_canvas_upload_named_like_moodles_download_stays_canvas_and_pays_its_late_penalty(
    tmp_path: Path,
) -> None:
    assert systems_matching(DISGUISED) == ("canvas", "moodle")
    folder = canvas_class(tmp_path / "canvas")
    (folder / DISGUISED).write_text("{}")
    # Canvas's own listing of submission times, by Canvas user id, and the course's policy.
    times = parse_submitted("id,submitted\n1002,2026-06-03T10:00:00+00:00\n")
    policy = parse_policy({"due": datetime(2026, 6, 1, tzinfo=timezone.utc), "per_day": 10}, "t")
    for named in (None, "canvas"):
        jobs = {job.id: job for job in find_submissions([folder], named)}  # type: ignore[arg-type]
        mark = jobs[DISGUISED.removesuffix(".ipynb")].lms
        assert mark is not None and (mark.system, mark.user_id, mark.late) == (
            "canvas",
            "1002",
            True,
        )
        record = {"id": "x", "score": 10.0, "max_score": 10.0, "checks": [], "lms": mark.to_data()}
        final = adjust(record, [], policy, submitted_at(record, times))
        assert final.score == 7.0 and final.adjustments[0].days == 3


def test_read_as_moodle_the_same_upload_would_have_escaped_its_penalty() -> None:
    """The test above can fail: Moodle's reading of the name gives no listed time."""
    mark = lms_mark(DISGUISED, "moodle")
    assert mark is not None and (mark.user_id, mark.late) == ("999999", False)
    record = {"id": "x", "score": 10.0, "max_score": 10.0, "checks": [], "lms": mark.to_data()}
    assert submitted_at(record, parse_submitted("id,submitted\n1002,2026-06-03T10:00\n")) is None


def test_the_lms_is_decided_once_for_a_command(tmp_path: Path) -> None:
    canvas = ["smithjane_1001_5001_week8.ipynb", DISGUISED]
    assert choose_system(canvas) == "canvas"
    assert (
        choose_system(
            ["Jane Smith_123456_assignsubmission_file_", "x_1_2_y_9_assignsubmission_file_"]
        )
        == "moodle"
    )
    # Names of both LMSs, or only names matching both: nothing is decided, and the command says so.
    assert choose_system([*canvas, "Jane Smith_123456_assignsubmission_file_"]) is None
    assert choose_system([DISGUISED]) is None
    (tmp_path / "one").mkdir()
    (tmp_path / "one" / DISGUISED).write_text("{}")
    (tmp_path / "one" / "alice.ipynb").write_text("{}")
    jobs = find_submissions([tmp_path / "one"])
    assert all(job.lms is None for job in jobs) and undecided(jobs)
    assert not undecided(find_submissions([tmp_path / "one"], "canvas"))


def test_the_assignment_can_name_its_lms(tmp_path: Path) -> None:
    (tmp_path / "assignment.toml").write_text('[lms]\nsystem = "moodle"\n')
    assert assignment_lms(tmp_path) == "moodle"
    (tmp_path / "assignment.toml").write_text('[lms]\nsystem = "blackboard"\n')
    with pytest.raises(LmsSettingError, match="blackboard"):
        assignment_lms(tmp_path)
    (tmp_path / "assignment.toml").write_text('title = "x"\n')
    assert assignment_lms(tmp_path) is None


def test_a_late_mark_without_a_listed_time_is_named_not_silently_dropped() -> None:
    late = lms_mark("doejohn_LATE_1002_5002_week8.ipynb", "canvas")
    on_time = lms_mark("smithjane_1001_5001_week8.ipynb", "canvas")
    assert late is not None and on_time is not None
    records = [{"id": "doe", "lms": late.to_data()}, {"id": "smith", "lms": on_time.to_data()}]
    assert late_by_name_only(records, {}) == ["doe"]
    assert (
        late_by_name_only(records, parse_submitted("id,submitted\n1002,2026-06-01T10:00\n")) == []
    )
