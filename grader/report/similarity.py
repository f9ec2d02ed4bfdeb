"""The similarity report: ``similarity.csv`` and the section of ``summary.html`` that shows
each flagged pair's shared cells side by side.  Students' code is escaped, ids in the CSV
kept from running as formulas."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence

from grader.marks.similarity import Code, Pair
from grader.messages import text
from grader.report.gradebook import spreadsheet_safe
from grader.report.html_page import esc

COLUMNS = ("a", "b", "score", "flagged", "shared", "cells_a", "cells_b")


def similarity_csv(pairs: Sequence[Pair]) -> str:
    """One row per pair with anything in common (and every flagged one), most similar first."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for pair in pairs:
        if pair.shared or pair.flagged:
            row = (
                pair.a,
                pair.b,
                pair.score,
                pair.flagged,
                pair.shared,
                " ".join(map(str, pair.cells_a)),
                " ".join(map(str, pair.cells_b)),
            )
            writer.writerow([spreadsheet_safe(v) for v in row])
    return out.getvalue()


def _side(code: Code | None, cells: Sequence[int], lang: str) -> str:
    if code is None:
        return "<td></td>"
    shown = "".join(
        f'<p class="muted">{esc(text(lang, "similarity", "cell", number=n))}</p>'
        f"<pre>{esc(code.cells[n - 1])}</pre>"
        for n in cells
        if 0 < n <= len(code.cells)
    )
    return f"<td>{shown}</td>"


def similarity_section(pairs: Sequence[Pair], codes: Mapping[str, Code], lang: str) -> str:
    """The summary page's section: the flagged pairs, each with its shared cells side by side."""
    flagged = [p for p in pairs if p.flagged]
    t = lambda key, **params: esc(text(lang, "similarity", key, **params))  # noqa: E731
    body = (
        "".join(
            f'<h3 class="pair">{t("pair", a=p.a, b=p.b, score=p.score, shared=p.shared)}</h3>'
            f'<table class="side-by-side"><tr><th>{esc(p.a)}</th><th>{esc(p.b)}</th></tr>'
            f"<tr>{_side(codes.get(p.a), p.cells_a, lang)}"
            f"{_side(codes.get(p.b), p.cells_b, lang)}</tr></table>"
            for p in flagged
        )
        or f'<p class="muted">{t("none")}</p>'
    )
    return (
        f'<section id="similarity"><h2>{t("heading")}</h2>'
        f'<p class="muted">{t("note", flagged=len(flagged), pairs=len(pairs))}</p>{body}</section>'
    )
