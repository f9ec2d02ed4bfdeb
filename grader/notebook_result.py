"""What a self-check in a notebook returns: the score and the checks as data, shown in the cell.

``grader.check`` returns a ``SelfCheck``; ``%grade`` displays one.  Its data is the record
``grader grade --out`` writes (``record``: the same JSON document, with the fingerprint the
instructor's record will carry); its display is the student's feedback page as
``report/feedback_html.py`` renders it (the checks with expected / found / how to fix, the score,
the curves beside the reference's), in a frame of its own so that the notebook's styles and the
page's do not mix, and the terminal report as plain text where a front end shows no HTML.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.messages import text
from grader.record_data import CheckData, RecordData
from grader.report.html_page import esc

# The frame's height until the page inside it says its own (where the front end runs the handler).
FRAME_HEIGHT_PX = 640
FIT_FRAME = (
    "try{this.style.height=(this.contentWindow.document.documentElement.scrollHeight+24)+'px'}"
    "catch(e){}"
)


@dataclass(frozen=True)
class Check:
    """One check's result, as the record holds it (``message``: expected, found, how to fix)."""

    id: str
    title: str
    area: str
    status: str
    passed: bool
    points: float
    max_points: float
    message: str
    visibility: str

    @classmethod
    def of(cls, data: CheckData) -> Check:
        return cls(
            id=data["id"],
            title=data["title"],
            area=data["area"],
            status=data["status"],
            passed=data["passed"],
            points=data["points"],
            max_points=data["max_points"],
            message=data["message"],
            visibility=data["visibility"],
        )


@dataclass(frozen=True, repr=False)
class SelfCheck:
    """A self-check's result: the score, the checks, and the record they come from."""

    assignment: str
    # The file graded (on Colab, a copy of the notebook's contents, removed once graded).
    submission: Path
    status: str
    score: float
    max_score: float
    checks: tuple[Check, ...]
    # sha256 of the graded file: the fingerprint the instructor's record carries for the same file.
    submission_sha256: str | None
    lang: str
    # The record as ``grader grade --out`` writes it, the feedback page, the terminal report.
    record: RecordData = field(compare=False)
    page: str | None = field(compare=False)
    text: str = field(compare=False)
    # The warnings said before grading (a file saved before the latest cell ran).
    warnings: tuple[str, ...] = ()

    @classmethod
    def of(
        cls, graded: dict[str, Any], submission: Path, warnings: tuple[str, ...] = ()
    ) -> SelfCheck:
        """From what ``notebook_grading`` wrote: the record, the page and the report."""
        record: RecordData = graded["record"]
        return cls(
            assignment=record["assignment"],
            submission=submission,
            status=record["status"],
            score=float(record["score"]),
            max_score=float(record["max_score"]),
            checks=tuple(Check.of(check) for check in record["checks"]),
            submission_sha256=record.get("submission_sha256"),
            lang=record.get("language", "en"),
            record=record,
            page=graded.get("page"),
            text=graded.get("text", ""),
            warnings=warnings,
        )

    @property
    def fingerprint(self) -> str:
        return text(self.lang, "notebook", "fingerprint", sha256=self.submission_sha256 or "-")

    def __repr__(self) -> str:
        return (
            f"SelfCheck({self.assignment!r}, {self.submission.name!r}: "
            f"{self.score:g}/{self.max_score:g}, {self.status})"
        )

    def __str__(self) -> str:
        return f"{self.text.rstrip()}\n{self.fingerprint}"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self))

    def _repr_html_(self) -> str:
        footer = f'<p class="grader-fingerprint"><code>{esc(self.fingerprint)}</code></p>'
        if self.page is None:
            return f"<pre>{esc(self.text)}</pre>{footer}"
        return (
            f'<iframe class="grader-report" srcdoc="{esc(self.page)}"'
            f' title="{esc(self.assignment)}"'
            f' style="width:100%;height:{FRAME_HEIGHT_PX}px;border:1px solid #d0d7de"'
            f' onload="{esc(FIT_FRAME)}"></iframe>{footer}'
        )
