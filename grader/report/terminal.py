"""The rich report: a table of checks with points, then what to fix (each cause first, with the
checks that fail because of it under it), then the cells that raised.

Everything the student wrote (tracebacks, layer names) is escaped, so ``[red]`` in a
notebook cannot restyle the report.
"""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from grader.messages import text
from grader.record_data import RecordData
from grader.report.causes import Cascade, because_short, cascades, causing, following_cascade
from grader.report.view import MessageView, View

STYLE = {"passed": "green", "failed": "red", "not_run": "yellow", "skipped": "blue"}
# A batch's line per submission: a mark by the record's status.
MARKS = {"graded": "✔", "grader_error": "!", "grader_timeout": "!"}


def checks_table(view: View) -> Table:
    lang, record = view.lang, view.record
    ui = lambda key, **p: text(lang, "ui", key, **p)  # noqa: E731
    table = Table(
        title=ui("title", assignment=record.assignment, submission=escape(record.submission)),
        expand=False,
    )
    table.add_column(ui("area"))
    table.add_column(ui("check"))
    table.add_column(ui("result"))
    table.add_column(ui("points"), justify="right")
    causes = causing(view.checks)
    for check in view.checks:
        title = (
            check.title
            if check.result.visibility == "visible"
            else f"{check.title} ({ui('hidden_mark')})"
        )
        result = Text(f"{check.mark} {check.status}", style=STYLE[check.result.status])
        cause = causes.get(check.result.id)
        if cause is not None:
            result.append("\n" + because_short(cause.title, lang), style="dim")
        table.add_row(
            check.area,
            title,
            result,
            f"{check.result.points:g}/{check.result.max_points:g}",
        )
    table.add_section()
    table.add_row(
        "",
        Text(ui("total"), style="bold"),
        Text(view.status, style="bold"),
        Text(f"{record.score:g}/{record.max_score:g}", style="bold"),
    )
    return table


def _panel(title: str, message: MessageView, lang: str, cascade: Cascade | None = None) -> Panel:
    body = Text()
    body.append(f"{text(lang, 'ui', 'expected')}: ", style="bold")
    body.append(message.rendered.expected + "\n")
    body.append(f"{text(lang, 'ui', 'found')}: ", style="bold red")
    body.append(message.rendered.found + "\n")
    body.append(f"{text(lang, 'ui', 'fix')}: ", style="bold green")
    body.append(message.rendered.fix)
    line = following_cascade(cascade, lang) if cascade is not None else None
    if cascade is not None and line is not None:
        # What follows from this failure, under it: each check with what it found.
        body.append("\n\n" + line, style="bold")
        for check in cascade.consequences:
            found = check.message.rendered.found if check.message is not None else ""
            found = text(lang, "ui", "colon") + found if found else ""
            body.append(f"\n  {check.mark} {check.title}{found}", style="dim")
    return Panel(body, title=escape(title), title_align="left", border_style="red")


def failures(view: View) -> list[RenderableType]:
    """The submission's error, then each failed check that is no other's consequence, with those
    that are under it."""
    parts: list[RenderableType] = (
        [_panel(view.status, view.error, view.lang)] if view.error is not None else []
    )
    parts.extend(
        _panel(cascade.cause.title, cascade.cause.message, view.lang, cascade)
        for cascade in cascades(view.unpassed)
        if cascade.cause.message is not None
    )
    return parts


def cell_errors(view: View) -> list[RenderableType]:
    parts: list[RenderableType] = []
    for cell in view.cells:
        if not cell.failed:
            continue
        body = Text(cell.trace)
        if cell.hint:
            body.append("\n→ " + cell.hint, style="bold yellow")
        parts.append(
            Panel(
                body,
                title=escape(text(view.lang, "ui", "cell", number=cell.number)),
                title_align="left",
                border_style="yellow",
            )
        )
    return parts


def report(view: View) -> RenderableType:
    """The whole report as one renderable."""
    lang = view.lang
    parts: list[RenderableType] = [checks_table(view)]
    fails = failures(view)
    if fails:
        parts.append(Text(text(lang, "ui", "failures"), style="bold"))
        parts.extend(fails)
    errors = cell_errors(view)
    if errors:
        parts.append(Text(text(lang, "ui", "cell_errors"), style="bold"))
        parts.extend(errors)
    if view.notes:
        notes = Text()
        for note in view.notes:
            notes.append("• " + note + "\n")
        parts.append(
            Panel(notes, title=text(lang, "ui", "notes"), title_align="left", border_style="blue")
        )
    if view.isolation is not None:
        parts.append(Text(view.isolation[0], style="dim" if view.isolation[1] else "bold yellow"))
    integrity = view.record.integrity
    if integrity is not None and integrity.status != "intact":
        lines = [text(lang, "ui", "integrity", status=text(lang, "integrity", integrity.status))]
        lines += ["• " + text(lang, "integrity", f.key, **f.params) for f in integrity.findings]
        parts.append(Text("\n".join(lines), style="bold red"))
    parts.append(
        Text(
            f"{text(lang, 'ui', 'score')}: {view.record.score:g}/{view.record.max_score:g} — "
            + text(lang, "ui", "duration", seconds=view.record.duration_s),
            style="bold",
        )
    )
    return Group(*parts)


def result_line(record: RecordData, lang: str) -> str:
    """A batch's one line for a submission, from its JSON document."""
    return text(
        lang,
        "ui",
        "result_line",
        mark=MARKS.get(record["status"], "✘"),
        id=escape(str(record["id"])),
        status=text(lang, "status", record["status"]),
        score=f"{record['score']:g}",
        max_score=f"{record['max_score']:g}",
        seconds=float(record.get("duration_s") or 0),
    )
