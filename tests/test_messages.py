"""Messages exist in Japanese and English, with the same placeholders, for every check."""

from __future__ import annotations

import re
import string
from pathlib import Path

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

GRADER = Path(__file__).resolve().parent.parent / "grader"


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


def test_every_message_key_the_code_uses_is_in_the_catalog() -> None:
    used = set()
    for path in GRADER.rglob("*.py"):
        used |= set(re.findall(r'(?:failed|not_run)\("([a-z_.0-9]+)"', path.read_text()))
        used |= set(re.findall(r'InvalidSubmission\("([a-z_.0-9]+)"', path.read_text()))
    assert used, "the scan found no message keys"
    missing = sorted(k for k in used if k not in catalog("en")["msg"])
    assert not missing


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
