"""Grader side: the folder a kernel lives in, and everything it is started with.

One fresh folder per submission (``Scratch``): the kernel's working directory, HOME and
TMPDIR (nothing one notebook leaves reaches the next), the sockets it talks to the
grader through, a ``sys.path`` folder holding only the ``grader`` package, the kernel
spec, and the confinement plan with the report the launcher writes back.  The kernel
can write in ``work``, ``home``, ``tmp`` and ``ipc`` (and the evidence folder), nothing
else; its environment is an allowlist of the grader's plus its own configuration.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.boundary.execution import Limits
from grader.datasets import NAMES, cache_dir
from grader.datasets.cache import cached_path
from grader.sandbox import filesystem_plan, isolation, off_limits
from grader.sandbox.kernel.boot import CONFIG_ENV
from grader.sandbox.system.host import SIMULATE_ENV

KERNEL_NAME = "grader-sandbox"
KERNEL_ARGV = [
    sys.executable,
    "-c",
    "import grader.sandbox.kernel.boot as b; b.main()",
    "-f",
    "{connection_file}",
]
ENV_ALLOWED = frozenset(
    {
        "PATH",
        "LANG",
        "LANGUAGE",
        "TZ",
        "USER",
        "LOGNAME",
        "TERM",
        "LD_LIBRARY_PATH",
        "PYTHONHASHSEED",
        "KERAS_BACKEND",
        "TF_ENABLE_ONEDNN_OPTS",
        "TF_NUM_INTEROP_THREADS",
        "TF_NUM_INTRAOP_THREADS",
        "TF_DETERMINISTIC_OPS",
    }
)
ENV_ALLOWED_PREFIXES = ("LC_", "OMP_", "MKL_", "OPENBLAS_")
FONT_CACHE = "matplotlib"


@dataclass(frozen=True)
class Scratch:
    root: Path

    @property
    def work(self) -> Path:
        return self.root / "work"

    @property
    def writable(self) -> list[Path]:
        return [self.root / name for name in ("work", "home", "tmp", "ipc")]

    @property
    def connection_file(self) -> Path:
        return self.root / "connection.json"

    @property
    def ipc(self) -> Path:
        return self.root / "ipc" / "kernel"

    @property
    def plan(self) -> Path:
        return self.root / "plan.json"

    @property
    def report(self) -> Path:
        return self.root / "isolation.json"

    @property
    def kernels(self) -> Path:
        return self.root / "kernels"


def font_cache() -> Path:
    """Matplotlib's font list, built once per cache by the grader and copied into each
    kernel's HOME: a kernel would otherwise rebuild it (a second or more) in every grading."""
    folder = cache_dir() / FONT_CACHE
    if not any(folder.glob("fontlist-*.json")):
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, "-c", "import matplotlib.font_manager"],
            env={**os.environ, "MPLCONFIGDIR": str(folder)},
            capture_output=True,
            timeout=120,
            check=False,
        )
    return folder


def guard_config(limits: Limits, off: off_limits.OffLimits, granted: list[str]) -> dict[str, Any]:
    """The in-kernel guard's configuration: its limits, and what ``off`` declares (``granted``:
    what Landlock's plan grants for reading, ``OffLimits.guard``)."""
    return {
        "max_processes": limits.max_processes,
        # Twice the parent's cap: the parent's own cap is the one reported; this one stops floods
        # early.
        "output_chars": 2 * limits.output_bytes,
        # Address space for data, generous above the watchdog's RSS limit: TensorFlow maps more than
        # it uses.
        "memory_mb": 2 * limits.memory_mb,
        "file_mb": limits.disk_mb,
        **off.guard(granted),
    }


def base_env() -> dict[str, str]:
    """The grader's environment, allowlisted: no tokens or secrets reach student code."""
    return {
        k: v
        for k, v in os.environ.items()
        if k in ENV_ALLOWED or k.startswith(ENV_ALLOWED_PREFIXES)
    }


