"""Grader side: the fork server this process's kernels are forked from (Linux).

A kernel that imports TensorFlow itself spends seconds of CPU before the student's first
cell; one forked from a process that already has (``zygote``) is ready in a fraction of one.
This module starts that process once per grader process, kind (``preload``: whether it
imports TensorFlow and the rest) and environment (a kernel started under another would not
be this one's), and gives jupyter_client a provisioner that asks it for a kernel instead of
starting one: the kernel's first process, a child of the server, is what the grader watches
and kills, as it was when the grader started it.

The server's environment is a kernel's, without any submission's configuration; it holds
nothing a kernel may not know.  It ends with this process (its standard input closes) and
with the thread that started it (parent-death signal); a server that ended is started again.
"""

from __future__ import annotations

import atexit
import ctypes
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning.local_provisioner import LocalProvisioner

from grader.sandbox import isolation, namespaces, scratch
from grader.sandbox.processes import living

SERVER = [sys.executable, "-c", "import grader.sandbox.zygote as z; z.main()"]
# The longest a kernel's first process may take to exist (the server imports TensorFlow first).
STARTUP_TIMEOUT_S = 60
_PR_SET_PDEATHSIG = 1


class Server:
    """One fork server: its process, its folder, and the replies it has sent."""

    def __init__(self, preload: bool, key: tuple[Any, ...]) -> None:
        self.folder = tempfile.TemporaryDirectory(prefix="grader-server-", ignore_cleanup_errors=True)
        root = Path(self.folder.name)
        pythonpath = scratch.lay_out(root)
        self.process = subprocess.Popen(
            [*SERVER, "preload" if preload else "bare"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, env={**scratch.base_env(), **scratch.kernel_env(root, pythonpath)},
            cwd=root / "work", preexec_fn=_die_with_the_grader)
        self.lock = threading.Lock()
        self.replies: dict[int, int] = {}
        self.requests = 0
        self.unread = b""

    def alive(self) -> bool:
        return self.process.poll() is None

    def spawn(self, request: dict[str, Any], last: bool = False) -> int:
        """Ask for a kernel; returns the request's number (``pid`` waits for its answer).  ``last``:
        this process will ask for no other, so the server itself becomes the kernel's first process."""
        with self.lock:
            self.requests += 1
            number = self.requests
            self._send({**request, "id": number, "last": last})
        if last:
            _retire(self)
        return number

    def pid(self, number: int, timeout: float = STARTUP_TIMEOUT_S) -> int:
        """The first process of the kernel asked for by request ``number`` (waits for the server
        to be ready and to fork it); raises ``RuntimeError`` when the server ended first or did
        not answer within ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        with self.lock:
            assert self.process.stdout is not None
            replies = self.process.stdout.fileno()  # read raw: nothing waits unseen in a buffer
            while number not in self.replies:
                if b"\n" in self.unread:
                    line, self.unread = self.unread.split(b"\n", 1)
                    reply = json.loads(line)
                    if "id" in reply:
                        self.replies[int(reply["id"])] = int(reply["pid"])
                    continue
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([replies], [], [], left)[0]:
                    raise RuntimeError(f"the fork server did not start the kernel within {timeout:g} s")
                chunk = os.read(replies, 1 << 16)
                if not chunk:
                    raise RuntimeError("the fork server ended before it started the kernel")
                self.unread += chunk
            return self.replies[number]

    def answered(self, number: int) -> bool:
        return number in self.replies

    def reap(self, pid: int) -> None:
        """The kernel's first process ended and is no longer watched: let the server reap it."""
        with self.lock:
            try:
                self._send({"reap": pid})
            except OSError:
                pass

    def _send(self, message: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(message).encode() + b"\n")
        self.process.stdin.flush()

    def close(self) -> None:
        """End the server (its kernels die with it) and remove its folder."""
        if self.process.stdin is not None:
            try:
                self.process.stdin.close()
            except OSError:
                pass
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()
        self.folder.cleanup()


def _lookup_prctl() -> Any:
    """``prctl``, looked up here: the forked child must not ``dlopen`` (another thread may hold the loader's lock)."""
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError, TypeError):
        return None


_PRCTL = _lookup_prctl() if sys.platform.startswith("linux") else None


