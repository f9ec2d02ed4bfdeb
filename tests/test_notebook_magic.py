"""The self-check from inside a notebook, in a real kernel (nbclient): ``%grade`` and
``grader.check``.

One live notebook is run once (``live``), with one grading: its kernel first knows no notebook
(the missing-path error), then finds it the way Jupyter says it (the server's sessions, asked by
``ipynbname`` of a stand-in server) and grades it with ``%grade`` from a student pack, warned
that the file is not what the kernel ran; the result is data (``_``); it finds the notebook VS
Code's way and through a Colab stand-in (whose contents it writes to a file).  The graded
notebook holds the self-check's cells itself: they do nothing in its grading.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import nbformat
import pytest
from jupyter_client import KernelManager
from nbclient import NotebookClient

from grader.course.assignment import digest, load_assignment, self_check
from grader.messages import text
from grader.platforms.student_pack import pack_for_students
from tests.conftest import ROOT, cli_env

WEEK8 = ROOT / "assignments" / "week8"
STUDENT = WEEK8 / "examples" / "student.ipynb"
NAME = "sub.ipynb"
# What Colab's stand-in answers: week8's starter, named so.
COLAB_NAME = "colab.ipynb"
# The graded notebook's own self-check cells (run in its grading kernel, they must do nothing).
SELF_CHECK_CELLS = ("%load_ext grader", '%grade week8\nimport grader\ngrader.check("week8")')
COLAB_STAND_IN = """
import sys, types, json
names = ("google", "google.colab", "google.colab._message")
google, colab, message = (types.ModuleType(name) for name in names)
google.colab, colab._message = colab, message
message.blocking_request = lambda kind, timeout_sec=None: {{"ipynb": json.load(open({path!r}))}}
sys.modules.update({{"google": google, "google.colab": colab, "google.colab._message": message}})
"""


@dataclass(frozen=True)
class Live:
    folder: Path
    notebook: nbformat.NotebookNode
    # The student pack ``grader.check`` grades from.
    pack: Path

    def outputs(self, number: int, kind: str) -> list[Any]:
        return [o for o in self.notebook.cells[number].outputs if o.output_type == kind]

    def stream(self, number: int, name: str) -> str:
        return "".join(o.text for o in self.outputs(number, "stream") if o.name == name)

    def printed(self, number: int) -> Any:
        return json.loads(self.stream(number, "stdout").splitlines()[-1])


class _Sessions(BaseHTTPRequestHandler):
    """A Jupyter server's ``/api/sessions``, as ``ipynbname`` asks it: this kernel runs NAME."""

    kernel_id = ""

    def do_GET(self) -> None:
        body = json.dumps([{"kernel": {"id": self.kernel_id}, "path": NAME}]).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def jupyter_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """A runtime folder listing a stand-in Jupyter server, and the kernel id it knows."""
    runtime = tmp_path_factory.mktemp("runtime")
    kernel_id = str(uuid.uuid4())
    handler = type("Sessions", (_Sessions,), {"kernel_id": kernel_id})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    folder = tmp_path_factory.mktemp("notebooks")
    info = {"url": f"http://127.0.0.1:{server.server_port}/", "token": "", "root_dir": str(folder)}
    (runtime / "jpserver-1.json").write_text(json.dumps(info))
    yield runtime, kernel_id
    server.shutdown()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, jupyter_server: tuple[Path, str]) -> Live:
    runtime, kernel_id = jupyter_server
    folder = Path(json.loads((runtime / "jpserver-1.json").read_text())["root_dir"])
    graded = nbformat.read(STUDENT, as_version=4)
    graded.cells[:0] = [nbformat.v4.new_code_cell(SELF_CHECK_CELLS[0], id="self-check-load")]
    graded.cells.append(nbformat.v4.new_code_cell(SELF_CHECK_CELLS[1], id="self-check-grade"))
    nbformat.write(graded, folder / NAME)
    starter = nbformat.read(WEEK8 / "starter_en.ipynb", as_version=4)
    starter.metadata["colab"] = {"name": COLAB_NAME}
    nbformat.write(starter, folder / COLAB_NAME)
    pack = tmp_path_factory.mktemp("pack")
    pack_for_students(load_assignment("week8"), pack / "for-students")
    for_students = pack / "for-students"
    cells = [
        'x_train, history = "the student\'s own", [1, 2]\nimport json, os, sys, hashlib',
        "%load_ext grader",
        "%grade week8",
        f"os.environ['JUPYTER_RUNTIME_DIR'] = {str(runtime)!r}",
        f"%grade week8 --lang en --assignments {for_students}",
        "print(json.dumps({'score': _.score, 'max': _.max_score, 'status': _.status, "
        "'file': str(_.submission), 'sha256': _.submission_sha256, "
        "'checks': [[c.id, c.passed, c.points] for c in _.checks], "
        "'warnings': _.warnings, 'digest': _.record['assignment_sha256']}))",
        "from pathlib import Path\nfrom grader.notebook_path import find\n"
        f"__vsc_ipynb_file__ = {str(folder / NAME)!r}\n"
        "found = find(None, get_ipython().user_ns, Path('.'))\ndel __vsc_ipynb_file__\n"
        "print(json.dumps([str(found.path), found.source]))",
        COLAB_STAND_IN.format(path=str(folder / COLAB_NAME))
        + "import tempfile\nfound = find(None, get_ipython().user_ns, Path(tempfile.mkdtemp()))\n"
        "print(json.dumps([found.path.name, found.source, "
        "hashlib.sha256(found.path.read_bytes()).hexdigest()]))",
        "print(json.dumps({'x_train': x_train, 'history': history, 'tensorflow': "
        "'tensorflow' in sys.modules, 'keras': 'keras' in sys.modules}))",
    ]
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    empty = tmp_path_factory.mktemp("no-server")
    manager = KernelManager(
        kernel_name="python3", connection_file=str(empty / f"kernel-{kernel_id}.json")
    )
    env = cli_env(
        JUPYTER_RUNTIME_DIR=str(empty), IPYTHONDIR=str(empty / "ipython"), GRADER_LANG="en"
    )
    env.pop("JPY_SESSION_NAME", None)
    client = NotebookClient(
        notebook,
        km=manager,
        timeout=600,
        allow_errors=True,
        resources={"metadata": {"path": str(folder)}},
    )
    client.execute(env=env)
    return Live(folder, notebook, for_students)


