"""One student's feedback page (``feedback/<id>.html``), in their language.

The page shows what the terminal report shows (score, each check with expected / found /
how to fix, each cause first with what fails because of it (``causes_html.py``), the cells that
raised with their hints) and what only a page can: the
student's own figures beside the reference curves trained under the same budget, and
their layer table beside the expected one with the differing rows coloured
(``layers_html.py``).  Everything the student wrote (layer names, labels, tracebacks, file
names) is escaped.  The page is the student's: a check they may not see yet
(``CheckView.shown``) shows its title only, the score counts only what they may see, and the
expected model and the reference curves are left out where they would give such a check away
(``View.disclosure``).
"""

from __future__ import annotations

from collections.abc import Callable

from grader.messages import text
from grader.report.causes_html import cause_lines, causes_section
from grader.report.curves import curve_pngs
from grader.report.html_page import esc, page, png_data_uri
from grader.report.layers_html import layers_section
from grader.report.view import CheckView, MessageView, View

CURVE_XLABEL = "epoch"
# Where an instructor's overrides and the late deduction go (``report/adjusting.py`` fills it).
ADJUSTMENTS_START, ADJUSTMENTS_END = "<!--adjustments-->", "<!--/adjustments-->"


def _t(lang: str) -> Callable[..., str]:
    return lambda key, **params: text(lang, "feedback", key, **params)


def _message(message: MessageView, lang: str) -> str:
    rendered = message.rendered
    parts = (
        (text(lang, "ui", "expected"), rendered.expected),
        (text(lang, "ui", "found"), rendered.found),
        (text(lang, "ui", "fix"), rendered.fix),
    )
    return (
        '<dl class="message">'
        + "".join(f"<dt>{esc(label)}</dt><dd>{esc(value)}</dd>" for label, value in parts)
        + "</dl>"
    )


def _score(view: View) -> tuple[float, float]:
    """The score and maximum the student may see: without the checks not shown to them."""
    record = view.record
    if all(check.shown for check in view.checks):
        return record.score, record.max_score
    shown = [check.result for check in view.checks if check.shown]
    return float(sum(c.points for c in shown)), float(sum(c.max_points for c in shown))


def _header(view: View) -> str:
    record, t = view.record, _t(view.lang)
    score, max_score = _score(view)
    share = score / max_score if max_score else 0.0
    badge = "ok" if record.status == "graded" else "bad"
    return (
        f"<header><h1>{esc(t('heading', submission=record.submission))}</h1>"
        f'<p class="muted">{esc(t("assignment", assignment=record.assignment))}</p>'
        f'<p><span class="score" id="score">{score:g} / {max_score:g}</span> '
        f'<span class="badge {badge}" id="status">{esc(view.status)}</span></p>'
        f'<div class="bar"><span style="width:{100 * share:.1f}%"></span></div></header>'
    )


def _error(view: View) -> str:
    if view.error is None:
        return ""
    return (
        f'<div class="panel error" id="error"><h3>{esc(view.status)}</h3>'
        f"{_message(view.error, view.lang)}</div>"
    )


def _check_rows(check: CheckView, lang: str, cause: tuple[str, str] = ("", "")) -> str:
    result = check.result
    if not check.shown:
        return (
            '<tr class="withheld" '
            f'id="check-{esc(result.id)}"><td>{esc(check.area)}</td><td>{esc(check.title)}</td>'
            f'<td class="result">{esc(text(lang, "ui", "withheld"))}</td><td '
            f'class="num">–/{result.max_points:g}</td></tr>'
            '<tr class="detail"><td></td><td '
            f'colspan="3">{esc(text(lang, "ui", "withheld_detail"))}</td></tr>'
        )
    row = (
        f'<tr class="{esc(result.status)}" id="check-{esc(result.id)}"><td>{esc(check.area)}</td>'
        f"<td>{esc(check.title)}</td>"
        f'<td class="result">{check.mark} {esc(check.status)}</td>'
        f'<td class="num">{result.points:g}/{result.max_points:g}</td></tr>'
    )
    if check.message is None and not any(cause):
        return row
    message = _message(check.message, lang) if check.message is not None else ""
    before, after = cause
    return row + f'<tr class="detail"><td></td><td colspan="3">{before}{message}{after}</td></tr>'


