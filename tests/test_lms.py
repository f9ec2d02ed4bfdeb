"""LMS downloads in: Canvas's and Moodle's file names give each record the LMS's user id and
late mark, while the ids in every output stay the file and folder names."""

from __future__ import annotations

import json
from pathlib import Path

from grader.submissions.finding import find_submissions
from grader.submissions.lms_names import lms_mark
from tests.conftest import grader_cli


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
    late = lms_mark("doejohn_LATE_1002_5002_week8-1.ipynb")
    assert late is not None and (
        late.system,
        late.user_id,
        late.late,
        late.attempt,
        late.original,
    ) == ("canvas", "1002", True, 1, "week8.ipynb")
    on_time = lms_mark("smithjane_1001_5001_week8.ipynb")
    assert on_time is not None and (
        on_time.user_id,
        on_time.late,
        on_time.attempt,
        on_time.submission_id,
    ) == ("1001", False, 0, "5001")
    # A hyphen in the uploaded name that is not a resubmission count stays part of it.
    assert lms_mark("leeann_1003_5003_my-week8.ipynb").original == "my-week8.ipynb"  # type: ignore[union-attr]
    assert lms_mark("alice.ipynb") is None and lms_mark("alice_12.ipynb") is None


def test_moodle_names_give_user_id() -> None:
    mark = lms_mark("Jane Smith_123456_assignsubmission_file_")
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
    moodle_class(folder / "moodle")
    out = tmp_path / "out"
    done = grader_cli(
        "grade",
        "--assignment",
        "week8",
        "--out",
        str(out),
        "--jobs",
        "1",
        str(folder / "moodle"),
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
    assert records["Jane Smith_123456_assignsubmission_file_"]["lms"]["user_id"] == "123456"
    assert records["John Doe_123457_assignsubmission_file_"]["status"] == "invalid_submission"
    assert records["John Doe_123457_assignsubmission_file_"]["lms"]["user_id"] == "123457"
    # Nothing readable to compare, but the batch still writes the similarity report.
    assert (out / "similarity.csv").read_text().startswith("a,b,score,flagged,shared")
