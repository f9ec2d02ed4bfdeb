"""Grader side: the fork server this process's kernels are forked from (Linux).

A kernel that imports TensorFlow itself spends seconds of CPU before the student's first cell; one
forked from a process that already has (``forkserver.server``) is ready in a fraction of one. This
process connects to the resident server of its kind (``preload``: whether it imports TensorFlow and
the rest), environment (a kernel started under another would not be this one's), Python and grader
(``resident``), starting it if none runs; the server forks a handler for this process, and the
handler forks each kernel it asks for.  jupyter_client gets a provisioner that asks the handler
instead of starting a kernel: the kernel's first process is what the grader watches and kills, as it
was when the grader started it.

The server's environment is a kernel's, without any submission's configuration; it holds
nothing a kernel may not know.  The handler ends when this process closes its connection
(it ended, ``kill -9`` included), and its kernels with it; a handler that ended is replaced.
"""

from __future__ import annotations

import atexit
import json
import select
import threading
import time
from typing import Any

from grader.sandbox import resident
from grader.sandbox.system.processes import living

# A request's line, or the bytes of one array that follow it.
Buffer = bytes | memoryview

# The longest a kernel's first process may take to exist (a server started now imports TensorFlow
# first).
STARTUP_TIMEOUT_S = 60


class Server:
    """This process's connection to a fork server (its handler there), and the replies it has sent.
    Connecting, and starting the server first if none runs, happens in a thread: a kernel asked for
    meanwhile is asked for once connected."""

    def __init__(self, preload: bool, key: tuple[Any, ...]) -> None:
        # Guards everything below; waited on for replies while another thread reads the connection.
        self.lock = threading.Condition()
        self.reading = False
        self.connected = threading.Event()
        self.replies: dict[int, dict[str, Any]] = {}
        self.requests = 0
        self.unread = b""
        self.queued: list[tuple[Buffer, ...]] = []
        self.connection: Any = None
        self.handler = 0  # the handler's pid, once it said so
        self.failure = ""
        self.closed = False
        # Requests sent and not answered yet: sent again if the server hangs up before it answers at
        # all.
        self.unanswered: dict[int, tuple[Buffer, ...]] = {}
        self.retried = False
        self.preload, self.name = preload, resident.name_for(preload, key)
        connection = resident.connect(self.name)
        if connection is not None:
            self._attach(connection)
        else:
            threading.Thread(target=self._start, daemon=True).start()

    def _open(self) -> Any:
        """A connection to the server, started first if none listens."""
        connection = resident.connect(self.name)
        if connection is None:
            resident.start(self.preload, self.name, STARTUP_TIMEOUT_S)
            connection = resident.connect(self.name)
        if connection is None:
            raise RuntimeError("the fork server started but does not listen")
        return connection

    def _start(self) -> None:
        try:
            self._attach(self._open())
        except Exception as exc:  # noqa: BLE001 - said when a kernel is asked for
            self.failure = f"{type(exc).__name__}: {exc}"
            self.connected.set()

    def _reconnect(self) -> None:
        """The server hung up before its handler said a word (it was ending, idle, as this process
        connected): once, connect again (to a fresh server) and ask again."""
        self.retried = True
        self.connection.close()
        self.connection = self._open()
        for message in self.unanswered.values():
            _send_all(self.connection, message)

    def _attach(self, connection: Any) -> None:
        with self.lock:
            if self.closed:
                connection.close()
            else:
                self.connection = connection
                for message in self.queued:
                    _send_all(connection, message)
                self.queued.clear()
        self.connected.set()

    def alive(self) -> bool:
        if self.closed or self.failure:
            return False
        return not self.handler or bool(living([self.handler]))

    def spawn(self, request: dict[str, Any], last: bool = False) -> int:
        """Ask for a kernel; returns the request's number (``pid`` waits for its answer).  ``last``:
        this process will ask for no other, so the handler itself becomes the kernel's first
        process."""
        with self.lock:
            self.requests += 1
            number = self.requests
            self._send({**request, "id": number, "last": last}, number)
        if last:
            retire(self)
        return number

    def pid(self, number: int, timeout: float = STARTUP_TIMEOUT_S) -> int:
        """The first process of the kernel asked for by request ``number`` (waits for the server
        to be ready and to fork it); raises ``RuntimeError`` when the server ended first or did
        not answer within ``timeout`` seconds."""
        return int(self._reply(number, timeout)["pid"])

    def call(
        self, message: dict[str, Any], payload: tuple[memoryview, ...], timeout: float
    ) -> dict[str, Any]:
        """Send ``message`` with ``payload`` (its bytes follow the line, part after part) and wait
        for
        its result; raises ``RuntimeError`` as ``pid`` does."""
        with self.lock:
            self.requests += 1
            number = self.requests
            self._send(
                {**message, "id": number, "bytes": sum(part.nbytes for part in payload)},
                number,
                payload,
            )
        try:
            return dict(self._reply(number, timeout)["result"])
        finally:
            with self.lock:
                self.replies.pop(number, None)

    def _reply(self, number: int, timeout: float) -> dict[str, Any]:
        """The reply to request ``number``.  One thread at a time reads the connection, without the
        lock (a kernel asked for meanwhile is asked for at once); the others wait for what it reads.
        """
        deadline = time.monotonic() + timeout
        if not self.connected.wait(timeout) or self.failure:
            raise RuntimeError(
                self.failure or f"the fork server did not start within {timeout:g} s"
            )
        with self.lock:
            while number not in self.replies:
                left = deadline - time.monotonic()
                if self.closed or left <= 0:
                    raise RuntimeError(f"the fork server did not answer within {timeout:g} s")
                if b"\n" in self.unread:
                    line, self.unread = self.unread.split(b"\n", 1)
                    reply = json.loads(line)
                    if "ready" in reply:
                        self.handler = int(reply["ready"])
                    else:
                        self.replies[int(reply["id"])] = reply
                        self.unanswered.pop(int(reply["id"]), None)
                        self.lock.notify_all()
                    continue
                if self.reading:
                    self.lock.wait(left)
                    continue
                chunk = self._read(left)
                if chunk is None:
                    continue
                if not chunk and not self.handler and not self.retried:
                    self._reconnect()
                    continue
                if not chunk:
                    raise RuntimeError("the fork server ended before it answered")
                self.unread += chunk
            return self.replies[number]

    def _read(self, timeout: float) -> bytes | None:
        """What the connection has within ``timeout`` seconds (``None``: nothing yet; ``b""``: it
        ended), read with the lock released; called with it held."""
        self.reading = True
        connection = self.connection
        self.lock.release()
        try:
            return (
                connection.recv(1 << 16)
                if select.select([connection], [], [], timeout)[0]
                else None
            )
        except (OSError, ValueError):  # closed meanwhile
            return b""
        finally:
            self.lock.acquire()
            self.reading = False
            self.lock.notify_all()

    def answered(self, number: int) -> bool:
        return number in self.replies

    def reap(self, pid: int) -> None:
        """The kernel's first process ended and is no longer watched: let the handler reap it."""
        with self.lock:
            try:
                self._send({"reap": pid})
            except OSError:
                pass

    def _send(
        self, message: dict[str, Any], number: int = 0, payload: tuple[memoryview, ...] = ()
    ) -> None:
        # The line and its payload kept apart: a measurement's arrays (tens of MB) are not copied.
        data: tuple[Buffer, ...] = (json.dumps(message).encode() + b"\n", *payload)
        if number:
            self.unanswered[number] = data
        if self.connection is None:
            self.queued.append(data)
        else:
            _send_all(self.connection, data)

    def close(self) -> None:
        """Close the connection: the handler ends, and its kernels with it."""
        with self.lock:
            self.closed = True
            if self.connection is not None:
                self.connection.close()


def _send_all(connection: Any, message: tuple[Buffer, ...]) -> None:
    """A request's line, then the bytes that follow it."""
    for part in message:
        connection.sendall(part)


# Connections kept at once, the least recently used ended first (a test session changes the
# environment often).
MAX_SERVERS = 3
_SERVERS: dict[tuple[bool, tuple[Any, ...], str], Server] = {}
_SERVERS_LOCK = threading.Lock()


def server(preload: bool, key: tuple[Any, ...], purpose: str = "kernels") -> Server:
    """This process's connection to the fork server of that kind for the environment ``key``, the
    server started if need be (a connection that ended is replaced).  Each ``purpose`` has a
    connection, and so a handler, of its own: the handler that is sent the arrays of a measurement
    ("measurements") never forks a kernel, which would start with that handler's memory."""
    with _SERVERS_LOCK:
        current = _SERVERS.pop((preload, key, purpose), None)
        if current is not None and not current.alive():
            current.close()
            current = None
        if current is None:
            while len(_SERVERS) >= MAX_SERVERS:
                _SERVERS.pop(next(iter(_SERVERS))).close()
            current = Server(preload, key)
        _SERVERS[(preload, key, purpose)] = current  # the most recently used last
        return current


def retire(spent: Server) -> None:
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
