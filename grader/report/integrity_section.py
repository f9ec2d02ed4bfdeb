"""The class summary's list of records whose evidence was tampered with (``evidence/integrity``),
for the page and the terminal."""

from __future__ import annotations

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from grader.messages import text
from grader.report.class_summary import ClassSummary, Flagged
from grader.report.html_page import esc


def _findings(flagged: Flagged, lang: str) -> list[str]:
    return [text(lang, "integrity", key, **params) for key, params in flagged.findings]


def integrity_html(summary: ClassSummary, lang: str) -> str:
    """The page's section ('' when every record's evidence is intact)."""
    if not summary.integrity:
        return ""
    rows = "".join(
        f'<tr><td>{esc(f.id)}</td><td class="{"warning" if f.status == "tampered" else "muted"}">'
        f"{esc(text(lang, 'integrity', f.status))}</td><td><ul>"
        + "".join(f"<li>{esc(line)}</li>" for line in _findings(f, lang))
        + "</ul></td></tr>"
        for f in summary.integrity
    )
    return (
        f'<section id="integrity"><h2>{esc(text(lang, "summary", "integrity_heading"))}</h2>'
        f'<p class="muted">{esc(text(lang, "summary", "integrity_note"))}</p>'
        f"<table>{rows}</table></section>"
    )


def integrity_renderable(summary: ClassSummary, lang: str) -> RenderableType | None:
    """The terminal's table (``None`` when every record's evidence is intact)."""
    if not summary.integrity:
        return None
    table = Table(
        title=text(lang, "summary", "integrity_heading"),
        title_justify="left",
        caption=text(lang, "summary", "integrity_note"),
        caption_justify="left",
        title_style="bold red",
    )
    table.add_column("id")
    table.add_column(text(lang, "ui", "status"))
    table.add_column("")
    for f in summary.integrity:
        table.add_row(
            Text(f.id),
            Text(text(lang, "integrity", f.status), style="red" if f.status == "tampered" else ""),
            Text("\n".join(_findings(f, lang))),
        )
    return table
