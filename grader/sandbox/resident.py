"""Grader side: find, or start, the resident fork server for a kind of kernel (Linux).

A fork server imports TensorFlow once; a resident one does so once for every grader process of this
user that asks for the same kind of kernel (``preload``), from the same environment, Python and
grader: a second ``grader grade``, a batch's workers, a test session's commands. It listens on an
abstract Unix socket named by all of that (``name_for``), forks a handler for each grader process
that connects (``forkserver.server``), and ends once no grader has been connected for
``$GRADER_SERVER_IDLE_S`` seconds (``IDLE_S`` by default).  It accepts only processes of this user
that it did not fork itself: no kernel, nor anything a kernel started, can ask it for anything
(besides, a kernel's seccomp filter refuses ``connect``, its network namespace has abstract sockets
of its own, and Landlock scopes them).  Its folder (HOME, ``sys.path``) lies under the cache's
``servers/``, with its pid, so a test session can end the ones it started.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from grader.datasets import cache_dir
from grader.sandbox import off_limits, scratch

SERVER = [sys.executable, "-c", "import grader.sandbox.forkserver.server as z; z.main()"]
IDLE_ENV = "GRADER_SERVER_IDLE_S"
IDLE_S = 300.0
PID_FILE = "server.pid"


@functools.cache
def _sources() -> str:
    """A digest of what a kernel runs of the grader: a server started by another version is not
    this one's."""
    digest = hashlib.sha256()
    package = off_limits.package()
    for part in off_limits.KERNEL_PACKAGE_PARTS:
        path = package / part
        for source in sorted(path.rglob("*.py")) if path.is_dir() else [path]:
            digest.update(str(source.relative_to(package)).encode() + b"\0" + source.read_bytes())
    return digest.hexdigest()


def name_for(preload: bool, key: tuple[Any, ...]) -> str:
    """The abstract socket of the server for ``preload`` kernels in the environment ``key``."""
    what = repr((sys.executable, _sources(), preload, key)).encode()
    return f"grader-server-{os.getuid()}-{hashlib.sha256(what).hexdigest()[:32]}"


def connect(name: str) -> socket.socket | None:
    """A connection to the server ``name``, or ``None`` when none listens."""
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        connection.connect("\0" + name)
    except OSError:
        connection.close()
        return None
    return connection


def servers_folder() -> Path:
    return cache_dir() / "servers"


def start(preload: bool, name: str, timeout: float) -> None:
    """Start the server ``name`` and wait until it listens (or another one, started meanwhile,
    does); raises ``RuntimeError`` when neither happens within ``timeout`` seconds."""
    servers_folder().mkdir(parents=True, exist_ok=True, mode=0o700)
    root = Path(tempfile.mkdtemp(prefix=f"{name[-8:]}-", dir=servers_folder()))
    pythonpath = scratch.lay_out(root)
    started = subprocess.Popen(
        [
            *SERVER,
            "preload" if preload else "bare",
            name,
            str(root),
            os.environ.get(IDLE_ENV, str(IDLE_S)),
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env={**scratch.base_env(), **scratch.kernel_env(root, pythonpath)},
        cwd=root / "work",
    )
    assert started.stdout is not None
    try:
        if not select.select([started.stdout], [], [], timeout)[0]:
            raise RuntimeError(f"the fork server did not start within {timeout:g} s")
        said = started.stdout.readline()
        if not said:
            raise RuntimeError("the fork server ended as it started")
        if "taken" in json.loads(said):
            shutil.rmtree(root, ignore_errors=True)
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise
    finally:
        started.stdout.close()
        if started.poll() is None:
            try:
                started.wait(timeout=5)
            except subprocess.TimeoutExpired:
                started.kill()
                started.wait()


def stop_all(folder: Path) -> None:
    """End every resident server whose folder lies under ``folder`` (a test session's temporary
    folders), and with it its handlers and kernels; remove its folder."""
    for pid_file in folder.glob(f"**/servers/*/{PID_FILE}"):
        try:
            os.kill(int(pid_file.read_text()), signal.SIGKILL)
        except (OSError, ValueError):
            pass
        shutil.rmtree(pid_file.parent, ignore_errors=True)
