"""Similarity in a copy exercise: two students who share a helper (renamed, recommented,
moved to another cell) and the same odd setting are flagged; plain copies of the lecture
and honest variants are not, because the assignment's own code is subtracted first."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import pytest

from grader.marks.similarity import boilerplate, compare, read_code
from grader.report.folder import RecordFolder
from grader.submissions.finding import find_submissions
from tests.conftest import WEEK8, cli_env
from tests.records import graded, write_records
from tests.similar_class import copy_class

COPIERS = ("copierone_2005_5_week8", "copiertwo_2006_6_week8")


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The class's notebooks, their records (made without running them) and the batch's finish."""
    root = tmp_path_factory.mktemp("similar")
    notebooks = copy_class(root / "canvas")
    out = write_records(root / "out", *(graded(id) for id in notebooks))
    folder = RecordFolder(out)
    folder.compare(find_submissions([root / "canvas"]), WEEK8)
    folder.finish("en")
    return out


def rows(out: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO((out / "similarity.csv").read_text(encoding="utf-8"))))


def test_only_the_pair_sharing_a_disguised_helper_and_an_odd_setting_is_flagged(
    graded_class: Path,
) -> None:
    flagged = [(row["a"], row["b"]) for row in rows(graded_class) if row["flagged"] == "True"]
    assert flagged == [COPIERS]
    first = rows(graded_class)[0]
    assert float(first["score"]) >= 0.5 and int(first["shared"]) >= 6
    # Among code cells: the helper (second in one notebook, last in the other) and the odd batch
    # size.
    assert (first["cells_a"], first["cells_b"]) == ("2 7", "6 10")


def test_the_summary_shows_the_flagged_pair_side_by_side(graded_class: Path) -> None:
    page = (graded_class / "summary.html").read_text(encoding="utf-8")
    section = page[page.index('id="similarity"') :]
    assert "copierone_2005_5_week8 and copiertwo_2006_6_week8" in section
    assert "def show_curves(h, what):" in section and "def draw(hist, metric):" in section
    assert "plainone" not in section and "honest" not in section


def test_without_the_lecture_subtracted_plain_copies_would_be_flagged(tmp_path: Path) -> None:
    """What the subtraction is for: every honest notebook looks like the lecture (a class of four,
    too small for what most of it shares to count as common knowledge)."""
    codes = [
        code
        for id, path in copy_class(tmp_path).items()
        if "honest" not in id and (code := read_code(id, path)) is not None
    ]
    naive = {(p.a, p.b) for p in compare(codes, frozenset()) if p.flagged}
    assert ("plainone_2001_1_week8", "plaintwo_2002_2_week8") in naive
    subtracted = {(p.a, p.b) for p in compare(codes, boilerplate(WEEK8)) if p.flagged}
    assert subtracted == {COPIERS}


def test_fingerprints_are_the_same_in_every_process() -> None:
    """A report must be reproducible: no per-process salted hash in the fingerprints."""
    script = (
        "from grader.marks.similarity import cell_prints; "
        "print(sorted(cell_prints('def f(x):\\n    return x * 77 + len(str(x))\\n')))"
    )
    runs = {
        subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            env=cli_env(PYTHONHASHSEED=seed),
            check=True,
        ).stdout
        for seed in ("1", "2")
    }
    assert len(runs) == 1 and runs != {"[]\n"}
