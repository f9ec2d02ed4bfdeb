"""Kernel side: the student's kernel process starts here.

The kernelspec runs ``main()`` of this module (see ``scratch.KERNEL_ARGV``); it installs the seal
(``sealing``) before anything else, then the network guard, the offline datasets and the Keras
hooks, imports what every notebook imports
(``WARM_MODULES``: the kernel is often started before its submission is known, so this is not the
student's time), then starts an ordinary IPython kernel.  The configuration arrives as JSON in
``$GRADER_SANDBOX``.
"""

from __future__ import annotations

import functools
import importlib
import json
import os
import sys
from pathlib import Path
from typing import Any

from grader.boundary.legacy_apis import SWITCH as LEGACY_APIS
from grader.boundary.refusals import NETWORK_MESSAGE
from grader.sandbox.kernel import (
    guard,
    legacy,
    legacy_apis,
    offline,
    sealing,
    self_check,
    shell_commands,
)
from grader.sandbox.kernel.hooks import Budget, KerasHooks
from grader.sandbox.kernel.recorder import Recorder
from grader.sandbox.kernel.saving import SavingHooks

CONFIG_ENV = "GRADER_SANDBOX"
# Names the lecture uses; their final types and shapes are recorded as evidence.
WATCHED_NAMES = ("x_train", "y_train", "x_test", "y_test", "model", "history")
# Imported before the kernel answers, after every hook is installed (each applies on import).
# Importing runs no TensorFlow op: the student can still set TensorFlow's threads, devices and
# seeds.
WARM_MODULES = ("numpy", "matplotlib.pyplot", "tensorflow", "keras")

_recorder: Recorder | None = None
_saving: SavingHooks | None = None


def _block_network(event: str, args: tuple[Any, ...]) -> None:
    # An audit hook cannot be removed once added, unlike a patched socket module.
    if event in ("socket.connect", "socket.getaddrinfo", "socket.gethostbyname", "urllib.Request"):
        raise PermissionError(NETWORK_MESSAGE)


def _capture_figures(*_: Any, **__: Any) -> None:
    import matplotlib.pyplot as plt

    assert _recorder is not None
    for number in plt.get_fignums():
        _recorder.figure(plt.figure(number))
    plt.close("all")


def _saved_file(fname: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
    """What a ``savefig`` call wrote: the file's name, format and size (or the kind of target)."""
    try:
        path = os.fspath(fname)
    except TypeError:
        return {
            "file": None,
            "target": type(fname).__name__,
            "format": kwargs.get("format"),
            "bytes": None,
        }
    path = os.fsdecode(path)
    size = os.path.getsize(path) if os.path.isfile(path) else None
    suffix = os.path.splitext(path)[1].lstrip(".").lower()
    return {
        "file": os.path.basename(path)[:200],
        "target": "file",
        "format": kwargs.get("format") or suffix or None,
        "bytes": size,
    }


def _watch_savefig(figure_class: Any) -> None:
    """Record each figure the student saves, with the file it went to."""
    original = figure_class.savefig

    @functools.wraps(original)
    def savefig(self: Any, fname: Any, *args: Any, **kwargs: Any) -> Any:
        result = original(self, fname, *args, **kwargs)
        assert _recorder is not None
        try:
            _recorder.figure(self, saved=_saved_file(fname, kwargs))
        except Exception:  # noqa: BLE001 - recording never breaks the student's savefig
            pass
        return result

    figure_class.savefig = savefig


def _watch_matplotlib(pyplot: Any) -> None:
    pyplot.show = _capture_figures
    import matplotlib.figure

    _watch_savefig(matplotlib.figure.Figure)


def final_dump(_frame: Any = sys._getframe, _audit: Any = sys.audit) -> None:
    """Called by the grader's last cell (``seals.final_cell``): figures still open, the watched
    variables of the notebook's namespace (the caller's globals); the seal then seals the end."""
    ended = False
    try:
        _dump(_frame(1).f_globals)
        ended = True
    finally:
        _audit("grader.end", ended)


def _dump(namespace: dict[str, Any]) -> None:
    assert _recorder is not None
    _capture_figures()
    watched: dict[str, Any] = {}
    for name in WATCHED_NAMES:
        if name not in namespace:
            continue
        value = namespace[name]
        entry: dict[str, Any] = {"type": type(value).__name__}
        if hasattr(value, "shape") and hasattr(value, "dtype"):
            entry.update(
                shape=list(getattr(value, "shape")),
                dtype=str(getattr(value, "dtype")),
                array=_recorder.array(value),
            )
        if hasattr(value, "to_json") and hasattr(value, "layers"):
            try:
                entry["config"] = value.to_json()
            except Exception as exc:  # noqa: BLE001
                entry["config_error"] = f"{type(exc).__name__}: {exc}"[:300]
        if hasattr(value, "history") and isinstance(getattr(value, "history"), dict):
            entry["history"] = value.history
        watched[name] = entry
    _recorder.event("final", variables=watched)
    if _saving is not None:
        _saving.final(namespace)


def _cell_started(info: Any) -> None:
    """Each cell the kernel runs is sealed (the grader matches them with the cells it sent)."""
    sys.audit("grader.cell", str(getattr(info, "raw_cell", "")))


def _warm_up() -> None:
    for name in WARM_MODULES:
        try:
            importlib.import_module(name)
        except Exception:
            # A module missing here fails in the student's cell, as it would.
            pass


def import_ahead(preload: bool) -> None:
    """What the fork server imports before any submission exists: IPython's kernel and, unless
    the assignment turned ``preload`` off, ``WARM_MODULES`` (no hook is installed yet: each
    applies to a module already imported when ``main`` installs it)."""
    if preload:
        _warm_up()
    import ipykernel.kernelapp  # noqa: F401


def main(argv: list[str] | None = None) -> None:
    """Install every hook, then run IPython's kernel with ``argv`` (default: this process's
    arguments)."""
    global _recorder, _saving
    config = json.loads(os.environ[CONFIG_ENV])
    sealing.install(Path(config["artifacts"]))
    sys.addaudithook(_block_network)
    if "guard" in config:
        guard.install(guard.GuardConfig(**config["guard"]))
    _recorder = Recorder(Path(config["artifacts"]), sealed=True)
    offline.install(
        lambda dataset: _recorder.event("dataset", name=dataset.name, synthetic=dataset.synthetic)
    )
    hooks = KerasHooks(_recorder, Budget(**config["budget"]))
    hooks.install()
    _saving = SavingHooks(hooks)
    _saving.install()
    offline.after_import("matplotlib.pyplot", _watch_matplotlib)
    shell_commands.install(_recorder.event)
    compat = config.get("compat", {})
    legacy.install(_recorder.event, compat.get("keras2_paths", True), compat.get("colab", True))
    # After the Keras hooks: ``fit(nb_epoch=...)`` reaches them as ``epochs``.
    legacy_apis.install(_recorder.event, compat.get(LEGACY_APIS, True))
    if config.get("preload", True):
        _warm_up()

    from ipykernel.kernelapp import IPKernelApp

    app = IPKernelApp.instance()
    app.initialize(sys.argv[1:] if argv is None else argv)
    assert app.shell is not None
    # ``%matplotlib inline`` would close figures behind our back; keep the Agg backend.
    app.shell.register_magic_function(lambda line="": None, "line", "matplotlib")
    # The notebook's own ``%grade`` / ``grader.check``: no grading from inside its grading.
    self_check.install(app.shell)
    app.shell.events.register("pre_run_cell", _cell_started)
    sealing.arm([_recorder, hooks, _saving], final_dump, _cell_started)
    app.start()
