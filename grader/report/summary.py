"""The class summary, as ``summary.html`` and as a rich renderable for the terminal.

Both are drawn from the same ``ClassSummary`` (``class_summary.summarise``), which is
computed from the per-submission JSON documents only: counts by status, a score
histogram (inline SVG on the page, bars of blocks in the terminal), the failure rate of
each check, the most common mistakes with a concrete example, and the timings.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from rich.console import Group, RenderableType
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from grader.atomic_write import write_atomic
from grader.messages import one_line, text
from grader.outcome import Message
from grader.record_data import RecordData
from grader.report.class_summary import Bin, ClassSummary, Mistake, summarise
from grader.report.html_page import esc, page
from grader.report.integrity_section import integrity_html, integrity_renderable
from grader.report.isolation_line import batch_line

SVG_WIDTH, SVG_HEIGHT = 720, 260
SVG_MARGIN = {"left": 44, "right": 12, "top": 20, "bottom": 44}
BAR_COLOUR = "#0969da"
TERMINAL_BAR = 40


def _t(lang: str) -> Callable[..., str]:
    return lambda key, **params: text(lang, "summary", key, **params)


def _mistake_title(mistake: Mistake, lang: str) -> str:
    return (
        text(lang, "check", mistake.check)
        if mistake.check
        else text(lang, "status", "invalid_submission")
    )


def _example(mistake: Mistake, lang: str) -> str:
    return one_line(Message(mistake.key, mistake.params), lang)


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "–"


def _bin_label(b: Bin) -> str:
    return f"{b.low:g}" if b.high - b.low == 1 else f"{b.low:.1f}–{b.high:.1f}"


def histogram_svg(summary: ClassSummary, lang: str) -> str:
    """The score histogram as an inline SVG (no script, no external reference)."""
    bins = summary.histogram
    left, right, top, bottom = (SVG_MARGIN[k] for k in ("left", "right", "top", "bottom"))
    plot_w, plot_h = SVG_WIDTH - left - right, SVG_HEIGHT - top - bottom
    tallest = max((b.count for b in bins), default=0) or 1
    width = plot_w / len(bins) if bins else plot_w
    parts = [
        f'<svg id="histogram" width="{SVG_WIDTH}" height="{SVG_HEIGHT}" '
        f'viewBox="0 0 {SVG_WIDTH} {SVG_HEIGHT}" '
        f'role="img"><title>{esc(_t(lang)("histogram"))}</title>',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" '
        'stroke="#57606a"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="#57606a"/>',
        f'<text x="{left - 6}" y="{top + 4}" font-size="11" text-anchor="end">{tallest}</text>',
        f'<text x="{left - 6}" y="{top + plot_h}" font-size="11" text-anchor="end">0</text>',
    ]
    label_every = max(1, -(-len(bins) // 13))
    for index, b in enumerate(bins):
        x = left + index * width
        height = plot_h * b.count / tallest
        if b.count:
            parts.append(
                f'<rect class="histogram-bar" x="{x + 1:.1f}" y="{top + plot_h - height:.1f}" '
                f'width="{max(width - 2, 1):.1f}" '
                f'height="{height:.1f}" fill="{BAR_COLOUR}"><title>{esc(_bin_label(b))}: '
                f"{b.count}</title></rect>"
            )
            parts.append(
                f'<text x="{x + width / 2:.1f}" y="{top + plot_h - height - 3:.1f}" font-size="11" '
                f'text-anchor="middle">{b.count}</text>'
            )
        if index % label_every == 0:
            parts.append(
                f'<text x="{x + width / 2:.1f}" y="{top + plot_h + 14}" font-size="11" '
                f'text-anchor="middle">{esc(_bin_label(b))}</text>'
            )
    parts.append(
        f'<text x="{left + plot_w / 2:.1f}" y="{SVG_HEIGHT - 8}" font-size="12" '
        'text-anchor="middle">'
        f"{esc(_t(lang)('histogram_axis', max_score=summary.max_score))}</text></svg>"
    )
    return "".join(parts)


def _scores_line(summary: ClassSummary, lang: str) -> str:
    if summary.mean_score is None or summary.median_score is None:
        return _t(lang)("no_scores")
    return _t(lang)("mean_score", mean=summary.mean_score, median=summary.median_score)


def _status_table(summary: ClassSummary, lang: str) -> str:
    t = _t(lang)
    rows = "".join(
        f'<tr id="status-{esc(status)}"><td>{esc(text(lang, "status", status))}</td><td '
        f'class="num">{count}</td>'
        f'<td class="num">{_percent(count, summary.total)}</td></tr>'
        for status, count in summary.by_status
    )
    return (
        f'<section id="statuses"><h2>{esc(t("by_status"))}</h2>'
        f"<table><tr><th>{esc(text(lang, 'ui', 'status'))}</th>"
        f'<th class="num">{esc(t("count"))}</th><th '
        f'class="num">{esc(t("share"))}</th></tr>{rows}</table></section>'
    )


def _check_table(summary: ClassSummary, lang: str) -> str:
    t = _t(lang)
    rows = "".join(
        f'<tr id="rate-{esc(c.id)}"><td>{esc(text(lang, "check", c.id))}</td><td '
        f'class="num">{c.failed}</td>'
        f'<td class="num">{c.not_run}</td><td class="num rate">{100 * c.rate:.0f}%</td>'
        '<td style="width:30%"><div class="bar"><span '
        f'style="width:{100 * c.rate:.1f}%;background:#cf222e"></span></div></td></tr>'
        for c in summary.checks
    )
    return (
        f'<section id="check-rates"><h2>{esc(t("check_rates"))}</h2><p '
        f'class="muted">{esc(t("check_rates_note"))}</p>'
        f"<table><tr><th>{esc(text(lang, 'ui', 'check'))}</th><th "
        f'class="num">{esc(t("failed"))}</th>'
        f'<th class="num">{esc(t("not_run"))}</th><th '
        f'class="num">{esc(t("rate"))}</th><th></th></tr>{rows}</table></section>'
    )


def _mistake_table(summary: ClassSummary, lang: str) -> str:
    t = _t(lang)
    if not summary.mistakes:
        return (
            f'<section id="mistakes"><h2>{esc(t("mistakes"))}</h2>'
            f"<p>{esc(t('no_mistakes'))}</p></section>"
        )
    rows = "".join(
        f'<tr><td>{esc(_mistake_title(m, lang))}<br><code class="muted">{esc(m.key)}</code></td>'
        f'<td class="num">{m.count}</td><td>{esc(_example(m, lang))}</td></tr>'
        for m in summary.mistakes
    )
    return (
        "<section "
        f'id="mistakes"><h2>{esc(t("mistakes"))}</h2><table><tr><th>{esc(t("mistake"))}</th>'
        f'<th class="num">{esc(t("count"))}</th><th>{esc(t("example"))}</th></tr>'
        f"{rows}</table></section>"
    )


def _timings(summary: ClassSummary, lang: str) -> list[tuple[str, str]]:
    t = _t(lang)
    seconds = lambda value: t("seconds", seconds=value) if value is not None else "–"  # noqa: E731
    return [
        (t("median"), seconds(summary.median_duration)),
        (t("maximum"), seconds(summary.max_duration)),
        (t("total"), seconds(summary.total_duration)),
    ]


def _timing_table(summary: ClassSummary, lang: str) -> str:
    cells = "".join(
        f'<tr><th>{esc(label)}</th><td class="num">{esc(value)}</td></tr>'
        for label, value in _timings(summary, lang)
    )
    return (
        f'<section id="timings"><h2>{esc(_t(lang)("timings"))}</h2>'
        f'<table style="width:auto">{cells}</table></section>'
    )


def summary_page(records: Sequence[RecordData], lang: str, extra: str = "") -> str:
    """``summary.html`` for a batch, from its per-submission JSON documents (and ``extra``
    sections already rendered, such as the similarity report)."""
    summary = summarise(records)
    t = _t(lang)
    body = (
        f"<header><h1>{esc(t('heading', assignment=summary.assignment))}</h1>"
        f'<p class="score" id="total">{esc(t("submissions", count=summary.total))}</p></header>'
        + _status_table(summary, lang)
        + f'<section id="scores"><h2>{esc(t("histogram"))}</h2>{histogram_svg(summary, lang)}'
        f'<p class="muted">{esc(_scores_line(summary, lang))}</p></section>'
        + _check_table(summary, lang)
        + _mistake_table(summary, lang)
        + _timing_table(summary, lang)
        + integrity_html(summary, lang)
        + extra
    )
    isolation = batch_line(records, lang)
    if isolation is not None:
        body += (
            f'<p id="isolation" class="{"muted" if isolation[1] else "warning"}">'
            f"{esc(isolation[0])}</p>"
        )

    return page(t("page_title", assignment=summary.assignment), lang, body)


def write_summary(
    records: Sequence[RecordData], lang: str, directory: Path, extra: str = ""
) -> Path:
    """Write ``<directory>/summary.html`` atomically."""
    return write_atomic(directory / "summary.html", summary_page(records, lang, extra))


def summary_renderable(records: Sequence[RecordData], lang: str) -> RenderableType:
    """The same summary for the terminal (everything from the records escaped)."""
    summary = summarise(records)
    t = _t(lang)
    statuses = Table(title=t("by_status"), title_justify="left")
    statuses.add_column(text(lang, "ui", "status"))
    statuses.add_column(t("count"), justify="right")
    statuses.add_column(t("share"), justify="right")
    for status, count in summary.by_status:
        statuses.add_row(
            escape(text(lang, "status", status)), str(count), _percent(count, summary.total)
        )
    tallest = max((b.count for b in summary.histogram), default=0) or 1
    bars = Text(t("histogram") + "\n", style="bold")
    for b in summary.histogram:
        bars.append(f"{_bin_label(b):>9} ")
        bars.append("█" * round(TERMINAL_BAR * b.count / tallest), style="blue")
        bars.append(f" {b.count}\n" if b.count else "\n")
    bars.append(_scores_line(summary, lang))
    rates = Table(
        title=t("check_rates"),
        title_justify="left",
        caption=t("check_rates_note"),
        caption_justify="left",
    )
    for column, justify in (
        (text(lang, "ui", "check"), "left"),
        (t("failed"), "right"),
        (t("not_run"), "right"),
        (t("rate"), "right"),
    ):
        rates.add_column(column, justify=justify)  # type: ignore[arg-type]
    for c in summary.checks:
        rates.add_row(
            escape(text(lang, "check", c.id)),
            str(c.failed),
            str(c.not_run),
            f"{100 * c.rate:.0f}%",
            style="red" if c.rate >= 0.5 else None,
        )
    mistakes = Table(title=t("mistakes"), title_justify="left")
    mistakes.add_column(t("mistake"))
    mistakes.add_column(t("count"), justify="right")
    mistakes.add_column(t("example"))
    for m in summary.mistakes:
        mistakes.add_row(
            Text(f"{_mistake_title(m, lang)}\n{m.key}"), str(m.count), Text(_example(m, lang))
        )
    timings = Text(
        t("timings")
        + ": "
        + ", ".join(f"{label} {value}" for label, value in _timings(summary, lang))
    )
    parts: list[RenderableType] = [
        Text(
            t("heading", assignment=summary.assignment)
            + " — "
            + t("submissions", count=summary.total),
            style="bold",
        ),
        statuses,
        bars,
        rates,
    ]
    parts.append(mistakes if summary.mistakes else Text(t("no_mistakes")))
    parts.append(timings)
    flagged = integrity_renderable(summary, lang)
    parts += [flagged] if flagged is not None else []
    isolation = batch_line(records, lang)
    if isolation is not None:
        parts.append(Text(isolation[0], style="dim" if isolation[1] else "bold yellow"))
    return Group(*parts)
