"""Kernel side: the launcher between the grader and the student's kernel.

The fork server (``forkserver.server``) runs ``launch`` in a child of each kernel's first process,
inside the new namespaces, with the plan the grader wrote.  The launcher stays as the parent of
everything the kernel starts: it is a *child subreaper*, so a process that detaches itself
(``setsid``, ``nohup``, a double fork) is re-parented to it rather than to the machine's init and
stays inside the tree the grader's watchdog kills; in a PID namespace it is that namespace's init,
whose end ends every process in it.

It joins a fresh session keyring (``resources``), which the kernel inherits.  Its child confines
itself, for good and for everything it will start, before it becomes the kernel:
``no_new_privs``, every capability dropped (root in CI included), Landlock (files, TCP, signals),
the seccomp filter.  It then writes what actually held (and what the first process took) to the
report file (opened before the restriction, closed before any student code exists, in a
folder the kernel cannot write) and becomes the kernel.
"""

from __future__ import annotations

import ctypes
import json
import os
import select
import signal
from collections.abc import Callable
from typing import Any

from grader.sandbox.kernel import landlock, resources, seccomp
from grader.sandbox.system.processes import living, parent_of, process_tree, stop_then_kill

(
    _PR_SET_PDEATHSIG,
    _PR_SET_DUMPABLE,
    _PR_SET_CHILD_SUBREAPER,
    _PR_SET_NO_NEW_PRIVS,
    _PR_CAPBSET_DROP,
    _PR_CAP_AMBIENT,
) = 1, 4, 36, 38, 24, 47
_PR_CAP_AMBIENT_CLEAR_ALL = 4
MAX_FD = 65536
_CAP_VERSION_3 = 0x20080522
_IGNORED = (
    signal.SIGINT,
    signal.SIGTERM,
    signal.SIGHUP,
    signal.SIGQUIT,
    signal.SIGUSR1,
    signal.SIGUSR2,
    signal.SIGPIPE,
)


# Loaded before any fork: a forked child must not ``dlopen`` (another thread may hold the loader's
# lock).
_LIBC = ctypes.CDLL(None, use_errno=True)


def prctl(*args: int) -> int:
    return int(_LIBC.prctl(*(ctypes.c_ulong(a) for a in args)))


def dumpable(on: bool) -> None:
    """Whether other processes of the user may read this one's memory, or open its files,
    through ``/proc``."""
    prctl(_PR_SET_DUMPABLE, int(on), 0, 0, 0)


def fork_tied() -> int:
    """``os.fork()``, the child tied to this process: killed when this process ends (a parent-death
    signal).  The child sets the signal, and only an end after that sends it: a child that finds
    this process already gone (it ran late on a loaded machine) ends at once."""
    parent = os.getpid()
    try:
        # Readable once this process has ended; it tells in a new PID namespace too, where
        # ``getppid`` says 0.
        watch: int | None = os.pidfd_open(parent)
    except OSError:  # Linux before 5.3
        watch = None
    try:
        pid = os.fork()
    except OSError:  # no fork (too many processes): the server lives on, without this pidfd
        if watch is not None:
            os.close(watch)
        raise
    if pid:
        if watch is not None:
            os.close(watch)
        return pid
    prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if parent_ended(parent, watch):
        os._exit(1)
    return 0


def parent_ended(parent: int, watch: int | None) -> bool:
    """In a child just tied to ``parent``: whether that parent has ended.  ``watch``, a pidfd of the
    parent (closed here), is readable once it has; without one, this child has another parent by now
    (unless it is the first process of a PID namespace, which cannot see its parent: 0)."""
    if watch is None:
        return os.getppid() not in (parent, 0)
    try:
        return bool(select.select([watch], [], [], 0)[0])
    finally:
        os.close(watch)


def keep_only(*kept: int) -> None:
    """Standard input and output on ``/dev/null`` and every other file closed but ``kept``: what a
    process forked from the fork server must not hold of it (its connections, other pipes)."""
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    low = 3
    for fd in sorted(kept):
        os.closerange(low, fd)
        low = fd + 1
    os.closerange(low, MAX_FD)


