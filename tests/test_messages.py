"""Messages exist in Japanese and English, with the same placeholders, for every check."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from grader.checks.catalog import load_all
from grader.messages import catalog

GRADER = Path(__file__).resolve().parent.parent / "grader"


def flatten(node: dict, prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in node.items():
        path = f"{prefix}{key}"
        out.update(flatten(value, path + "/") if isinstance(value, dict) else {path: value})
    return out


def fields(template: str) -> set[str]:
    return {f"{name}!{conv}:{spec}" for _, name, spec, conv in string.Formatter().parse(template) if name is not None}


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
