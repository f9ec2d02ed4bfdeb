"""Fork-server side: the fork server kernels are forked from (Linux).

Importing TensorFlow and Keras takes seconds; forking a process that has done so takes
milliseconds.  The grader (``resident``) starts this process, with a kernel's environment and
nothing secret in it; it imports what every notebook imports (``boot.WARM_MODULES``, unless
``bare``) and IPython's kernel, before any submission exists, and runs no TensorFlow op.  It
then listens on an abstract Unix socket and, for each grader process of this user that
connects (never a process it forked, nor one a kernel started), forks a handler.  For each
request the grader sends, the handler forks one kernel's first process (``first_process``: its
namespaces, then the launcher that confines it), or, for the last kernel the grader will ask
for, becomes it.

For a ``measure`` request the handler forks a measurer instead (``measurer``: the grader's own
training code on the grader's data, no student code) and relays its result when it ends.  A grader
sends measurements on a connection of their own, and a handler that was sent one forks no kernel
afterwards: no kernel starts with memory that held another submission's arrays.

Every kernel dies with its handler, and every handler with the server (parent-death signals,
``confine.fork_tied``); a handler ends when its grader closes the connection (the grader ended,
``kill -9`` included), and a handler that became a kernel's first process kills its launcher then;
the server ends when no grader has been connected for a while.  The server is not dumpable,
so no other process of the user can read its memory or open its files through ``/proc``.  A
handler reaps a kernel's first process only when the grader says so, so that its pid names no
other process while the grader still watches it.
"""

from __future__ import annotations

import gc
import json
import os
import select
import shutil
import socket
import struct
import sys
import time
from typing import Any

from grader.sandbox.forkserver import first_process, measurer
from grader.sandbox.kernel import boot, confine
from grader.sandbox.system.processes import parent_of

# Where the server writes its pid, in its folder (``resident.PID_FILE``: a test session ends the
# servers it started).
PID_FILE = "server.pid"


def _reply(replies: int, message: dict[str, Any]) -> None:
    os.write(replies, json.dumps(message).encode() + b"\n")


def _answer(
    message: dict[str, Any],
    payload: bytes,
    replies: int,
    measuring: dict[int, tuple[int, int, list[bytes]]],
    measured: bool,
) -> None:
    """One request: reap a kernel's first process, fork a measurer, or fork (or become) a kernel;
    ``measured``: this handler was sent a measurement before."""
    if "reap" in message:
        try:
            os.waitpid(int(message["reap"]), 0)
        except ChildProcessError:
            pass
    elif "measure" in message:
        read, pid = measurer.fork(message["measure"], payload)
        measuring[read] = (int(message["id"]), pid, [])
    elif measured:
        # This handler has held a submission's arrays: no kernel starts with its memory (the grader
        # sends measurements on a connection of their own, so this ends only a grader that did not).
        os._exit(1)
    elif message.get("last"):
        # The grader needs no other kernel: this handler becomes its first process (no second copy
        # in memory).
        _reply(replies, {"id": message["id"], "pid": os.getpid()})
        first_process.become(
            message, grader=replies
        )  # a handler's requests and replies are one connection
    else:
        _reply(replies, {"id": message["id"], "pid": first_process.fork(message)})


def serve(requests: int, replies: int) -> None:
    """Answer each request line: fork a kernel and reply with its first process's pid (a request
    marked ``last`` is served by this process itself, which becomes the kernel's first process);
    reap one when told; fork a measurer for a ``measure`` request (its ``bytes`` follow the line)
    and reply with its result when it ends, meanwhile serving the rest."""
    buffer = bytearray()
    header: dict[str, Any] | None = None  # a request line read, its bytes still coming
    measuring: dict[
        int, tuple[int, int, list[bytes]]
    ] = {}  # a measurer's pipe -> request id, pid, what it wrote
    measured = False
    while True:
        for ready in select.select([requests, *measuring], [], [])[0]:
            if ready in measuring:
                number, pid, chunks = measuring[ready]
                result = measurer.collect(ready, pid, chunks)
                if result is not None:
                    del measuring[ready]
                    _reply(replies, {"id": number, "result": result})
                continue
            chunk = os.read(requests, 1 << 20)
            if not chunk:
                # the grader ended: its kernels and measurers end with this process (parent-death
                # signals)
                os._exit(0)
            buffer += chunk
            while True:
                if header is None:
                    end = buffer.find(b"\n")
                    if end < 0:
                        break
                    header = json.loads(buffer[:end])
                    del buffer[: end + 1]
                size = int(header.get("bytes", 0))
                if len(buffer) < size:
                    break
                payload = bytes(buffer[:size])
                del buffer[:size]
                message, header = header, None
                _answer(message, payload, replies, measuring, measured)
                measured = measured or "measure" in message


