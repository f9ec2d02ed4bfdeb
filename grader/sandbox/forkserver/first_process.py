"""Fork-server side: a kernel's first process, forked by a fork server's handler
(``forkserver.server``), or the handler itself for the last kernel its grader asks for.

It closes every file the handler had open (the grader's connection among them, but for the
handler that became it: no kernel can ask the server for anything) and leads a process group of
its own; enters its cgroup, then new namespaces, as ``unshare(1)`` would (``namespaces``), and
mounts its folders' tmpfs in the new mount namespace (``resources``); forks the launcher
(``confine.launch``: the PID namespace's first process, which mounts its own ``/proc``), whose
child confines itself, reports what held, takes the kernel's own environment, folder and
arguments, and runs ``boot.main``; then waits for the launcher and ends with its exit code.  A
handler that became the first process keeps its grader's connection and kills the launcher when
it closes: a grader killed with ``kill -9`` takes its only kernel with it too.
"""

from __future__ import annotations

import json
import os
import select
import signal
import sys
import tempfile
from typing import Any, NoReturn

from grader.sandbox.kernel import boot, confine, namespaces, resources

# The server's own folder on ``sys.path`` (the grader package's kernel side); each kernel gets its
# own.
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


def _first_process(request: dict[str, Any], grader: int | None) -> int:
    """The kernel's first process: closed off from the server, in its namespaces, the launcher's
    parent.  ``grader``: the connection of the grader this process was the handler of, if it was."""
    os.setpgid(0, 0)
    confine.dumpable(True)
    confine.keep_only(*([] if grader is None else [grader]))
    with open(request["plan"]) as f:
        plan = json.load(f)
    asked = plan.get("resources", {})
    # Before anything is forked: the launcher, the kernel and all they start are in the group.
    taken: dict[str, Any] = {"cgroup": resources.join_cgroup(asked.get("cgroup", []))}
    spaces = namespaces.Unshare(int(request["unshare"]))
    try:
        namespaces.enter(spaces)
    except OSError:
        spaces = (
            namespaces.Unshare()
        )  # the launcher reports the namespaces it is in: the grader sees them missing
    if asked.get("tmpfs"):
        taken["tmpfs"] = (
            resources.mount_tmpfs(asked["tmpfs"]) if spaces.proc else "no mount namespace"
        )
    plan["taken"] = taken  # reported by the launcher (``confine``)
    launcher = confine.fork_tied()
    if launcher:
        # ``--fork --kill-child``: this process waits for the launcher (the namespace's first
        # process) and ends with it.
        return _wait(launcher, grader)
    if grader is not None:
        os.close(grader)
    if spaces.pid and spaces.proc:
        try:
            namespaces.mount_proc()
        except OSError:
            pass  # /proc then shows the machine's pids, which the namespace still cannot signal
    return confine.launch(plan, lambda: _kernel(request))


def _wait(launcher: int, grader: int | None) -> int:
    """The launcher's exit code once it ends.  Should ``grader`` (a connection) close first, the
    grader ended without closing its kernel (``kill -9``): the launcher is killed, and with it,
    tied to it, the kernel (in a PID namespace, every process in it)."""
    if grader is None:
        return os.waitstatus_to_exitcode(os.waitpid(launcher, 0)[1])
    woken, wake = os.pipe()
    os.set_blocking(wake, False)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.set_wakeup_fd(wake)  # a child's end wakes the select below
    while True:
        ended, status = os.waitpid(launcher, os.WNOHANG)
        if ended:
            return os.waitstatus_to_exitcode(status)
        ready = select.select([grader, woken], [], [])[0]
        if woken in ready:
            os.read(woken, 512)
        if grader in ready and not _read_some(grader):
            os.kill(launcher, signal.SIGKILL)
            return os.waitstatus_to_exitcode(os.waitpid(launcher, 0)[1])


def _read_some(connection: int) -> bool:
    """Whether ``connection`` is still open (what the grader sends now is of no use)."""
    try:
        return bool(os.read(connection, 1 << 16))
    except OSError:
        return False


def become(request: dict[str, Any], grader: int | None = None) -> NoReturn:
    """This process (a fresh fork, or the handler of ``grader`` itself) is the kernel's first
    process, until it ends."""
    code = 1
    try:
        code = _first_process(request, grader)
    finally:
        os._exit(code)


def fork(request: dict[str, Any]) -> int:
    """In a handler: fork the first process of the kernel ``request`` asks for, tied to this
    handler; its pid."""
    pid = confine.fork_tied()
    if pid == 0:
        become(request)
    return pid