def _page(live: Live, number: int) -> tuple[str, str, str]:
    """The page inside the report's frame, the whole HTML and the report as text, of cell
    ``number``."""
    shown = [o for o in live.outputs(number, "execute_result") if "text/html" in o.data]
    assert len(shown) == 1
    frame = shown[0].data["text/html"]
    srcdoc = re.search(r'srcdoc="([^"]*)"', frame)
    assert srcdoc is not None
    return html.unescape(srcdoc.group(1)), frame, shown[0].data["text/plain"]


def _visible_points() -> float:
    """The points of week 8's checks that a self-check shows."""
    return float(sum(self_check(load_assignment("week8")).points.values()))


@pytest.mark.slow
def test_with_no_notebook_known_it_says_how_to_name_it(live: Live) -> None:
    said = live.stream(2, "stderr")
    assert "UsageError" in said and text("en", "notebook", "no_path", assignment="week8") in said
    assert live.notebook.cells[2].outputs == [o for o in live.outputs(2, "stream")]


@pytest.mark.slow
def test_grade_finds_the_notebook_as_jupyter_says_and_shows_the_report(live: Live) -> None:
    page, frame, plain = _page(live, 4)
    sha256 = hashlib.sha256((live.folder / NAME).read_bytes()).hexdigest()
    # The feedback page: its score, the checks with expected / found / how to fix, the curves.
    total = _visible_points()
    assert f'id="score">{total - 2:g} / {total:g}' in page
    assert page.count('<dl class="message">') == 2 and "How to fix" in page
    assert 'id="reference-curves"' in page and page.count("data:image/png;base64,") >= 3
    # The fingerprint: the graded file's sha256, as the instructor's record carries it.
    assert text("en", "notebook", "fingerprint", sha256=sha256) in frame
    assert f"Score: {total - 2:g}/{total:g}" in plain and sha256 in plain


@pytest.mark.slow
def test_grade_warns_when_the_file_is_not_what_the_kernel_ran(live: Live) -> None:
    warning = text("en", "notebook", "unsaved", file=NAME)
    assert warning in live.stream(4, "stderr")
    assert live.printed(5)["warnings"] == [warning]


@pytest.mark.slow
def test_the_result_is_the_score_and_the_checks_as_data(live: Live) -> None:
    result = live.printed(5)
    total = _visible_points()  # two checks fail, a point each
    assert (result["score"], result["max"], result["status"]) == (total - 2, total, "graded")
    assert result["file"] == str(live.folder / NAME)
    assert result["sha256"] == hashlib.sha256((live.folder / NAME).read_bytes()).hexdigest()
    visible = self_check(load_assignment("week8")).points
    assert [check_id for check_id, _, _ in result["checks"]] == list(visible)
    assert ["run.cells", True, 1.0] in result["checks"]
    assert len([c for c in result["checks"] if not c[1]]) == 2
    # Graded against the pack's assignment (``--assignments``), not the built-in one.
    assert result["digest"] == digest(load_assignment("week8", explicit=[live.pack]))


@pytest.mark.slow
def test_the_graded_notebooks_own_self_check_does_nothing_there(live: Live) -> None:
    """``%load_ext grader``, ``%grade`` and ``grader.check`` in the graded notebook: every cell
    ran without an error, and the grading ended (no grading inside it)."""
    page, _, _ = _page(live, 4)
    assert '<tr class="passed" id="check-run.cells">' in page and 'id="cells"' not in page


@pytest.mark.slow
def test_vscode_and_colab_say_which_notebook_in_their_own_ways(live: Live) -> None:
    assert live.printed(6) == [str(live.folder / NAME), "vscode"]
    # Colab's contents, written as Jupyter writes a notebook: the same bytes, the same fingerprint.
    sha256 = hashlib.sha256((live.folder / COLAB_NAME).read_bytes()).hexdigest()
    assert live.printed(7) == [COLAB_NAME, "colab", sha256]


@pytest.mark.slow
def test_the_live_kernels_variables_and_modules_stay_as_they_were(live: Live) -> None:
    assert live.printed(8) == {
        "x_train": "the student's own",
        "history": [1, 2],
        "tensorflow": False,
        "keras": False,
    }
