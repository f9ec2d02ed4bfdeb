"""The cascade, as every writer must show it: each cause first, the checks that fail because of it
under it.  Assertions shared by the cascade test of each assignment (they read what a graded run
wrote: its JSON records, feedback pages and ``junit.xml``), and ``record_of``, which turns a JSON
record back into a ``Record`` so the terminal report and the pytest items can be laid out from a
graded run without grading it again.
"""

from __future__ import annotations

import re
from typing import Any
from xml.etree import ElementTree as ET

import pytest

import grader.plugin
from grader.messages import text
from grader.outcome import Message
from grader.record import CheckResult, Record
from grader.report.view import View, build_view

# Cause id -> the ids of the checks that fail because of it, in the record's order.
Cascades = dict[str, list[str]]


def cascades_of(record: dict[str, Any]) -> Cascades:
    """What ``record`` says follows from what (``caused_by``)."""
    found: Cascades = {}
    for check in record["checks"]:
        if check.get("caused_by"):
            found.setdefault(check["caused_by"], []).append(check["id"])
    return found


def assert_record(record: dict[str, Any], expected: Cascades, waived: bool = False) -> None:
    """Exactly ``expected`` follows from what: every other failure is a cause of its own."""
    found = cascades_of(record)
    assert found == expected, (record["id"], record["status"], found)
    checks = {c["id"]: c for c in record["checks"]}
    for cause, consequences in expected.items():
        assert not checks[cause]["passed"] and checks[cause]["caused_by"] is None
        for check_id in consequences:
            assert not checks[check_id]["passed"]
            assert checks[check_id]["waived"] is waived
            assert (checks[check_id]["points"] == checks[check_id]["max_points"]) is waived


def _titles(record: dict[str, Any]) -> dict[str, str]:
    return {c["id"]: c["title"] for c in record["checks"]}


def assert_page(page: str, record: dict[str, Any], expected: Cascades) -> None:
    """The feedback page leads with the causes, each with its consequences under it, and each
    consequence's message is led by its cause."""
    section = page[page.index('<section id="causes">') : page.index('<section id="checks">')]
    assert text(record["language"], "cause", "heading") in section
    for cause, consequences in expected.items():
        item = section[section.index(f'<li id="cause-{cause}">') :]
        item = item[: item.index("</ul></li>")]
        assert [re.findall(r'href="#check-([^"]+)"', item)[0]] == [cause]
        assert re.findall(r'href="#check-([^"]+)"', item)[1:] == consequences
        assert f"{len(consequences)} more check" in item or f"{len(consequences)} 件" in item
        for check_id in consequences:
            row = page[page.index(f'id="check-{check_id}"') :]
            detail = row[row.index('<tr class="detail">') : row.index("</tr>", row.index("detail"))]
            assert detail.index(f'href="#check-{cause}"') < detail.index('<dl class="message">')
    # A failure that is no other's consequence is never named as one.
    assert page.count('<p class="because">') == sum(map(len, expected.values()))


def assert_junit(xml: str, record: dict[str, Any], expected: Cascades) -> None:
    """In ``junit.xml``, each consequence's test case comes right after its cause's, with its
    cause named first in its message and in a ``caused_by`` property."""
    suite = next(s for s in ET.fromstring(xml) if s.get("name") == record["id"])
    cases = [case.get("name") for case in suite.iter("testcase")]
    titles = _titles(record)
    for cause, consequences in expected.items():
        start = cases.index(cause)
        assert cases[start + 1 : start + 1 + len(consequences)] == consequences
        cause_case = suite.find(f"testcase[@name='{cause}']")
        assert cause_case is not None
        message = next(iter(cause_case)).get("message") or ""
        assert f"{len(consequences)} more check" in message
        for check_id in consequences:
            case = suite.find(f"testcase[@name='{check_id}']")
            assert case is not None
            assert case.find("properties/property[@name='caused_by']").get("value") == cause
            failure = (
                case.find("failure") if case.find("failure") is not None else case.find("skipped")
            )
            assert failure is not None
            assert failure.get("message", "").startswith(f"Because of “{titles[cause]}”")
    named = [case for case in suite.iter("testcase") if case.find("properties") is not None]
    assert len(named) == sum(map(len, expected.values()))


