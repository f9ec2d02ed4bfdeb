"""Every writer leads with the cause and shows what follows from it under it, in both languages:
the terminal report, the feedback page, JUnit, the JSON record and a pytest item's report, laid out
from a record made by hand (the cascade of each assignment's graded runs is tested beside them)."""

from __future__ import annotations

import dataclasses
import io
import json

import pytest
from rich.console import Console

from grader.course.assignment import load_assignment
from grader.messages import text
from grader.outcome import Message
from grader.plugin import failure_text
from grader.record import CheckResult, Record
from grader.report.feedback_html import feedback_page
from grader.report.json_record import to_data
from grader.report.junit import junit_xml
from grader.report.terminal import report
from grader.report.view import View, build_view
from grader.scoring import with_causes
from tests.cascade import assert_junit, assert_page, assert_record

CONSEQUENCES = ["fit.history", "results.accuracy", "plots.loss", "plots.accuracy"]
EXPECTED = {"data.y_onehot": CONSEQUENCES}


def _record(consequences: str = "counted", **visibility: str) -> Record:
    """A missing one-hot, as week 8 grades it: a cell raised, the labels fail, and four checks
    fail because of them."""
    results = (
        CheckResult("run.cells", "run", "failed", 0.0, 1.0, Message("run.cells", {"cell": 6})),
        CheckResult("data.x_shape", "data", "passed", 1.0, 1.0, None),
        CheckResult(
            "data.y_onehot",
            "data",
            "failed",
            0.0,
            1.0,
            Message("data.y_not_onehot", {"name": "y_train", "shape": [60000], "classes": 10}),
        ),
        CheckResult("fit.history", "fit", "not_run", 0.0, 1.0, Message("fit.no_history")),
        CheckResult(
            "results.accuracy",
            "results",
            "failed",
            0.0,
            3.0,
            Message("results.train_error", {"reason": "ValueError: rank"}),
        ),
        CheckResult("plots.loss", "plots", "not_run", 0.0, 1.0, Message("plots.no_history")),
        CheckResult("plots.accuracy", "plots", "not_run", 0.0, 1.0, Message("plots.no_history")),
    )
    results = tuple(
        dataclasses.replace(r, visibility=visibility.get(r.id.replace(".", "_"), "visible"))
        for r in results
    )
    week8 = dataclasses.replace(load_assignment("week8"), consequences=consequences)
    checks = with_causes(results, week8)
    score = sum(c.points for c in checks)
    return Record("week8", "alice.ipynb", "graded", score, 9.0, 1.0, checks)


def _view(lang: str, record: Record | None = None, **kwargs: bool) -> View:
    return build_view(record or _record(), lang, "alice", None, "digest", **kwargs)


def _terminal(view: View) -> str:
    buffer = io.StringIO()
    Console(file=buffer, width=120).print(report(view))
    return buffer.getvalue()


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_the_json_record_names_each_consequences_cause(lang: str) -> None:
    data = to_data(_view(lang))
    assert_record(data, EXPECTED)
    assert {c["id"]: c["caused_by"] for c in data["checks"]}["run.cells"] is None
    assert "waived" not in data["checks"][0]
    json.dumps(data)


def test_a_waived_consequence_keeps_its_points_and_the_record_says_so() -> None:
    record = _record("waived")
    assert record.score == 1.0 + 1.0 + 3.0 + 1.0 + 1.0
    data = to_data(_view("en", record))
    assert_record(data, EXPECTED, waived=True)
    output = _terminal(_view("en", record))
    assert "This assignment waives their points" in output


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_the_terminal_report_leads_with_the_cause(lang: str) -> None:
    view = _view(lang)
    output = _terminal(view)
    titles = {c.result.id: c.title for c in view.checks}
    fix = output[output.index(text(lang, "ui", "failures")) :]
    # One panel per cause, in the record's order; the consequences inside the labels' panel.
    panels = [line for line in fix.splitlines() if line.startswith("╭─")]
    assert [titles["run.cells"] in panels[0], titles["data.y_onehot"] in panels[1]] == [True, True]
    assert len(panels) == 2
    labels = fix[fix.index(titles["data.y_onehot"]) :]
    labels = labels[: labels.index("╰")]
    assert ("4 more checks fail" if lang == "en" else "4 件のチェック") in labels
    assert all(titles[c][:10] in labels for c in CONSEQUENCES)
    # The table marks each consequence with its cause, and nothing else.
    table = output[: output.index(text(lang, "ui", "failures"))]
    short = text(lang, "cause", "short", cause="")[:4]
    assert table.count(short) == len(CONSEQUENCES)


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_the_feedback_page_leads_with_the_cause(lang: str) -> None:
    view = _view(lang)
    page = feedback_page(view)
    data = to_data(view)
    assert_page(page, data, EXPECTED)
    assert page.index('id="causes"') < page.index('id="checks"')
    assert '<li id="cause-run.cells">' in page


def test_the_feedback_page_never_names_a_cause_the_student_may_not_see() -> None:
    record = _record(data_y_onehot="hidden")
    page = feedback_page(_view("en", record))
    title = text("en", "check", "data.y_onehot")
    # The consequences stand alone; the labels' check shows its title only, as every hidden one.
    assert 'id="causes"' not in page and 'class="because"' not in page
    assert page.count(title) == 1
    released = feedback_page(_view("en", _record(data_y_onehot="after_due_date"), released=True))
    assert 'class="because"' in released


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_junit_puts_each_consequence_under_its_cause(lang: str) -> None:
    data = to_data(_view(lang))
    xml = junit_xml([data])
    if lang == "en":
        assert_junit(xml, data, EXPECTED)
    else:
        assert "「ラベルがクラスごとに" in xml and "ほかに 4 件" in xml


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_a_pytest_item_leads_with_its_cause(lang: str) -> None:
    view = _view(lang)
    checks = {c.result.id: c for c in view.checks}
    labels = failure_text(checks["data.y_onehot"], view).splitlines()
    history = failure_text(checks["fit.history"], view).splitlines()
    cells = failure_text(checks["run.cells"], view).splitlines()
    assert history[1].strip() == text(
        lang, "cause", "because_of", cause=checks["data.y_onehot"].title
    )
    assert ("4 more checks fail" if lang == "en" else "ほかに 4 件") in labels[-1]
    # A failure that is no other's consequence and has none stands as before.
    assert len(cells) == 4