def _link(link: Path, target: Path) -> None:
    """``link`` pointing at ``target``; a copy where symbolic links need a privilege (Windows)."""
    try:
        link.symlink_to(target)
    except OSError:
        if target.is_dir():
            shutil.copytree(target, link, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copyfile(target, link)


def lay_out(root: Path) -> Path:
    """The folders of a process started with a kernel's environment in ``root`` (a kernel, the
    fork server): writable ones, HOME with matplotlib's font list, and a ``sys.path`` folder
    holding only what the kernel imports of the grader.  Returns that folder."""
    for folder in Scratch(root).writable:
        folder.mkdir()
    pythonpath = root / "pythonpath"
    (pythonpath / "grader").mkdir(parents=True)
    package = off_limits.package()
    for part in off_limits.KERNEL_PACKAGE_PARTS:
        # Only what the kernel imports: the package's own folder is never listed or read there.
        (pythonpath / "grader" / part).parent.mkdir(parents=True, exist_ok=True)
        _link(pythonpath / "grader" / part, package / part)
    (root / "home" / ".matplotlib").mkdir()
    for fonts in font_cache().glob("fontlist-*.json"):
        shutil.copyfile(fonts, root / "home" / ".matplotlib" / fonts.name)
    return pythonpath


def kernel_env(root: Path, pythonpath: Path) -> dict[str, str]:
    """A kernel's environment besides the grader's allowlisted one and its configuration: its
    HOME, TMPDIR and caches in ``root``, TensorFlow quiet and on the CPU, matplotlib on Agg."""
    home = root / "home"
    return {
        "MPLBACKEND": "Agg",
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "CUDA_VISIBLE_DEVICES": "-1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONPATH": str(pythonpath),
        "HOME": str(home),
        "TMPDIR": str(root / "tmp"),
        "KERAS_HOME": str(home / ".keras"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "GRADER_CACHE_DIR": str(cache_dir()),
        "MPLCONFIGDIR": str(home / ".matplotlib"),
        # What a test simulates away applies to the kernel's side too (the guard's rlimits, its
        # process tree).
        **({SIMULATE_ENV: os.environ[SIMULATE_ENV]} if os.environ.get(SIMULATE_ENV) else {}),
    }


def prepare(
    root: Path,
    artifacts: Path,
    budget: dict[str, int],
    limits: Limits,
    private: Sequence[Path] = (),
    preload: bool = True,
    compat: Mapping[str, bool] | None = None,
    resources: Mapping[str, Any] | None = None,
) -> Scratch:
    """Lay out ``root`` for one kernel: folders, kernel spec, environment and confinement plan
    (with ``resources``, what its first process takes: ``filesystem_plan.write_plan``);
    ``private`` are folders (the course's assignments) hidden from it besides the usual ones
    (``off_limits.declare``);
    ``preload``: whether the kernel imports TensorFlow and the rest before it answers
    (``boot.WARM_MODULES``); ``compat``: the assignment's ``[compat]`` switches
    (``legacy_paths.SWITCHES``; one not given is on)."""
    scratch = Scratch(root)
    pythonpath = lay_out(root)
    off = off_limits.declare(private, [*scratch.writable, artifacts])
    support = isolation.probe()
    datasets = [p for name in NAMES if (p := cached_path(name)) is not None]
    granted = filesystem_plan.write_plan(
        scratch.plan,
        support,
        off,
        read_only=[pythonpath],
        readable=datasets + [p.with_suffix(".json") for p in datasets] + [scratch.connection_file],
        report=scratch.report,
        resources=resources,
    )
    config = {
        "artifacts": str(artifacts),
        "budget": budget,
        "compat": dict(compat or {}),
        "preload": preload,
        "guard": guard_config(limits, off, granted),
    }
    env = {CONFIG_ENV: json.dumps(config), **kernel_env(root, pythonpath)}
    spec_dir = scratch.kernels / KERNEL_NAME
    spec_dir.mkdir(parents=True)
    # Started as it is only off Linux: there, every kernel is forked by the fork server
    # (``fork_client``).
    spec = {
        "argv": KERNEL_ARGV,
        "display_name": "grader sandbox",
        "language": "python",
        "env": env,
        "interrupt_mode": "message",
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    return scratch


def read_report(scratch: Scratch) -> dict[str, Any] | None:
    """What the launcher found held, written before the kernel existed; ``None`` if missing."""
    try:
        data = json.loads(scratch.report.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
