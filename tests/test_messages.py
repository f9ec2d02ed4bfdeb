"""Messages exist in Japanese and English, with the same placeholders, for every check."""

from __future__ import annotations

import string

import pytest

from grader.boundary.execution import CellError, CellRun
from grader.boundary.refusals import (
    NETWORK_MESSAGE,
    PROCESS_MESSAGE,
    PROTECTED_MESSAGE,
    SIGNAL_MESSAGE,
    WRITE_MESSAGE,
)
from grader.checks.catalog import load_all
from grader.evidence.hints import hint_for
from grader.messages import catalog, render
from grader.outcome import Message, Term
from grader.record import CheckResult, Record
from grader.report.json_record import to_data
from grader.report.view import build_view
from tests import message_keys

# Keys that are not written where they are used: each is scanned where it is made.
FROM_ELSEWHERE = {
    "batch.py: *job.problem",  # a Job's problem (the scan's ``Job`` form)
    "engine.py: reason.reason",  # an InvalidSubmission's key (its ``InvalidSubmission`` form)
    "report/summary.py: mistake.key",  # a key read back from the records
    "checks/results.py: facts.unmeasured",  # a key measurement/inputs.py returns (its own test)
}


def flatten(node: dict, prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in node.items():
        path = f"{prefix}{key}"
        out.update(flatten(value, path + "/") if isinstance(value, dict) else {path: value})
    return out


def fields(template: str) -> set[str]:
    return {
        f"{name}!{conv}:{spec}"
        for _, name, spec, conv in string.Formatter().parse(template)
        if name is not None
    }


def test_japanese_and_english_have_the_same_keys_and_placeholders() -> None:
    en, ja = flatten(catalog("en")), flatten(catalog("ja"))
    assert set(en) == set(ja)
    mismatched = [k for k in en if fields(en[k]) != fields(ja[k])]
    assert not mismatched


def _in_catalog(section: str, key: str) -> bool:
    """A key of ``section``; a message ``note.X`` is the note ``X`` (``view._note``)."""
    if section == "msg" and key.startswith("note."):
        section, key = "note", key.split(".", 1)[1]
    return key in catalog("en").get(section, {})


def test_every_key_the_code_uses_is_in_the_catalog() -> None:
    """Every form a key takes (``tests/message_keys.py``), f-strings enumerated; the keys that
    come from elsewhere are those scanned where they are made."""
    scan = message_keys.scan()
    assert scan.unresolved == FROM_ELSEWHERE
    forms = {"failed", "not_run", "skipped", "Message", "InvalidSubmission", "Job", "Term", "text"}
    forms |= {"table"}
    assert scan.forms == forms | {"f-string"}, "a form of key the scan no longer finds"
    assert {"note.timeout", "fit.missing", "compile.missing"} <= scan.keys["msg"]
    missing = sorted(
        f"{section}: {key}"
        for section, keys in scan.keys.items()
        for key in keys
        if not _in_catalog(section, key)
    )
    assert not missing


def test_the_key_scan_finds_a_key_that_is_missing() -> None:
    """The scan reads keys through a name bound to a choice, a parameter its callers fill, and
    an f-string it enumerates."""
    source = (
        "def judge(absent):\n    key = 'data.nope' if absent else 'data.x_shape'\n"
        "    return skipped(key), not_run(absent)\n"
        "judge('data.gone')\n"
    )
    found = message_keys.scan_sources({"planted.py": source})
    assert {"data.nope", "data.x_shape", "data.gone"} <= found.keys["msg"]
    assert not _in_catalog("msg", "data.nope") and _in_catalog("msg", "data.x_shape")
    unknown = message_keys.scan_sources({"planted.py": "Message(f'note.{why}')\n"})
    assert unknown.unresolved == {"planted.py: f'note.{why}'"}


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_every_check_has_a_title(lang: str) -> None:
    assert set(load_all()) <= set(catalog(lang)["check"])


def test_a_default_setting_is_a_word_of_the_students_language() -> None:
    message = Message("fit.batch_size", {"found": Term("default_batch_size"), "expected": 128})
    assert render(message, "en").found == "batch_size=default (32)"
    assert "既定値" in render(message, "ja").found and "default" not in render(message, "ja").found
    record = Record(
        "week8",
        "a.ipynb",
        "graded",
        0.0,
        1.0,
        1.0,
        (CheckResult("fit.batch_size", "fit", "failed", 0.0, 1.0, message),),
    )
    assert to_data(build_view(record, "en", "a", None, ""))["checks"][0]["params"] == {
        "found": "default (32)",
        "expected": 128,
    }


@pytest.mark.parametrize(
    ("error", "hint"),
    [
        (NETWORK_MESSAGE, "network"),
        (WRITE_MESSAGE, "sandbox_write"),
        (PROCESS_MESSAGE.format(n=8), "sandbox_processes"),
        (PROTECTED_MESSAGE, "sandbox_reference"),
        (SIGNAL_MESSAGE, "sandbox_signal"),
    ],
)
def test_each_refusal_of_the_kernel_gets_its_hint(error: str, hint: str) -> None:
    cell = CellRun(1, "open('/etc/x', 'w')", "error", 0.1, CellError("PermissionError", error, ""))
    assert hint_for(cell) == hint


def test_every_reason_the_measurement_gives_is_a_message() -> None:
    """``measurement.inputs.training_data`` returns a key where it cannot measure; the accuracy
    check reports it (``facts.unmeasured``)."""
    import ast
    from pathlib import Path

    import grader.measurement.inputs as inputs

    tree = ast.parse(Path(inputs.__file__).read_text(encoding="utf-8"))
    returned = {
        node.value.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Return)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    }
    assert returned and all(key.startswith("results.") for key in returned)
    assert [key for key in sorted(returned) if not _in_catalog("msg", key)] == []