def _checks(view: View) -> str:
    lang = view.lang
    score, max_score = _score(view)
    ui = lambda key: esc(text(lang, "ui", key))  # noqa: E731
    causes = cause_lines(view)
    rows = "".join(
        _check_rows(check, lang, causes.get(check.result.id, ("", ""))) for check in view.checks
    )
    return (
        f'<section id="checks"><h2>{esc(_t(lang)("checks"))}</h2><table>'
        f"<tr><th>{ui('area')}</th><th>{ui('check')}</th><th>{ui('result')}</th><th "
        f'class="num">{ui("points")}</th></tr>'
        f"{rows}<tr><th></th><th>{ui('total')}</th><th>{esc(view.status)}</th>"
        f'<th class="num">{score:g}/{max_score:g}</th></tr></table></section>'
    )


def _cell_errors(view: View) -> str:
    lang = view.lang
    panels = []
    for cell in view.cells:
        if not cell.failed:
            continue
        hint_html = (
            f"<p><strong>{esc(_t(lang)('hint'))}:</strong> {esc(cell.hint)}</p>"
            if cell.hint
            else ""
        )
        panels.append(
            f'<div class="panel"><h3>{esc(text(lang, "ui", "cell", number=cell.number))}</h3>'
            f"<pre>{esc(cell.trace)}</pre>{hint_html}</div>"
        )
    if not panels:
        return ""
    return (
        f'<section id="cells"><h2>{esc(text(lang, "ui", "cell_errors"))}</h2>'
        f"{''.join(panels)}</section>"
    )


def _figure(png: bytes, caption: str) -> str:
    uri = png_data_uri(png)
    if uri is None:
        return ""
    return (
        f'<figure><img src="{uri}" alt="{esc(caption)}">'
        f'<figcaption class="muted">{esc(caption)}</figcaption></figure>'
    )


def _student_figures(view: View) -> str:
    """The figures the notebook drew (PNG bytes checked at the boundary), captioned by their
    axes."""
    figures = view.record.facts.figures if view.record.facts is not None else ()
    html = []
    for number, figure in enumerate(figures, start=1):
        titles = [a.title or a.ylabel for a in figure.axes if a.title or a.ylabel]
        if figure.png is not None:
            html.append(
                _figure(figure.png, f"{number}. {' / '.join(titles)}" if titles else f"{number}.")
            )
    return "".join(html)


def _curves(view: View) -> str:
    t = _t(view.lang)
    mine = _student_figures(view)
    reference = view.curves
    if not view.disclosure.shows("curves"):
        theirs = f'<p class="muted" id="reference-withheld">{esc(t("reference_withheld"))}</p>'
    elif reference is not None:
        budget = t(
            "reference_budget",
            fit_samples=reference.budget.get("fit_samples", "?"),
            validation_samples=reference.budget.get("validation_samples", "?"),
            batch_size=reference.batch_size,
            epochs=reference.epochs,
        )
        theirs = f'<p class="muted">{esc(budget)}</p>' + "".join(
            _figure(png, quantity) for quantity, png in curve_pngs(reference, CURVE_XLABEL)
        )
    else:
        theirs = f'<p class="muted">{esc(t("no_reference"))}</p>'
    return (
        f'<section id="curves"><h2>{esc(t("curves"))}</h2><div class="side-by-side">'
        f'<div id="student-curves"><h3>{esc(t("your_curves"))}</h3>'
        f"{mine or '<p class=muted>' + esc(t('no_figures')) + '</p>'}</div>"
        "<div "
        f'id="reference-curves"><h3>{esc(t("reference_curves"))}</h3>{theirs}</div></div></section>'
    )


def _notes(view: View) -> str:
    if not view.notes:
        return ""
    items = "".join(f"<li>{esc(note)}</li>" for note in view.notes)
    return (
        f'<section id="notes"><h2>{esc(text(view.lang, "ui", "notes"))}</h2>'
        f'<ul class="notes">{items}</ul></section>'
    )


def feedback_page(view: View) -> str:
    """The whole page as one self-contained HTML document."""
    record, lang = view.record, view.lang
    body = (
        _header(view)
        + ADJUSTMENTS_START
        + ADJUSTMENTS_END
        + _error(view)
        + causes_section(view)
        + _checks(view)
        + _cell_errors(view)
        + _curves(view)
        + layers_section(view)
        + _notes(view)
        + (
            '<footer><p class="muted">'
            f"{esc(text(lang, 'ui', 'duration', seconds=record.duration_s))}</p></footer>"
        )
    )
    return page(
        _t(lang)("page_title", assignment=record.assignment, submission=record.submission),
        lang,
        body,
    )
