"""JUnit XML for CI dashboards: a test suite per submission, a test case per check.

A check that fails because an earlier one failed comes right after its cause, its message led by
what it follows from (and a ``caused_by`` property); the cause's message says what follows from it.
"""

from __future__ import annotations

from collections.abc import Sequence
from xml.etree import ElementTree as ET

from grader.record_data import CheckData, RecordData
from grader.report.causes import because, following, ordered


def _message(check: CheckData, under: list[CheckData], cause: str, lang: str) -> str:
    """A failing case's message: its cause first (a consequence), what follows last (a cause)."""
    message = str(check.get("message") or check.get("status"))
    if cause:
        message = f"{because(cause, lang)} {message}"
    if under:
        titles = [str(c.get("title") or c.get("id")) for c in under]
        message = f"{message} {following(titles, any(c.get('waived') for c in under), lang)}"
    return message


def _case(suite: ET.Element, record: RecordData, check: CheckData) -> ET.Element:
    return ET.SubElement(
        suite,
        "testcase",
        classname=f"{record.get('id')}.{check.get('area')}",
        name=str(check.get("id")),
    )


def _fail(case: ET.Element, check: CheckData, message: str) -> None:
    if not check.get("passed"):
        tag = "skipped" if check.get("status") in ("not_run", "skipped") else "failure"
        ET.SubElement(case, tag, message=message)


def junit_xml(records: Sequence[RecordData]) -> str:
    suites = ET.Element("testsuites", name="grader")
    for record in sorted(records, key=lambda r: str(r.get("id"))):
        checks = record.get("checks", [])
        lang = str(record.get("language") or "en")
        failed = [c for c in checks if not c.get("passed")]
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=str(record.get("id")),
            tests=str(len(checks)),
            failures=str(len(failed)),
            errors="1" if record.get("error") else "0",
            time=str(record.get("duration_s", 0)),
        )
        ET.SubElement(
            ET.SubElement(suite, "properties"),
            "property",
            name="status",
            value=str(record.get("status")),
        )
        if record.get("error"):
            ET.SubElement(suite, "system-err").text = str(record["error"])
        for check, under in ordered(
            checks, lambda c: str(c.get("id")), lambda c: c.get("caused_by")
        ):
            _fail(_case(suite, record, check), check, _message(check, under, "", lang))
            cause = str(check.get("title") or check.get("id"))
            for consequence in under:
                case = _case(suite, record, consequence)
                ET.SubElement(
                    ET.SubElement(case, "properties"),
                    "property",
                    name="caused_by",
                    value=str(check.get("id")),
                )
                _fail(case, consequence, _message(consequence, [], cause, lang))
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"
