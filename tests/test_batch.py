"""Batch grading: a mixed class folder gives every output with the right rows; a batch
killed midway and resumed gives the same gradebook; a Dask cluster gives the same
gradebook as local workers; Gradescope's results.json follows its specification."""

from __future__ import annotations

import csv
import io
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from xml.etree import ElementTree as ET

import jsonschema
import nbformat
import pytest

from grader.batch import Settings, run_batch
from grader.platforms.gradescope.results import gradescope_results
from grader.report.gradebook import gradebook_csv, spreadsheet_safe
from grader.report.graded import Graded
from grader.submissions.finding import Job, find_submissions
from tests.conftest import ROOT, SOLUTION, WEEK8, cli_env, grader_cli

EXPECTED_STATUS = {
    "alice": "graded",
    "bob": "graded",
    "=cmd": "invalid_submission",
    "empty": "invalid_submission",
    "hang": "timeout",
    "nobody": "invalid_submission",
    "quick": "graded",
    "slow": "graded",
}


@pytest.fixture(scope="module")
def classroom(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A class folder as an LMS export looks: files and a folder per student, good and bad.
    ``alice`` handed in the solution, ``bob`` the example student notebook."""
    root = tmp_path_factory.mktemp("class")
    (root / "alice.ipynb").write_bytes(SOLUTION.read_bytes())
    (root / "bob").mkdir()
    (root / "bob" / "hw8.ipynb").write_bytes((WEEK8 / "examples" / "student.ipynb").read_bytes())
    (root / "bob" / ".ipynb_checkpoints").mkdir()
    (root / "bob" / ".ipynb_checkpoints" / "hw8-checkpoint.ipynb").write_text("{}")
    (root / "=cmd.ipynb").write_text("this is not JSON")
    nbformat.write(nbformat.v4.new_notebook(), root / "empty.ipynb")
    (root / "hang.py").write_text("import time\ntime.sleep(10**6)\n")
    (root / "quick.py").write_text("print('no Keras here')\n")
    (root / "slow.py").write_text("import time\ntime.sleep(8)\nprint('no Keras here either')\n")
    (root / "nobody").mkdir()
    (root / "nobody" / "readme.txt").write_text("forgot to upload")
    return root


# ``hang`` waits out its cell's limit, the batch's longest wait: 20 s, five times the slowest cell
# of the others (the solution's fit, 3.6 s in suite runs) and more than ``slow``'s 8 s.
CLASS_LIMITS = ("--cell-timeout", "20", "--total-timeout", "200")


def grade_class(folder: Path, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return grader_cli(
        "grade",
        "--assignment",
        "week8",
        "--lang",
        "en",
        "--jobs",
        "2",
        "--out",
        str(out),
        *CLASS_LIMITS,
        *extra,
        str(folder),
    )


@pytest.fixture(scope="module")
def uninterrupted(classroom: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The class graded in one ``grader grade`` batch: its output folder and its log."""
    out = tmp_path_factory.mktemp("uninterrupted")
    run = grade_class(classroom, out)
    return out, run.stdout + run.stderr


def gradebook_rows(out: Path) -> dict[str, dict[str, str]]:
    """The gradebook without its timing column (the only column allowed to differ between runs)."""
    rows = csv.DictReader(io.StringIO((out / "gradebook.csv").read_text(encoding="utf-8")))
    return {row["id"]: {k: v for k, v in row.items() if k != "duration_s"} for row in rows}


def messages(out: Path) -> dict[str, list[str]]:
    records = (json.loads(p.read_text()) for p in out.glob("*.json"))
    return {r["id"]: [c["message"] for c in r["checks"]] for r in records}


def test_submissions_are_found_as_an_lms_export_lays_them_out(classroom: Path) -> None:
    jobs = {job.id: job for job in find_submissions([classroom])}
    assert set(jobs) == {spreadsheet_safe(i).lstrip("'") for i in EXPECTED_STATUS}
    assert jobs["bob"].path.name == "hw8.ipynb"
    assert jobs["nobody"].problem == ("submission.folder_empty", "nobody")
    assert jobs["alice"].problem is None


@pytest.mark.slow
def test_a_mixed_batch_writes_every_output_with_the_right_rows(
    uninterrupted: tuple[Path, str],
) -> None:
    out, log = uninterrupted
    rows = gradebook_rows(out)
    ids = {row["id"].lstrip("'"): row for row in rows.values()}
    assert {i: r["status"] for i, r in ids.items()} == EXPECTED_STATUS, log[-3000:]
    assert ids["alice"]["score"] == "27.0" and ids["bob"]["score"] == "25.0"
    assert ids["bob"]["fit.epochs"] == "0.0" and ids["bob"]["plots.accuracy"] == "0.0"
    # A file name that a spreadsheet would run as a formula stays text.
    assert "'=cmd" in rows
    hang = json.loads((out / "hang.json").read_text())
    assert hang["cells"][0]["outcome"] == "timeout"
    suites = {s.get("name"): s for s in ET.parse(out / "junit.xml").getroot()}
    assert set(suites) == set(EXPECTED_STATUS)
    assert suites["bob"].get("failures") == "2" and len(suites["bob"].findall("testcase")) == 23
    assert not list(out.glob(".*.tmp")), "no temporary file is left behind"
    assert "Class summary: week8 — 8 submissions" in log
    pages = {p.stem for p in (out / "feedback").glob("*.html")}
    assert pages == set(EXPECTED_STATUS)
    bob = (out / "feedback" / "bob.html").read_text(encoding="utf-8")
    assert "25 / 27" in bob and "data:image/png;base64," in bob
    summary = (out / "summary.html").read_text(encoding="utf-8")
    assert "8" in summary and "grader" in summary


def subset_of(classroom: Path, folder: Path, names: set[str]) -> Path:
    folder.mkdir()
    for entry in classroom.iterdir():
        if entry.name in names:
            os.symlink(entry, folder / entry.name)
    return folder


# The submissions that cost no training, and their ids in the gradebook.
CHEAP = {"=cmd.ipynb", "empty.ipynb", "nobody", "quick.py"}
CHEAP_IDS = ("'=cmd", "empty", "nobody", "quick")


@pytest.mark.slow
def test_a_batch_killed_midway_and_resumed_gives_the_same_gradebook(
    classroom: Path, uninterrupted: tuple[Path, str], tmp_path: Path
) -> None:
    # A submission that takes a while but costs no training is the one the kill interrupts.
    folder = subset_of(classroom, tmp_path / "class", CHEAP | {"slow.py"})
    out = tmp_path / "resumed"
    command = [
        sys.executable,
        "-m",
        "grader",
        "grade",
        "--assignment",
        "week8",
        "--lang",
        "en",
        "--jobs",
        "2",
        "--out",
        str(out),
        *CLASS_LIMITS,
        str(folder),
    ]
    batch = subprocess.Popen(
        command,
        env=cli_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 300
    while not list(out.glob("*.json")) and time.monotonic() < deadline and batch.poll() is None:
        time.sleep(0.2)
    os.killpg(batch.pid, signal.SIGKILL)
    batch.wait()
    first = {p.name for p in out.glob("*.json")}
    assert first and len(first) < 5
    for path in out.glob("*.json"):
        json.loads(path.read_text())  # every record on disk is whole
    resumed = grade_class(folder, out)
    assert resumed.returncode == 0, resumed.stdout[-3000:] + resumed.stderr[-3000:]
    assert f"{len(first)} already graded" in resumed.stdout
    ids = (*CHEAP_IDS, "slow")
    assert gradebook_rows(out) == {
        k: v for k, v in gradebook_rows(uninterrupted[0]).items() if k in ids
    }
    assert messages(out) == {
        k: v for k, v in messages(uninterrupted[0]).items() if k in {i.lstrip("'") for i in ids}
    }


@pytest.mark.slow
def test_a_dask_cluster_gives_the_same_gradebook_as_local_workers(
    classroom: Path, uninterrupted: tuple[Path, str], tmp_path: Path
) -> None:
    from distributed import LocalCluster

    # The point is the scheduler, not the grading again: the cheap submissions will do.
    subset = subset_of(classroom, tmp_path / "class", CHEAP)
    out = tmp_path / "dask"
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        run = grade_class(subset, out, "--scheduler", cluster.scheduler_address)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    local = {k: v for k, v in gradebook_rows(uninterrupted[0]).items() if k in CHEAP_IDS}
    assert gradebook_rows(out) == local


# Gradescope's autograder specification, as a schema: the documented top-level and test fields.
GRADESCOPE_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "score": {"type": "number"},
        "execution_time": {"type": "number"},
        "output": {"type": "string"},
        "output_format": {"enum": ["text", "html", "simple_format", "md", "ansi"]},
        "test_output_format": {"enum": ["text", "html", "simple_format", "md", "ansi"]},
        "test_name_format": {"enum": ["text", "html", "simple_format", "md", "ansi"]},
        "visibility": {"enum": ["hidden", "after_due_date", "after_published", "visible"]},
        "stdout_visibility": {"enum": ["hidden", "after_due_date", "after_published", "visible"]},
        "extra_data": {"type": "object"},
        "tests": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["score", "max_score", "name"],
                "properties": {
                    "score": {"type": "number"},
                    "max_score": {"type": "number"},
                    "status": {"enum": ["passed", "failed"]},
                    "name": {"type": "string"},
                    "name_format": {"enum": ["text", "html", "simple_format", "md", "ansi"]},
                    "number": {"type": "string"},
                    "output": {"type": "string"},
                    "output_format": {"enum": ["text", "html", "simple_format", "md", "ansi"]},
                    "tags": {"type": "array", "items": {"type": "string"}},
                    "visibility": {
                        "enum": ["hidden", "after_due_date", "after_published", "visible"]
                    },
                    "extra_data": {"type": "object"},
                },
            },
        },
        "leaderboard": {"type": "array"},
    },
    "anyOf": [{"required": ["score"]}, {"required": ["tests"]}],
}


