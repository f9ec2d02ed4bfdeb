"""Grader side: what jupyter_client starts a kernel with, when a fork server forks it (Linux).

jupyter_client starts a kernel through a provisioner and then knows it as a process
(``subprocess.Popen``'s interface).  Here the provisioner asks this process's fork server
(``fork_client``) for the kernel, confined by the plan ``scratch`` wrote, in the namespaces the
probe chose; the process is the kernel's first process, a child of the server's handler, which
the grader watches and kills as it would a child of its own.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning.local_provisioner import LocalProvisioner

from grader.sandbox import fork_client, isolation
from grader.sandbox.fork_client import Server
from grader.sandbox.kernel import namespaces
from grader.sandbox.system.processes import living


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
            if (
                self.pid == self.owner.handler
            ):  # the handler became this kernel's first process; the server reaps it
                self.returncode = None if living([self.pid]) else -signal.SIGKILL
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
        """The server never said which process this kernel is: end the server, and its kernels
        with it."""
        fork_client.retire(self.owner)
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
        request = {
            "plan": str(self.plan),
            "unshare": self.spaces.flags,
            "args": cmd[cmd.index("-f") :],
            "env": kwargs["env"],
            "cwd": str(kwargs.get("cwd") or os.getcwd()),
        }
        # Popen's interface, all that the provisioner and the manager use of it.
        forked = ForkedKernel(self.owner, self.owner.spawn(request, self.last))
        self.process = forked  # type: ignore[assignment]
        self.pgid = None  # its own group: the provisioner signals the process itself
        self.cwd = request["cwd"]
        return self.connection_info


def provision(
    km: AsyncKernelManager,
    preload: bool,
    key: tuple[Any, ...],
    support: isolation.Support,
    plan: Path,
    only: bool = False,
) -> None:
    """Have ``km`` start its kernel through this process's fork server, confined by ``plan``;
    ``only``: the one kernel this process needs (the server becomes it, no copy kept)."""
    km.kernel_id = km.kernel_id or str(uuid.uuid4())
    provisioner = ForkedProvisioner(kernel_id=km.kernel_id, kernel_spec=km.kernel_spec, parent=km)
    provisioner.owner = fork_client.server(preload, key)
    provisioner.plan = plan
    provisioner.spaces = namespaces.Unshare.of(support.prefix)
    provisioner.last = only
    km.provisioner = provisioner
