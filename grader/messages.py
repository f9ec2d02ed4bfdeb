"""Message catalogs (``locales/<lang>.toml``) and the language choice.

Checks return message keys with parameters; this module turns them into sentences.  A
missing Japanese string falls back to English, a missing English one to the key itself,
so a catalog gap never becomes a crash.
"""

from __future__ import annotations

import locale
import os
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from grader.outcome import Message, Term

LANGUAGES = ("ja", "en")
LOCALES = Path(__file__).parent / "locales"


@dataclass(frozen=True)
class Rendered:
    expected: str
    found: str
    fix: str


@cache
def catalog(lang: str) -> dict[str, Any]:
    path = LOCALES / f"{lang}.toml"
    return tomllib.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def default_language() -> str:
    """Japanese when the locale says so (the course's language), else English."""
    for value in (
        os.environ.get("GRADER_LANG"),
        os.environ.get("LC_ALL"),
        os.environ.get("LANG"),
        locale.getlocale()[0],
    ):
        if value:
            return "ja" if value.lower().startswith("ja") else "en"
    return "en"


def _lookup(lang: str, path: tuple[str, ...]) -> Any:
    for language in (lang, "en"):
        node: Any = catalog(language)
        for part in path:
            node = node.get(part) if isinstance(node, dict) else None
        if node is not None:
            return node
    return None


def _format(template: str, params: dict[str, Any]) -> str:
    try:
        return template.format(**params)
    except (KeyError, IndexError, ValueError):
        return template


def text(lang: str, section: str, key: str, **params: Any) -> str:
    template = _lookup(lang, (section, key))
    return _format(template, params) if isinstance(template, str) else key


def in_language(value: Any, lang: str) -> Any:
    """A parameter in ``lang``: a catalog ``Term``'s word, or a value given in several languages
    (``{"en": ..., "ja": ...}``) in ``lang``, else English; any other value as it is."""
    if isinstance(value, Term):
        return text(lang, "term", value.key)
    if isinstance(value, dict) and value and all(k in LANGUAGES for k in value):
        return value.get(lang, value.get("en", next(iter(value.values()))))
    return value


def render(message: Message, lang: str) -> Rendered:
    entry = _lookup(lang, ("msg", message.key))
    if not isinstance(entry, dict):
        return Rendered("", message.key, "")
    params = {k: in_language(v, lang) for k, v in message.params.items()}
    return Rendered(
        *(_format(str(entry.get(part, "")), params) for part in ("expected", "found", "fix"))
    )


def check_title(check: Any, lang: str) -> str:
    """A check's title: its own (an assignment's custom check) in ``lang``, else the catalog's."""
    own = getattr(check, "title", None)
    if own:
        return str(in_language(own, lang))
    return text(lang, "check", check.id)


def one_line(message: Message, lang: str) -> str:
    """``Expected: …. Found: …. How to fix: …`` — the form used in JSON records and JUnit."""
    r = render(message, lang)
    colon, stop = text(lang, "ui", "colon"), text(lang, "ui", "stop")
    return (
        f"{text(lang, 'ui', 'expected')}{colon}{r.expected}{stop}"
        f"{text(lang, 'ui', 'found')}{colon}{r.found}{stop}"
        f"{text(lang, 'ui', 'fix')}{colon}{r.fix}"
    )
