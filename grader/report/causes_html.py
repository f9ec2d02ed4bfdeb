"""The feedback page's causes: a "what to fix first" list before the checks (each cause with the
checks that fail because of it under it), and in the table of checks, under each check's message,
what it follows from or what follows from it.

Only the checks the student may see are grouped: a cause they may not see yet is never named.
"""

from __future__ import annotations

from grader.messages import text
from grader.report.causes import Cascade, because, cascades, following_cascade
from grader.report.html_page import esc
from grader.report.view import CheckView, View


def _link(check: CheckView) -> str:
    return f'<a href="#check-{esc(check.result.id)}">{esc(check.title)}</a>'


def shown_cascades(view: View) -> tuple[Cascade, ...]:
    """The cascades of the checks the student may see."""
    return cascades([check for check in view.checks if check.shown])


def causes_section(view: View) -> str:
    """The section that leads with the causes, or nothing when no failure follows from another."""
    groups = shown_cascades(view)
    if not any(group.consequences for group in groups):
        return ""
    items = []
    for group in groups:
        line = following_cascade(group, view.lang)
        under = "".join(f"<li>{check.mark} {_link(check)}</li>" for check in group.consequences)
        items.append(
            f'<li id="cause-{esc(group.cause.result.id)}">{group.cause.mark} {_link(group.cause)}'
            + (f'<p class="following">{esc(line)}</p><ul>{under}</ul>' if line else "")
            + "</li>"
        )
    return (
        f'<section id="causes"><h2>{esc(text(view.lang, "cause", "heading"))}</h2>'
        f'<ol class="causes">{"".join(items)}</ol></section>'
    )


def cause_lines(view: View) -> dict[str, tuple[str, str]]:
    """Check id -> the HTML its detail row carries before and after its message: what it follows
    from (a consequence, first), or what follows from it (a cause, last)."""
    lines: dict[str, tuple[str, str]] = {}
    for group in shown_cascades(view):
        line = following_cascade(group, view.lang)
        if line is not None:
            lines[group.cause.result.id] = ("", f'<p class="following">{esc(line)}</p>')
        for check in group.consequences:
            sentence = because(group.cause.title, view.lang)
            lines[check.result.id] = (
                f'<p class="because"><a href="#check-{esc(group.cause.result.id)}">'
                f"{esc(sentence)}</a></p>",
                "",
            )
    return lines
