"""Kernel side: the fork server every kernel of a grader process is forked from (Linux).

Importing TensorFlow and Keras takes seconds; forking a process that has done so takes
milliseconds.  The grader (``forkserver``) starts this process once, with a kernel's
environment and nothing secret in it; it imports what every notebook imports
(``boot.WARM_MODULES``, unless ``bare``) and IPython's kernel, before any submission exists,
and runs no TensorFlow op.  Then, for each request the grader writes on its standard input,
it forks one kernel (or, for the last one the grader will ask for, becomes it), whose first process:

1. closes every file the server had open (its requests and replies among them: no kernel can
   ask the server for anything), and is the leader of a process group of its own;
2. enters new namespaces, as ``unshare(1)`` would (``namespaces``), forking the PID
   namespace's first process, which mounts its own ``/proc``;
3. becomes the launcher (``confine.launch``), whose child confines itself (``no_new_privs``,
   no capabilities, Landlock, seccomp), reports what held, takes the kernel's own environment,
   folder and arguments, and runs ``boot.main``: the hooks, the guard, IPython's kernel.

Every kernel dies with the server (its parent-death signal); the server ends when the grader
closes its standard input (the grader ended, ``kill -9`` included) or with the grader's
thread that started it.  The server is not dumpable, so no other process of the user can
read its memory or open its files through ``/proc``.  It reaps a kernel's first process
only when the grader says so, so that its pid names no other process while the grader
still watches it.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import tempfile
from typing import Any

from grader.sandbox import boot, confine, namespaces

_PR_SET_PDEATHSIG, _PR_SET_DUMPABLE = 1, 4
MAX_FD = 65536
# The server's own folder on ``sys.path`` (the grader package's kernel side); each kernel gets its own.
_SERVER_PATH = os.environ.get("PYTHONPATH", "")


def _kernel(request: dict[str, Any]) -> None:
    """In the confined child: the kernel's environment, folder and arguments, then the kernel."""
    env = dict(request["env"])
    # Its parent is the launcher (pid 1 in a namespace), not the grader it would watch.
    env.pop("JPY_PARENT_PID", None)
    os.environ.clear()
    os.environ.update(env)
    os.chdir(request["cwd"])
    tempfile.tempdir = None  # the next temporary file goes to this kernel's TMPDIR
    own = env.get("PYTHONPATH", "")
    sys.path[:] = [own if entry == _SERVER_PATH else entry for entry in sys.path]
    if "matplotlib" in sys.modules:
        for cached in ("get_configdir", "get_cachedir"):
            getattr(getattr(sys.modules["matplotlib"], cached), "cache_clear", lambda: None)()
    if "numpy" in sys.modules:
        sys.modules["numpy"].random.seed()  # a process of its own draws numbers of its own
    sys.argv = [sys.argv[0], *request["args"]]
    boot.main(request["args"])


def _first_process(request: dict[str, Any]) -> int:
    """The kernel's first process: closed off from the server, in its namespaces, the launcher."""
    os.setpgid(0, 0)
    confine.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    confine.prctl(_PR_SET_DUMPABLE, 1, 0, 0, 0)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.closerange(3, MAX_FD)
    with open(request["plan"]) as f:
        plan = json.load(f)
    spaces = namespaces.Unshare(int(request["unshare"]))
    try:
        namespaces.enter(spaces)
    except OSError:
        spaces = namespaces.Unshare()  # the launcher reports the namespaces it is in: the grader sees them missing
    if spaces.pid:
        launcher = os.fork()
        if launcher:
            # ``--fork --kill-child``: this process waits for the namespace's first process and ends with it.
            return os.waitstatus_to_exitcode(os.waitpid(launcher, 0)[1])
        confine.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if spaces.proc:
            try:
                namespaces.mount_proc()
            except OSError:
                pass  # /proc then shows the machine's pids, which the namespace still cannot signal
    return confine.launch(plan, lambda: _kernel(request))


def _fork(request: dict[str, Any]) -> int:
    pid = os.fork()
    if pid:
        return pid
    code = 1
    try:
        code = _first_process(request)
    finally:
        os._exit(code)


def serve(requests: int, replies: int) -> None:
    """Fork a kernel for each request line, reply with its first process's pid; reap one when told.
    A request marked ``last`` is served by this process itself, which becomes the kernel's first process."""
    pending = b""
    while chunk := os.read(requests, 1 << 16):
        pending += chunk
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            message = json.loads(line)
            if "reap" in message:
                try:
                    os.waitpid(int(message["reap"]), 0)
                except ChildProcessError:
                    pass
                continue
            if message.get("last"):
                # The grader needs no other kernel: the server becomes this one's first process (no second copy in memory).
                os.write(replies, json.dumps({"id": message["id"], "pid": os.getpid()}).encode() + b"\n")
                code = 1
                try:
                    code = _first_process(message)
                finally:
                    os._exit(code)
            os.write(replies, json.dumps({"id": message["id"], "pid": _fork(message)}).encode() + b"\n")
    os._exit(0)  # the grader ended: its kernels end with this process (their parent-death signal)


def main() -> None:
    confine.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)
    requests, replies = os.dup(0), os.dup(1)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1):
        os.dup2(null, fd)  # what a library prints never mixes with the replies
    os.close(null)
    boot.import_ahead(preload=sys.argv[1:] != ["bare"])
    os.write(replies, json.dumps({"ready": os.getpid()}).encode() + b"\n")
    serve(requests, replies)
