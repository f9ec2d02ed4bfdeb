"""Text a student controls, made safe for a terminal: every control sequence taken out.

A student's error message, output, layer names and file names reach the instructor's terminal.
A terminal obeys what it reads: an OSC sequence sets the window's title, writes the clipboard
(OSC 52) or makes a link (OSC 8); a DCS sequence talks to the terminal itself; a CSI sequence
moves the cursor, clears the screen or switches to the alternate screen; C1 controls are the
same sequences in one byte.  ``terminal_safe`` removes every one of them, payload included, and
then every control character that is left but newline and tab, so whatever it missed cannot
start a sequence.

It is applied in one place: ``SafeConsole`` (the only console the command line and the pytest
front end print through) cleans the text of every segment it renders, while the sequences
rich writes for its own styles and progress bars (never in a segment's text) pass; the pytest
front end's plain strings go through ``terminal_safe`` itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from rich.console import Console, ConsoleOptions, RenderableType
from rich.segment import Segment

# A string terminated by ST (ESC \, or C1 ST), or by BEL (what terminals accept for OSC).
_STRING_END = r"(?:\x1b\\|\x9c|\x07)"
_SEQUENCES = re.compile(
    # OSC, DCS, SOS, PM, APC: ESC ] / P / X / ^ / _ and their C1 forms, up to their terminator.
    r"(?:\x1b[\]PX^_]|[\x9d\x90\x98\x9e\x9f])[^\x07\x1b\x9c]*"
    + _STRING_END
    # CSI: ESC [ or C1 CSI, parameters and intermediates (any, ? and > included), a final byte.
    + r"|(?:\x1b\[|\x9b)[\x20-\x3f]*[\x40-\x7e]"
    # Any other escape: intermediates, then one final character (ESC c resets the terminal).
    + r"|\x1b[\x20-\x2f]*[\x30-\x7e]"
)
# Whatever is left: C0 controls but tab and newline, DEL, C1 controls; and the bidirectional
# overrides, which reorder what the instructor reads.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def terminal_safe(text: str) -> str:
    """``text`` without any terminal control sequence or control character (but ``\\n``,
    ``\\t``)."""
    return _CONTROLS.sub("", _SEQUENCES.sub("", text))


class SafeConsole(Console):
    """A rich console whose rendered text holds no control sequence from the data it shows.

    Every renderable is rendered through ``render`` (tables render their cells through it too),
    so cleaning each text segment there covers whatever is printed; a control segment is rich's
    own (cursor moves of a live display) and passes."""

    def render(
        self, renderable: RenderableType, options: ConsoleOptions | None = None
    ) -> Iterable[Segment]:
        for segment in super().render(renderable, options):
            if segment.control or not segment.text:
                yield segment
            else:
                yield Segment(terminal_safe(segment.text), segment.style, segment.control)
