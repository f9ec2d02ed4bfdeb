"""Which notebook a self-check in a notebook grades: the file its front end says the kernel runs.

``%grade`` and ``grader.check`` grade the saved notebook, so they need its file.  A kernel is not
told which notebook it runs; each front end says so its own way, asked in this order:

- a path the student gives (``%grade week8 my.ipynb``);
- Colab: the notebook's current contents, asked of Colab's own interface (its file lies in Drive,
  out of reach without mounting it), written to a file in ``folder``;
- VS Code (``__vsc_ipynb_file__`` in the user's namespace) and Jupyter (the server's sessions
  name each kernel's notebook): both asked of ``ipynbname``;
- the notebook Jupyter Server names in the kernel's environment when it starts it
  (``JPY_SESSION_NAME``), where the server cannot be asked (a password rather than a token).
"""

from __future__ import annotations

import importlib
import json
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SESSION_ENV = "JPY_SESSION_NAME"
COLAB = "google.colab"
# Colab's interface to its front end: ``blocking_request('get_ipynb')`` answers the notebook.
COLAB_MESSAGE = "google.colab._message"
COLAB_TIMEOUT_S = 30
COLAB_DEFAULT_NAME = "notebook.ipynb"


class NotebookNotFound(Exception):
    """No front end said which notebook this kernel runs, and none was given."""


@dataclass(frozen=True)
class Notebook:
    path: Path
    # Who said where it is: "given", "colab", "vscode", "jupyter" or "session".
    source: str

    @property
    def on_disk(self) -> bool:
        """Whether ``path`` is the file the student saved (Colab's contents are the current ones,
        copied)."""
        return self.source != "colab"


def find(given: str | os.PathLike[str] | None, user_ns: dict[str, Any], folder: Path) -> Notebook:
    """The notebook to grade; raises ``NotebookNotFound`` when nothing says which it is.
    ``user_ns``: the user's namespace (empty outside IPython); ``folder``: where Colab's contents
    are written."""
    if given is not None:
        return Notebook(Path(given).expanduser().resolve(), "given")
    if COLAB in sys.modules:
        contents = colab_contents()
        if contents is not None:
            return Notebook(write_contents(contents, folder), "colab")
    if user_ns:
        found = _ipynbname()
        if found is not None:
            return Notebook(found, "vscode" if "__vsc_ipynb_file__" in user_ns else "jupyter")
    session = os.environ.get(SESSION_ENV)
    # The notebook's full path (Jupyter Server 2.0.7 on), else its path from the server's root;
    # the kernel starts in the notebook's folder.
    for candidate in (Path(session), Path(Path(session).name)) if session else ():
        if candidate.is_file():
            return Notebook(candidate.resolve(), "session")
    raise NotebookNotFound()


def _ipynbname() -> Path | None:
    """The path ``ipynbname`` finds (VS Code's variable, or the Jupyter server's sessions)."""
    import ipynbname

    try:
        path = Path(ipynbname.path())
    except Exception:
        # FileNotFoundError, or a server or connection file it cannot read.
        return None
    return path.resolve() if path.is_file() else None


def colab_contents() -> dict[str, Any] | None:
    """The notebook as Colab's front end holds it now, or ``None`` when it does not answer."""
    try:
        message: Any = importlib.import_module(COLAB_MESSAGE)
        reply = message.blocking_request("get_ipynb", timeout_sec=COLAB_TIMEOUT_S)
    except Exception:  # noqa: BLE001 - not Colab after all, or its front end did not answer
        return None
    notebook = reply.get("ipynb") if isinstance(reply, dict) else None
    return notebook if isinstance(notebook, dict) else None


def write_contents(contents: dict[str, Any], folder: Path) -> Path:
    """Colab's contents as a notebook file in ``folder``, named as Colab names the notebook, laid
    out as Jupyter writes one."""
    metadata = contents.get("metadata")
    colab = metadata.get("colab") if isinstance(metadata, dict) else None
    named = colab.get("name") if isinstance(colab, dict) else None
    name = re.sub(r"[^\w.\- ]", "_", Path(str(named)).name) if named else COLAB_DEFAULT_NAME
    path = folder / (name if name.endswith(".ipynb") else f"{name}.ipynb")
    text = json.dumps(contents, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    path.write_text(text, encoding="utf-8")
    return path