@pytest.mark.slow
def test_gradescope_results_follow_the_specification(uninterrupted: tuple[Path, str]) -> None:
    out, _ = uninterrupted
    for path in out.glob("*.json"):
        record = json.loads(path.read_text())
        results = gradescope_results(record)
        jsonschema.validate(results, GRADESCOPE_SCHEMA)
        assert results["score"] == pytest.approx(sum(t["score"] for t in results["tests"]))
    bob = gradescope_results(json.loads((out / "bob.json").read_text()))
    failed = [t for t in bob["tests"] if t["status"] == "failed"]
    assert len(failed) == 2 and all(t["output"] for t in failed)


@pytest.mark.slow
def test_format_gradescope_writes_results_json(tmp_path: Path) -> None:
    # Gradescope's submission folder: whatever else it holds, it is one student's work.
    submission = tmp_path / "submission"
    (submission / "data").mkdir(parents=True)
    (submission / "hw8.ipynb").write_text("{not json")
    run = grader_cli(
        "grade",
        "--assignment",
        "week8",
        "--lang",
        "en",
        "--format",
        "gradescope",
        "--out",
        str(tmp_path / "out"),
        str(submission),
    )
    assert run.returncode == 0, run.stderr
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    jsonschema.validate(results, GRADESCOPE_SCHEMA)
    assert results["score"] == 0 and "not valid JSON" in results["output"]


