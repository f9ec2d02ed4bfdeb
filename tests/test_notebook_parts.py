"""The parts of the self-check in a notebook that need no kernel: which file, whether it is
behind what the kernel ran, the magic's options, the result's display, the grading kernel's
stand-ins, and ``import grader`` staying cheap (``test_notebook_magic.py`` runs them in a real
kernel)."""

from __future__ import annotations

import json
import subprocess
import sys
import types
from pathlib import Path

import pytest
from IPython.core.error import UsageError

from grader.messages import text
from grader.notebook_check import check
from grader.notebook_magic import arguments, grade
from grader.notebook_path import SESSION_ENV, NotebookNotFound, find
from grader.notebook_result import SelfCheck
from grader.notebook_saved import Saved, behind, is_self_check
from grader.sandbox.kernel import self_check
from tests.conftest import ROOT, cli_env

HISTORY = ["", "import numpy as np", "x = np.ones(3)", "%grade week8"]


def saved(*cells: tuple[int | None, str]) -> Saved:
    return Saved.of(cells)


def test_a_file_saved_after_the_latest_cell_is_not_behind() -> None:
    # The self-check's own cell (execution 3) is no change to save.
    assert not behind(saved((1, "import numpy as np\n"), (2, "x = np.ones(3)")), HISTORY, 4)
    assert not behind(saved(), ["", "%load_ext grader"], 2)
    # Saved in an earlier session, then run again unchanged (Restart and Run All).
    assert not behind(saved((7, "import numpy as np"), (3, "x = np.ones(3)")), HISTORY, 4)
    # Run, corrected, run again, then saved: the first version is no change to save.
    history = ["", "import numpy as np", "x = np.one(3)", "x = np.ones(3)", "%grade week8"]
    assert not behind(saved((1, "import numpy as np"), (3, "x = np.ones(3)")), history, 5)


def test_a_file_saved_before_the_latest_cell_or_holding_other_code_is_behind() -> None:
    # Saved before the latest cell ran; never saved since the starter (no counts).
    assert behind(saved((1, "import numpy as np"), (None, "x = ...")), HISTORY, 4)
    assert behind(saved((None, "import numpy as np"), (None, "x = ...")), HISTORY, 4)
    # A cell edited after it ran, then saved: the file holds code the kernel did not run.
    history = ["", "import numpy as np", "x = np.ones(3)", "y = x", "%grade week8"]
    edited = saved((1, "import numpy as np"), (2, "x = np.zeros(3)"), (3, "y = x"))
    assert behind(edited, history, 5)
    assert not behind(
        saved((1, "import numpy as np"), (2, "x = np.ones(3)"), (3, "y = x")), history, 5
    )


def test_only_the_self_checks_own_lines_make_a_self_check_cell() -> None:
    assert is_self_check("%load_ext grader\n%grade week8 my.ipynb")
    assert is_self_check("import grader\n# mine\nresult = grader.check('week8')")
    assert not is_self_check("%grade week8\nx = 1")
    assert not is_self_check("")


def test_a_given_path_comes_first_then_the_session_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mine, session = tmp_path / "mine.ipynb", tmp_path / "session.ipynb"
    session.write_text("{}")
    monkeypatch.setenv(SESSION_ENV, str(session))
    assert find(str(mine), {}, tmp_path).source == "given"
    assert find(None, {}, tmp_path).path == session
    monkeypatch.delenv(SESSION_ENV)
    with pytest.raises(NotebookNotFound):
        find(None, {}, tmp_path)


def test_colab_gives_the_notebooks_contents(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    contents = {"cells": [], "metadata": {"colab": {"name": "../My week 8.ipynb"}}, "nbformat": 4}
    message = types.ModuleType("google.colab._message")
    asked = []
    message.blocking_request = lambda kind, timeout_sec=None: (
        asked.append(kind)
        or {  # type: ignore[attr-defined]
            "ipynb": contents
        }
    )
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    monkeypatch.setitem(sys.modules, "google.colab._message", message)
    notebook = find(None, {}, tmp_path)
    assert asked == ["get_ipynb"] and notebook.source == "colab" and not notebook.on_disk
    assert notebook.path == tmp_path / "My week 8.ipynb"
    assert json.loads(notebook.path.read_text(encoding="utf-8")) == contents


def test_with_no_notebook_known_check_says_how_to_name_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(SESSION_ENV, raising=False)
    with pytest.raises(UsageError) as raised:
        check("week8", lang="ja")
    assert str(raised.value) == text("ja", "notebook", "no_path", assignment="week8")
    assert "%grade week8 my_notebook.ipynb" in str(raised.value)


def test_the_magic_takes_the_command_lines_options() -> None:
    line = r'week8 "C:\Users\me\my notebook.ipynb" --lang en --assignments a --assignments b'
    args = grade.parser.parse_args(arguments(line))
    assert (args.assignment, args.path, args.lang, args.assignments) == (
        "week8",
        r"C:\Users\me\my notebook.ipynb",
        "en",
        ["a", "b"],
    )
    with pytest.raises(UsageError):
        grade.parser.parse_args(arguments("week8 --lang fr"))


def test_the_result_shows_the_feedback_page_in_a_frame_and_the_fingerprint() -> None:
    record = {
        "assignment": "week8",
        "status": "graded",
        "score": 1.0,
        "max_score": 2.0,
        "submission_sha256": "ab" * 32,
        "language": "en",
        "checks": [
            {
                "id": "run.cells",
                "title": "<b>every cell</b>",
                "area": "run",
                "status": "failed",
                "passed": False,
                "points": 0.0,
                "max_points": 1.0,
                "message": "Expected: x",
                "visibility": "visible",
                "key": "run.cells",
            }
        ],
    }
    page = '<html><body><p class="x">&lt;b&gt; "quoted"</p><script>x()</script></body></html>'
    result = SelfCheck.of({"record": record, "page": page, "text": "Score: 1/2"}, Path("a.ipynb"))
    assert result.checks[0].title == "<b>every cell</b>" and not result.checks[0].passed
    shown = result._repr_html_()
    assert shown.startswith('<iframe class="grader-report" srcdoc="&lt;html&gt;')
    assert "<script>" not in shown and "&amp;lt;b&amp;gt; &quot;quoted&quot;" in shown
    assert text("en", "notebook", "fingerprint", sha256="ab" * 32) in shown
    assert str(result) == f"Score: 1/2\n{result.fingerprint}"
    assert repr(result) == "SelfCheck('week8', 'a.ipynb': 1/2, graded)"


def test_the_grading_kernel_serves_a_self_check_that_does_nothing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    package = types.ModuleType("grader")
    monkeypatch.setitem(sys.modules, "grader", package)
    magics: dict[str, object] = {}
    shell = types.SimpleNamespace(
        register_magic_function=lambda f, kind, name: magics.__setitem__(name, f)
    )
    self_check.install(shell)
    magics.clear()
    package.load_ipython_extension(shell)  # type: ignore[attr-defined]
    assert package.check("week8") is None  # type: ignore[attr-defined]
    magics["grade"]("week8")  # type: ignore[operator]
    assert capsys.readouterr().out.splitlines() == [
        self_check.NOTE.format(call="grader.check()"),
        self_check.NOTE.format(call="%grade"),
    ]


def test_import_grader_imports_no_notebook_front_end() -> None:
    code = (
        "import sys, grader; print(sorted(m for m in sys.modules "
        "if m.startswith(('grader.', 'IPython', 'nbformat', 'ipynbname'))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=cli_env(), cwd=ROOT
    )
    assert done.stdout.strip() == "[]", done.stderr