def record_of(data: dict[str, Any]) -> Record:
    """A JSON record as the ``Record`` it was written from (its checks; no facts)."""
    checks = tuple(
        CheckResult(
            c["id"],
            c["area"],
            c["status"],
            float(c["points"]),
            float(c["max_points"]),
            Message(c["key"], c.get("params") or {}) if c.get("key") else None,
            {"en": c["title"], "ja": c["title"]} if c["area"] == "custom" else None,
            c.get("visibility", "visible"),
            c.get("caused_by"),
            bool(c.get("waived", False)),
        )
        for c in data["checks"]
    )
    return Record(
        data["assignment"],
        data["submission"],
        data["status"],
        float(data["score"]),
        float(data["max_score"]),
        float(data.get("duration_s") or 0.0),
        checks,
    )


def view_of(data: dict[str, Any], lang: str) -> View:
    return build_view(record_of(data), lang, str(data["id"]), None, "")


def failure_sections(output: str) -> dict[str, list[str]]:
    """A pytest run's failures, by check id: the lines of each failing item's report."""
    parts = re.split(r"^_{3,} \S+::(\S+) _{3,}$", output, flags=re.MULTILINE)
    return {
        check_id: [line for line in body.splitlines() if line.strip()]
        for check_id, body in zip(parts[1::2], parts[2::2])
    }


def assert_items(output: str, record: dict[str, Any], expected: Cascades) -> None:
    """Under ``pytest --assignment``, each consequence's item leads with its cause, each cause's
    item ends with what fails because of it, and the report printed after the items shows the
    consequences in the cause's panel."""
    lang, titles = record["language"], _titles(record)
    sections = failure_sections(output[: output.index("short test summary")])
    leads = {text(lang, "cause", "because_of", cause=title) for title in titles.values()}
    for cause, consequences in expected.items():
        count = f"{len(consequences)} more check" if lang == "en" else f"{len(consequences)} 件"
        assert count in sections[cause][-1], sections[cause]
        for check_id in consequences:
            lead = text(lang, "cause", "because_of", cause=titles[cause])
            assert sections[check_id][1].strip() == lead, sections[check_id]
        panel = output[output.rindex(f"─ {titles[cause]} ─") :]
        panel = panel[: panel.index("╰")]
        assert text(lang, "cause", "following_many", count="", checks="", cost="")[:8] in panel
        for check_id in consequences:
            assert titles[check_id][:12] in panel
    # No other item says it follows from another.
    led = [lines[1].strip() for lines in sections.values() if len(lines) > 1]
    assert sum(line in leads for line in led) == sum(map(len, expected.values()))


def items_of(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, data: dict[str, Any]
) -> str:
    """What ``pytest --assignment`` prints for a notebook graded as ``data`` says: the plugin's
    items and report, laid out from that graded record (the grading itself is not run again)."""
    view = view_of(data, data["language"])
    monkeypatch.setattr(grader.plugin, "prepare_kernel", lambda *args, **kwargs: None)
    monkeypatch.setattr(grader.plugin, "discard_kernel", lambda: None)
    monkeypatch.setattr(grader.plugin, "grade_one", lambda *args, **kwargs: view)
    pytester.makefile(".ipynb", my_notebook="{}")
    result = pytester.runpytest_inprocess(
        f"--assignment={data['assignment']}", f"--lang={data['language']}", "-p", "no:cacheprovider"
    )
    failed = sum(1 for c in data["checks"] if c["status"] in ("failed", "not_run"))
    skipped = sum(1 for c in data["checks"] if c["status"] == "skipped")
    result.assert_outcomes(
        failed=failed, passed=len(data["checks"]) - failed - skipped, skipped=skipped
    )
    return result.stdout.str()
