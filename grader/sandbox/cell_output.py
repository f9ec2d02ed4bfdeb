"""Grader side: what a cell printed, as the grader keeps it: output past a cap dropped, the text,
and the student's own error."""

from __future__ import annotations

import json
import re
from typing import Any

import nbformat
from nbclient import NotebookClient

from grader.boundary.execution import CellError

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
TRACEBACK_LINES = 40
TRUNCATED = "\n[... output truncated by the grader ...]\n"


class CappedClient(NotebookClient):
    """nbclient's client with one change: output past ``output_cap`` bytes is dropped."""

    output_cap = 64 * 1024

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.output_used = 0
        self.truncated = False

    def output(self, outs: list, msg: dict, display_id: str | None, cell_index: int) -> Any:
        size = len(json.dumps(msg.get("content", {}), default=str))
        if self.output_used + size > self.output_cap:
            if not self.truncated:
                self.truncated = True
                outs.append(nbformat.v4.new_output("stream", name="stdout", text=TRUNCATED))
            return None
        self.output_used += size
        return super().output(outs, msg, display_id, cell_index)


def text_of(outputs: list) -> tuple[str, CellError | None]:
    """What a cell printed (its last 4,000 characters) and the error it raised, if any: the
    student's own traceback, its last lines, without colour codes."""
    texts, error = [], None
    for out in outputs:
        if out.get("output_type") == "stream":
            texts.append(out.get("text", ""))
        elif out.get("output_type") == "error":
            trace = "\n".join(ANSI.sub("", line) for line in out.get("traceback", []))
            trace = "\n".join(trace.splitlines()[-TRACEBACK_LINES:])
            error = CellError(out.get("ename", "Error"), str(out.get("evalue", ""))[:2000], trace)
        elif out.get("output_type") in ("execute_result", "display_data"):
            texts.append(str(out.get("data", {}).get("text/plain", "")))
    return "".join(texts)[-4000:], error