def _drop_capabilities() -> bool:
    """Empty the bounding, ambient, effective, permitted and inheritable sets.

    After this, root's ``exec`` grants nothing back: root in CI becomes a user whose files
    are its own but who holds no privilege (no ``CAP_SYS_ADMIN``, ``CAP_KILL``,
    ``CAP_DAC_OVERRIDE``...).  Returns whether the effective set is empty.
    """
    try:
        with open("/proc/sys/kernel/cap_last_cap") as f:
            last = int(f.read())
    except (OSError, ValueError):
        last = 63
    for cap in range(last + 1):
        prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0)
    prctl(_PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    header = (ctypes.c_uint32 * 2)(_CAP_VERSION_3, 0)
    data = (ctypes.c_uint32 * 6)()
    _LIBC.capset(header, data)
    return _status_field("CapEff") == "0000000000000000"


def _status_field(name: str) -> str:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(name + ":"):
                return line.split(":", 1)[1].strip()
    return ""


def _ancestors() -> list[int]:
    """This process's ancestors visible from here (up to, not including, pid 1)."""
    found: list[int] = []
    pid: int | None = os.getppid()
    while pid is not None and pid > 1:
        found.append(pid)
        pid = parent_of(pid)
    return found


def _protected_targets() -> tuple[int, ...]:
    """Signal targets the kernel may not name: the launcher and the grader's processes
    (each pid and its process group), and -1 (every process)."""
    targets = {-1}
    for pid in _ancestors():
        targets.add(pid)
        try:
            targets.add(-os.getpgid(pid))
        except OSError:
            pass
    return tuple(sorted(targets))


def confine(plan: dict[str, Any]) -> dict[str, Any]:
    """Apply every layer of ``plan`` to this process; return what held."""
    held: dict[str, Any] = {
        "namespaces": {kind: os.readlink(f"/proc/self/ns/{kind}") for kind in ("pid", "net", "mnt")}
    }
    held["no_new_privs"] = prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0
    held["capabilities_dropped"] = _drop_capabilities()
    abi = min(landlock.abi_version(), int(plan["landlock_abi"]))
    if abi >= 1:
        policy = landlock.Policy(
            tuple(plan["read_only"]),
            tuple(plan["read_write"]),
            tuple((path, rights) for path, rights in plan["files"]),
            deny_tcp=plan["deny_tcp"],
        )
        try:
            applied = landlock.restrict_self(policy, abi)
            held["landlock"] = {
                "abi": applied.abi,
                "tcp": applied.tcp_denied,
                "scoped": applied.scoped,
            }
        except OSError as exc:
            held["landlock_error"] = str(exc)
    if plan["seccomp"] and seccomp.supported():
        try:
            seccomp.install(_protected_targets())
            held["seccomp"] = _status_field("Seccomp") == "2"
        except OSError as exc:
            held["seccomp_error"] = str(exc)
    return held


def _reap_until(kernel: int) -> int:
    """Reap every child that ends (orphans included) until ``kernel`` does; its exit code."""
    while True:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            return 1
        except InterruptedError:
            continue
        if pid == kernel:
            return os.waitstatus_to_exitcode(status)


def _kill_descendants() -> None:
    """Stop, then kill, whatever the kernel left (a subreaper's orphans are below it now),
    reaping each as it ends."""
    for _ in range(20):
        left = living(process_tree(os.getpid())[1:])
        if not left:
            return
        stop_then_kill(left)
        try:
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass
        except ChildProcessError:
            return


def launch(plan: dict[str, Any], become_kernel: Callable[[], None]) -> int:
    """Be the launcher of one kernel confined by ``plan``: fork the child that confines itself,
    reports what held and runs ``become_kernel``; reap everything until it ends, then kill what
    it left.  Returns the kernel's exit code."""
    for signum in _IGNORED:
        signal.signal(signum, signal.SIG_IGN)
    prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    report = os.open(plan["report"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    # What the first process took (its cgroup, its tmpfs), and a keyring of the kernel's own.
    taken = {**plan.get("taken", {}), "keyring": resources.own_session_keyring()}
    kernel = fork_tied()
    if kernel == 0:
        code = 127
        try:
            for signum in _IGNORED:
                signal.signal(signum, signal.SIG_DFL)
            os.setpgid(
                0, 0
            )  # the kernel's ``kill(0, ...)`` reaches its own group, not the launcher
            try:
                held = confine(plan)
            except Exception as exc:
                # Reported; the grader decides what a missing layer means.
                held = {"error": f"{type(exc).__name__}: {exc}"}
            held["taken"] = taken
            os.write(report, json.dumps(held).encode())
            os.close(report)
            become_kernel()
            code = 0
        finally:
            os._exit(code)
    os.close(report)
    code = _reap_until(kernel)
    _kill_descendants()
    return code
