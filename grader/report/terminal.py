"""The rich report: a table of checks with points, then what to fix, cell by cell.

Everything the student wrote (tracebacks, layer names) is escaped, so ``[red]`` in a
notebook cannot restyle the report.
"""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from grader.engine import Record
from grader.hints import hint_for
from grader.messages import check_title, render, text
from grader.report.isolation_line import record_line

STYLE = {"passed": "green", "failed": "red", "not_run": "yellow", "skipped": "blue"}
MARK = {"passed": "✔", "failed": "✘", "not_run": "–", "skipped": "○"}


def checks_table(record: Record, lang: str) -> Table:
    ui = lambda key, **p: text(lang, "ui", key, **p)  # noqa: E731
    table = Table(title=ui("title", assignment=record.assignment, submission=escape(record.submission)), expand=False)
    table.add_column(ui("area"))
    table.add_column(ui("check"))
    table.add_column(ui("result"))
    table.add_column(ui("points"), justify="right")
    for check in record.checks:
        style = STYLE[check.status]
        table.add_row(
            text(lang, "area", check.area),
            check_title(check, lang),
            Text(f"{MARK[check.status]} {ui(check.status)}", style=style),
            f"{check.points:g}/{check.max_points:g}",
        )
    table.add_section()
    table.add_row("", Text(ui("total"), style="bold"), Text(text(lang, "status", record.status), style="bold"),
                  Text(f"{record.score:g}/{record.max_score:g}", style="bold"))
    return table


def failures(record: Record, lang: str) -> list[RenderableType]:
    ui = lambda key, **p: text(lang, "ui", key, **p)  # noqa: E731
    parts: list[RenderableType] = []
    messages = [(check_title(c, lang), c.message) for c in record.checks if c.status in ("failed", "not_run") and c.message]
    if record.error is not None:
        messages.insert(0, (text(lang, "status", record.status), record.error))
    for title, message in messages:
        rendered = render(message, lang)
        body = Text()
        body.append(f"{ui('expected')}: ", style="bold")
        body.append(rendered.expected + "\n")
        body.append(f"{ui('found')}: ", style="bold red")
        body.append(rendered.found + "\n")
        body.append(f"{ui('fix')}: ", style="bold green")
        body.append(rendered.fix)
        parts.append(Panel(body, title=escape(title), title_align="left", border_style="red"))
    return parts


def cell_errors(record: Record, lang: str) -> list[RenderableType]:
    if record.facts is None:
        return []
    parts: list[RenderableType] = []
    for cell in record.facts.execution.cells:
        if cell.outcome not in ("error", "timeout"):
            continue
        body = Text(cell.error.traceback if cell.error and cell.error.traceback else
                    f"{cell.error.name}: {cell.error.value}" if cell.error else cell.outcome)
        hint = hint_for(cell)
        if hint:
            body.append("\n→ " + text(lang, "hint", hint), style="bold yellow")
        parts.append(Panel(body, title=escape(text(lang, "ui", "cell", number=cell.number)), title_align="left", border_style="yellow"))
    return parts


def report(record: Record, lang: str) -> RenderableType:
    """The whole report as one renderable."""
    parts: list[RenderableType] = [checks_table(record, lang)]
    fails = failures(record, lang)
    if fails:
        parts.append(Text(text(lang, "ui", "failures"), style="bold"))
        parts.extend(fails)
    errors = cell_errors(record, lang)
    if errors:
        parts.append(Text(text(lang, "ui", "cell_errors"), style="bold"))
        parts.extend(errors)
    if record.notes:
        notes = Text()
        for note in record.notes:
            notes.append("• " + text(lang, "note", note.key.split(".", 1)[1], **note.params) + "\n")
        parts.append(Panel(notes, title=text(lang, "ui", "notes"), title_align="left", border_style="blue"))
    isolation = record_line(record.isolation.to_data() if record.isolation else None, lang)
    if isolation is not None:
        parts.append(Text(isolation[0], style="dim" if isolation[1] else "bold yellow"))
    parts.append(Text(f"{text(lang, 'ui', 'score')}: {record.score:g}/{record.max_score:g} — "
                      + text(lang, "ui", "duration", seconds=record.duration_s), style="bold"))
    return Group(*parts)
