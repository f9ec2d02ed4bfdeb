"""The layer table of a feedback page: the student's layers beside the expected ones, row by
row (``layer_table.py`` pairs them), the differing cells coloured, the totals below.

The expected model is left out where it would give a check the student may not see away
(``View.disclosure``); everything the student named is escaped.
"""

from __future__ import annotations

from collections.abc import Callable

from grader.messages import text
from grader.report.html_page import esc
from grader.report.layer_table import LayerCell, LayerRow, layer_rows
from grader.report.view import View


def _t(lang: str) -> Callable[..., str]:
    return lambda key, **params: text(lang, "feedback", key, **params)


def _td(content: str, *classes: str) -> str:
    names = " ".join(c for c in classes if c)
    return f'<td class="{names}">{content}</td>' if names else f"<td>{content}</td>"


def _layer_cells(cell: LayerCell | None, differs: frozenset[str], with_name: bool) -> str:
    if cell is None:
        return "<td></td>" * (4 if with_name else 3)
    mark = lambda column: "differs" if column in differs else ""  # noqa: E731
    layer = f"<strong>{esc(cell.class_name)}</strong>" + (
        f'<br><span class="muted">{esc(cell.settings)}</span>' if cell.settings else ""
    )
    return (
        _td(layer, mark("layer"))
        + (_td(esc(cell.name)) if with_name else "")
        + _td(
            esc(cell.output_shape) if cell.output_shape is not None else "", "shape", mark("output")
        )
        + _td(f"{cell.params:,}" if cell.params is not None else "", "num", mark("params"))
    )


def _layer_row(row: LayerRow) -> str:
    css = ' class="differs"' if row.differs else ""
    return (
        f'<tr{css}><td class="num">{row.position}</td>{_layer_cells(row.found, row.differs, True)}'
        f"{_layer_cells(row.expected, row.differs, False)}</tr>"
    )


def layers_section(view: View) -> str:
    """The page's ``#layers`` section; nothing where nothing ran (the error panel says why)."""
    lang = view.lang
    # The expected model gives away what the model checks expect: shown only when the student may
    # read them.
    expected = view.expected if view.disclosure.shows("model") else None
    t = _t(lang)
    facts = view.record.facts
    if facts is None:  # nothing ran: the error panel says why
        return ""
    heading = f'<section id="layers"><h2>{esc(t("layers"))}</h2>'
    if facts.architecture is None:
        return heading + f'<p class="muted">{esc(t("no_model"))}</p></section>'
    rows = layer_rows(
        facts.architecture,
        facts.built,
        expected.architecture if expected else None,
        expected.built if expected else None,
    )
    withheld = view.expected is not None and expected is None
    note = (
        t("expected_withheld")
        if withheld
        else t("no_expected")
        if expected is None
        else t("layers_differ")
        if any(r.differs for r in rows)
        else t("layers_same")
    )
    total_found = f"{facts.built.total_params:,}" if facts.built else ""
    total_expected = f"{expected.built.total_params:,}" if expected else ""
    totals_differ = (
        ' class="differs"'
        if expected and facts.built and facts.built.total_params != expected.built.total_params
        else ""
    )
    return (
        heading + f'<p class="muted">{esc(note)}</p><table id="layer-table">'
        f'<tr><th rowspan="2" class="num">#</th><th colspan="4">{esc(t("your_model"))}</th>'
        f'<th colspan="3">{esc(t("expected_model"))}</th></tr>'
        f"<tr><th>{esc(t('layer'))}</th><th>{esc(t('name'))}</th><th>{esc(t('output'))}</th><th "
        f'class="num">{esc(t("params"))}</th>'
        f"<th>{esc(t('layer'))}</th><th>{esc(t('output'))}</th><th "
        f'class="num">{esc(t("params"))}</th></tr>'
        + "".join(_layer_row(row) for row in rows)
        + f'<tr{totals_differ}><th></th><th colspan="3">{esc(text(lang, "ui", "total"))}</th><th '
        f'class="num">{total_found}</th>'
        f'<th colspan="2"></th><th class="num">{total_expected}</th></tr></table></section>'
    )