def _die_with_the_grader() -> None:
    """In the server before its exec: killed when the grader's thread that started it ends."""
    if _PRCTL is not None:
        _PRCTL(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


# Servers kept at once, the least recently used ended first (a test session changes the environment often).
MAX_SERVERS = 2
_SERVERS: dict[tuple[bool, tuple[Any, ...]], Server] = {}
_SERVERS_LOCK = threading.Lock()


def server(preload: bool, key: tuple[Any, ...]) -> Server:
    """This process's fork server of that kind for the environment ``key``, started if need be
    (one that ended is replaced)."""
    with _SERVERS_LOCK:
        current = _SERVERS.pop((preload, key), None)
        if current is not None and not current.alive():
            current.close()
            current = None
        if current is None:
            while len(_SERVERS) >= MAX_SERVERS:
                _SERVERS.pop(next(iter(_SERVERS))).close()
            current = Server(preload, key)
        _SERVERS[(preload, key)] = current  # the most recently used last
        return current


def _retire(spent: Server) -> None:
    """``spent`` serves no other kernel: the next one comes from a fresh server."""
    with _SERVERS_LOCK:
        for key, each in list(_SERVERS.items()):
            if each is spent:
                del _SERVERS[key]


def close_all() -> None:
    """End every fork server of this process (at exit)."""
    with _SERVERS_LOCK:
        for each in _SERVERS.values():
            each.close()
        _SERVERS.clear()


atexit.register(close_all)


class ForkedKernel:
    """What jupyter_client knows as the kernel's process (``subprocess.Popen``'s interface): the
    kernel's first process, a child of the fork server."""

    def __init__(self, owner: Server, number: int) -> None:
        self.owner = owner
        self.number = number
        self.returncode: int | None = None

    @property
    def pid(self) -> int:
        return self.owner.pid(self.number)

    def pid_within(self, timeout: float) -> int:
        """``pid``, waiting at most ``timeout`` seconds (``RuntimeError`` then)."""
        return self.owner.pid(self.number, timeout)

    def poll(self) -> int | None:
        if self.returncode is None:
            if not self.owner.answered(self.number):
                return None if self.owner.alive() else -signal.SIGKILL
            if self.pid == self.owner.process.pid:  # the server became this kernel: this process reaps it
                self.returncode = self.owner.process.poll()
            elif not living([self.pid]):
                self.returncode = -signal.SIGKILL
                self.owner.reap(self.pid)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while (code := self.poll()) is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired("kernel", timeout or 0)
            time.sleep(0.02)
        return code

    def abandon(self) -> None:
        """The server never said which process this kernel is: end the server, and its kernels with it."""
        _retire(self.owner)
        self.owner.close()

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


class ForkedProvisioner(LocalProvisioner):
    """jupyter_client's local provisioner, but the kernel is forked by the fork server."""

    owner: Server
    plan: Path
    spaces: namespaces.Unshare
    last: bool

    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> Any:
        request = {"plan": str(self.plan), "unshare": self.spaces.flags, "args": cmd[cmd.index("-f"):],
                   "env": kwargs["env"], "cwd": str(kwargs.get("cwd") or os.getcwd())}
        # Popen's interface, all that the provisioner and the manager use of it.
        self.process = ForkedKernel(self.owner, self.owner.spawn(request, self.last))  # type: ignore[assignment]
        self.pgid = None  # its own group: the provisioner signals the process itself
        self.cwd = request["cwd"]
        return self.connection_info


def provision(km: AsyncKernelManager, preload: bool, key: tuple[Any, ...], support: isolation.Support, plan: Path,
              only: bool = False) -> None:
    """Have ``km`` start its kernel through this process's fork server, confined by ``plan``;
    ``only``: the one kernel this process needs (the server becomes it, no copy kept)."""
    km.kernel_id = km.kernel_id or str(uuid.uuid4())
    provisioner = ForkedProvisioner(kernel_id=km.kernel_id, kernel_spec=km.kernel_spec, parent=km)
    provisioner.owner = server(preload, key)
    provisioner.plan = plan
    provisioner.spaces = namespaces.Unshare.of(support.prefix)
    provisioner.last = only
    km.provisioner = provisioner