def test_gradebook_cells_cannot_run_as_formulas() -> None:
    records = [
        {
            "id": '=HYPERLINK("http://x")',
            "submission": "+1.ipynb",
            "status": "graded",
            "score": 1.0,
            "max_score": 1.0,
            "duration_s": 1.0,
            "checks": [{"id": "run.cells", "points": 1.0}],
        }
    ]
    row = list(csv.reader(io.StringIO(gradebook_csv(records))))[1]
    assert row[0].startswith("'=") and row[1].startswith("'+")


def work_that_kills_its_worker(job: Job, settings: Settings, more_follow: bool) -> Graded:
    """Stands in for grading: the job named ``culprit`` kills the process it runs in."""
    if job.id == "culprit":
        os._exit(9)
    time.sleep(0.5)
    return Graded(job, {"id": job.id, "status": "graded", "score": 1.0}, None)


@pytest.mark.slow
def test_a_killed_worker_costs_the_batch_nothing_but_its_culprit() -> None:
    jobs = [Job(name, Path(f"{name}.py")) for name in ("a", "b", "culprit", "c", "d")]
    settings = Settings("week8", str(ROOT / "assignments"), "en", 23.0)
    results: dict[str, list[dict]] = {}

    def pool(workers: int) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=workers, mp_context=multiprocessing.get_context("spawn")
        )

    run_batch(
        jobs,
        settings,
        pool,
        lambda g: results.setdefault(g.job.id, []).append(g.record),
        2,
        work_that_kills_its_worker,
    )
    # Every job has exactly one record: the innocent ones in flight beside the culprit are
    # graded again, and the culprit, dying even alone, is a grader error, not a gap.
    assert {k: [r["status"] for r in v] for k, v in results.items()} == {
        "a": ["graded"],
        "b": ["graded"],
        "c": ["graded"],
        "d": ["graded"],
        "culprit": ["grader_error"],
    }
    assert "died 2 times while grading this submission alone" in results["culprit"][0]["error"]
