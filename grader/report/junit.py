"""JUnit XML for CI dashboards: a test suite per submission, a test case per check."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from xml.etree import ElementTree as ET


def junit_xml(records: Sequence[dict[str, Any]]) -> str:
    suites = ET.Element("testsuites", name="grader")
    for record in sorted(records, key=lambda r: str(r.get("id"))):
        checks = record.get("checks", [])
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
        for check in checks:
            case = ET.SubElement(
                suite,
                "testcase",
                classname=f"{record.get('id')}.{check.get('area')}",
                name=str(check.get("id")),
            )
            if not check.get("passed"):
                tag = "skipped" if check.get("status") in ("not_run", "skipped") else "failure"
                ET.SubElement(case, tag, message=str(check.get("message") or check.get("status")))
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"
