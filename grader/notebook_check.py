"""``grader.check("week8")``: a self-check from inside the notebook, on the saved file.

It finds the notebook (``notebook_path``), warns when the file is behind what the kernel ran
(``notebook_saved``), and grades the file in a process of its own (``notebook_grading``): nothing
of the grading runs in the student's kernel, whose variables, modules and memory stay as they
were; the file runs in a confined kernel forked from the resident fork server, as every grading
does, so a second check finds that server warm.  A cell that runs ``%grade`` or ``grader.check``
in the graded notebook does nothing there (``sandbox/kernel/self_check.py``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from IPython import get_ipython
from IPython.core.error import UsageError

from grader.messages import LANGUAGES, default_language, text
from grader.notebook_path import Notebook, NotebookNotFound, find
from grader.notebook_result import SelfCheck
from grader.notebook_saved import behind, saved_cells

GRADING = [sys.executable, "-m", "grader.notebook_grading"]
# The last lines of the grading process's errors, when it ends without a result.
ERROR_TAIL = 2000

PathLike = str | os.PathLike[str]


def current_shell() -> Any:
    """The IPython shell this runs in (``None`` in plain Python)."""
    return get_ipython()


def _warnings(notebook: Notebook, shell: Any, lang: str) -> tuple[str, ...]:
    """The file is behind what the kernel ran: say so before grading it."""
    if shell is None or not notebook.on_disk:
        return ()
    saved = saved_cells(notebook.path)
    history = getattr(getattr(shell, "history_manager", None), "input_hist_raw", None)
    if saved is None or history is None:
        return ()
    if not behind(saved, history, int(shell.execution_count)):
        return ()
    return (text(lang, "notebook", "unsaved", file=notebook.path.name),)


def _environment() -> dict[str, str]:
    """The grading process's environment: this kernel's, but matplotlib's backend its own (a
    notebook's inline backend needs the kernel)."""
    return {**os.environ, "MPLBACKEND": "Agg"}


def grade_file(
    path: Path,
    assignment: str,
    lang: str,
    assignments: Sequence[Path],
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Grade ``path`` in a process of its own; what it wrote (``notebook_grading``)."""
    with tempfile.TemporaryDirectory(prefix="grader-check-") as folder:
        result = Path(folder) / "result.json"
        errors = Path(folder) / "errors.txt"
        options = [f"--assignments={course}" for course in assignments]
        command = [*GRADING, str(path), f"--assignment={assignment}", f"--lang={lang}", *options]
        with open(errors, "w", encoding="utf-8") as stderr:
            process = subprocess.Popen(
                [*command, f"--result={result}"],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=stderr,
                env=_environment(),
                text=True,
                encoding="utf-8",
                start_new_session=True,
            )
            try:
                assert process.stdout is not None
                for line in process.stdout:
                    said = _said(line)
                    if said is not None and progress is not None:
                        progress(said)
                process.wait()
            except BaseException:
                process.kill()
                process.wait()
                raise
        if not result.is_file():
            tail = errors.read_text(encoding="utf-8", errors="replace")[-ERROR_TAIL:]
            raise UsageError(text(lang, "notebook", "failed", code=process.returncode, tail=tail))
        graded: dict[str, Any] = json.loads(result.read_text(encoding="utf-8"))
    if "error" in graded:
        raise UsageError(str(graded["error"]))
    return graded


def _said(line: str) -> str | None:
    try:
        said = json.loads(line)
    except ValueError:
        return None
    return str(said["progress"]) if isinstance(said, dict) and "progress" in said else None


def check(
    assignment: str,
    path: PathLike | None = None,
    lang: str | None = None,
    assignments: PathLike | Sequence[PathLike] | None = None,
    progress: Callable[[str], None] | None = None,
) -> SelfCheck:
    """Grade the saved notebook against ``assignment`` as ``pytest --assignment`` does; its score
    and checks.  ``path``: the notebook (default: the one this kernel runs, as its front end
    says); ``assignments``: a course's folder(s) of assignments (a student pack); ``progress``:
    told each cell the grading runs.  Raises ``UsageError`` with what to do when it cannot grade."""
    language = lang or default_language()
    if language not in LANGUAGES:
        raise UsageError(f"lang={language!r}: one of {', '.join(LANGUAGES)}")
    folders = (
        []
        if assignments is None
        else [assignments]
        if isinstance(assignments, (str, os.PathLike))
        else list(assignments)
    )
    shell = current_shell()
    with tempfile.TemporaryDirectory(prefix="grader-notebook-") as folder:
        try:
            notebook = find(path, getattr(shell, "user_ns", {}) or {}, Path(folder))
        except NotebookNotFound:
            raise UsageError(text(language, "notebook", "no_path", assignment=assignment)) from None
        if not notebook.path.is_file():
            raise UsageError(text(language, "notebook", "missing", path=str(notebook.path)))
        warnings = _warnings(notebook, shell, language)
        for warning in warnings:
            print(warning, file=sys.stderr, flush=True)
        graded = grade_file(
            notebook.path,
            assignment,
            language,
            [Path(f).expanduser().resolve() for f in folders],
            progress,
        )
    return SelfCheck.of(graded, notebook.path, warnings)
