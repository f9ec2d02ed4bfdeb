"""The suite's own grader cache: a test session never reads or writes the user's.

The session that starts first makes a fresh cache folder, copies MNIST into it from the
user's cache (or provisions it there), and points ``GRADER_CACHE_DIR`` at it. Everything
the session starts inherits it: xdist workers, ``grader`` and ``pytest`` subprocesses,
their kernels. Measurements, their HMAC key and the matplotlib font list start empty and
are made by the gradings of this session alone.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

from grader.batch import THREADS_VARIABLE
from grader.datasets import DatasetError, provision
from grader.datasets.cache import CACHE_ENV, cached_path
from grader.sandbox import resident

# Set beside GRADER_CACHE_DIR by the session that made the cache: a process that inherits
# both (an xdist worker) uses that cache; a nested session started without them makes its own.
SESSION_ENV = "GRADER_SUITE_CACHE"
# The one dataset the suite needs real; the others are generated, whatever the user has provisioned.
DATASET = "mnist"


def inherited() -> Path | None:
    """The cache of the session this process belongs to, if another process made it."""
    made = os.environ.get(SESSION_ENV)
    return Path(made) if made and os.environ.get(CACHE_ENV) == made else None


def enter() -> Path:
    """Make this session's cache (in a new temporary folder), point the environment at it
    and return the temporary folder, for ``leave``."""
    source = cached_path(DATASET)  # the user's cache: nothing else is read from it
    root = Path(tempfile.mkdtemp(prefix="grader-suite-"))
    cache = root / "cache"
    cache.mkdir()
    os.environ[CACHE_ENV] = os.environ[SESSION_ENV] = str(cache)
    # The resident fork servers a test starts under a cache of its own end soon after their last
    # use.
    os.environ.setdefault(resident.IDLE_ENV, "60")
    # Gradings run beside others (two workers, batches of two): one TensorFlow thread per kernel and
    # measurer, unless set.  One setting for the whole session also means one fork server per kind
    # of machine simulated, not one more for each thread count a process happened to have.
    os.environ.setdefault(THREADS_VARIABLE, "1")
    if source is not None:
        for path in (source, source.with_suffix(".json")):
            shutil.copyfile(path, cache / path.name)
    else:
        try:
            provision(DATASET)
        except DatasetError:
            pass  # every grading then says what to run; the suite reports it test by test
    return root


def leave(root: Path) -> None:
    resident.stop_all(root)
    shutil.rmtree(root, ignore_errors=True)


def snapshot(folder: Path) -> dict[str, tuple[int, int, str]]:
    """Every file and folder below ``folder``: size, modification time and sha256 (files)."""
    found: dict[str, tuple[int, int, str]] = {}
    for path in sorted([folder, *folder.rglob("*")]):
        stat = path.lstat()
        content = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""
        found[str(path.relative_to(folder))] = (stat.st_size, stat.st_mtime_ns, content)
    return found