def _descends_from_here(pid: int) -> bool:
    """Whether ``pid`` is this process or below it (a kernel, or anything a kernel started);
    a process whose parents cannot be read counts as one."""
    me = os.getpid()
    while pid > 1:
        if pid == me:
            return True
        parent = parent_of(pid)
        if parent is None:
            return True
        pid = parent
    return False


def _trusted(connection: socket.socket) -> bool:
    """A grader process of this user: not another user, and nothing this server forked or a
    kernel started."""
    try:
        pid, uid, _ = struct.unpack(
            "3i",
            connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")),
        )
    except OSError:
        return False
    return uid == os.getuid() and pid > 0 and not _descends_from_here(pid)


def _handle(connection: socket.socket) -> None:
    """In a forked handler: serve one grader process until it closes its connection."""
    fd = connection.detach()
    _reply(fd, {"ready": os.getpid()})
    serve(fd, fd)


def _claim(name: str, replies: int) -> socket.socket:
    """The abstract socket ``name``, bound and listening before anything is imported: a grader
    that connects meanwhile waits in its backlog, and a second server started at the same time
    (two batch workers, two test sessions) finds the name taken at once and imports nothing."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        listener.bind("\0" + name)
    except OSError:  # another server started first: the grader connects to that one
        _reply(replies, {"taken": name})
        os._exit(0)
    listener.listen(64)
    return listener


def _listen(listener: socket.socket, folder: str, idle_s: float, replies: int) -> None:
    """Serve every grader process of this user that connects to ``listener``, each by a handler
    forked for it, until no grader has been connected for ``idle_s`` seconds."""
    if os.fork():
        os._exit(0)  # the grader that started this server waits only for this process
    os.setsid()
    with open(os.path.join(folder, PID_FILE), "w") as f:
        f.write(f"{os.getpid()}\n")
    _reply(replies, {"ready": os.getpid()})
    os.close(replies)
    handlers: set[int] = set()
    idle_since = time.monotonic()
    while True:
        waiting = select.select([listener], [], [], 1.0)[0]
        for handler in list(handlers):
            if os.waitpid(handler, os.WNOHANG)[0]:
                handlers.discard(handler)
        if waiting:
            connection, _ = listener.accept()
            if _trusted(connection):
                handler = confine.fork_tied()
                if handler == 0:
                    listener.close()
                    _handle(connection)
                handlers.add(handler)
            connection.close()
        if handlers:
            idle_since = time.monotonic()
        elif time.monotonic() - idle_since > idle_s:
            listener.close()
            shutil.rmtree(folder, ignore_errors=True)
            os._exit(0)


def main() -> None:
    """``server.main preload|bare NAME FOLDER IDLE_S``: claim ``NAME``, import ahead, then serve
    on it."""
    confine.dumpable(False)
    kind, name, folder, idle_s = sys.argv[1:5]
    replies = os.dup(1)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1):
        os.dup2(null, fd)  # what a library prints never mixes with the replies
    os.close(null)
    listener = _claim(name, replies)
    boot.import_ahead(preload=kind != "bare")
    # What was imported stays out of the collector's reach: a forked kernel's collections then do
    # not write to (and so copy) the pages it shares with the server.
    gc.freeze()
    _listen(listener, folder, float(idle_s), replies)
