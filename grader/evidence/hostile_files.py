"""The files the student's kernel left, read as hostile: the one way the grader opens them.

The kernel writes its evidence folder (events, arrays, figures, saved models) and may put
anything there: a link to the grader's own ``/proc/self/fd/N`` or to a file the kernel itself
cannot read, a FIFO that never answers, a socket, a file with another name elsewhere (a hard
link), a file that grows or shrinks while it is read.  So every file is opened relative to
the folder's descriptor, one component at a time, never following a link (``O_NOFOLLOW``, and
each folder on the way opened as a folder the same way); opened without blocking
(``O_NONBLOCK``: a FIFO opens at once and is then refused); checked on the descriptor
(``fstat``: a regular file with one name only); its size bounded before a byte is read; and
read into this process's memory, never mapped (a file the kernel truncates under a memory map
kills the reader with ``SIGBUS``).  A file that breaks a rule raises ``Refused`` with the
reason, which the record keeps; an absent file is ``None``, not a refusal.
"""

from __future__ import annotations

import errno
import io
import math
import os
import stat
from pathlib import Path

import numpy as np
from numpy.lib import format as npy_format

FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY
FOLDER_FLAGS = FILE_FLAGS | os.O_DIRECTORY
# The most of a ``.npy`` file its header may take (numpy's own limit is 10,000 bytes).
NPY_HEADER_BYTES = 16_384
# What an array the kernel recorded may hold (``recorder.array`` stores these kinds only).
NUMBER_KINDS = "biuf"
KINDS = {
    stat.S_IFIFO: "a FIFO",
    stat.S_IFSOCK: "a socket",
    stat.S_IFCHR: "a device",
    stat.S_IFBLK: "a device",
    stat.S_IFDIR: "a folder",
    stat.S_IFLNK: "a link",
}


class Refused(Exception):
    """A file of the kernel's that the grader will not read; the message says which and why."""


class TooLarge(Refused):
    """A file larger than what the grader reads."""


def _kind(mode: int) -> str:
    return KINDS.get(stat.S_IFMT(mode), "not a regular file")


def mib(limit: int) -> str:
    """``limit`` bytes as a person reads them."""
    return f"{limit / 2**20:g} MiB" if limit >= 2**20 else f"{limit:,} bytes"


def _open_at(folder: int, name: str, flags: int, shown: str) -> int:
    """``name`` in the folder ``folder`` (a descriptor), without following a link; a file that
    is not a regular one is refused before it is opened (opening a device can do things)."""
    try:
        if not flags & os.O_DIRECTORY:
            mode = os.lstat(name, dir_fd=folder).st_mode
            if not stat.S_ISREG(mode):
                raise Refused(f"{shown} is {_kind(mode)}")
        return os.open(name, flags, dir_fd=folder)
    except FileNotFoundError:
        raise
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR, errno.ENXIO):
            try:
                kind = _kind(os.lstat(name, dir_fd=folder).st_mode)
            except OSError:
                kind = "not a regular file"
            raise Refused(f"{shown} is {kind}") from None
        raise Refused(f"{shown} cannot be opened ({type(exc).__name__})") from None


def _open(root: Path, relative: str) -> int:
    """A descriptor of the file ``relative`` (``/``-separated, no ``..``) below ``root``."""
    parts = relative.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise Refused(f"{relative} is not a name in the evidence folder")
    folder = os.open(root, FOLDER_FLAGS)
    try:
        for depth, part in enumerate(parts[:-1]):
            inner = _open_at(folder, part, FOLDER_FLAGS, "/".join(parts[: depth + 1]))
            os.close(folder)
            folder = inner
        return _open_at(folder, parts[-1], FILE_FLAGS, relative)
    finally:
        os.close(folder)


def read(
    root: Path, relative: str, limit: int, *, offset: int = 0, prefix: bool = False
) -> bytearray | None:
    """The bytes of ``root/relative`` from ``offset``; ``None`` when it does not exist.

    At most ``limit`` bytes: a larger file is refused before it is read, or, with ``prefix``,
    only its first ``limit`` bytes are read (a stream of lines read as far as it goes).  What is
    returned is a copy of the file as it was read: what the kernel writes later changes nothing.
    """
    try:
        fd = _open(root, relative)
    except FileNotFoundError:
        return None
    except Refused:
        raise
    except OSError as exc:  # the evidence folder itself is gone or unreadable
        raise Refused(f"{relative} cannot be read ({type(exc).__name__})") from None
    try:
        facts = os.fstat(fd)
        if not stat.S_ISREG(facts.st_mode):
            raise Refused(f"{relative} is {_kind(facts.st_mode)}")
        if facts.st_nlink != 1:
            raise Refused(f"{relative} has other names (a hard link)")
        size = max(0, facts.st_size - offset)
        if size > limit and not prefix:
            raise TooLarge(f"{relative} is larger than {mib(limit)}")
        return _read_into(fd, bytearray(min(size, limit)), offset)
    except OSError as exc:
        raise Refused(f"{relative} cannot be read ({type(exc).__name__})") from None
    finally:
        os.close(fd)


def _read_into(fd: int, buffer: bytearray, offset: int) -> bytearray:
    """``buffer`` filled from ``offset`` on, or the part of it the file still has (it shrank)."""
    view, done = memoryview(buffer), 0
    while done < len(buffer):
        count = os.preadv(fd, [view[done:]], offset + done)
        if count == 0:
            break
        done += count
    view.release()
    return buffer if done == len(buffer) else buffer[:done]


def header(data: bytearray, name: str) -> tuple[tuple[int, ...], bool, np.dtype, int]:
    """The shape, Fortran order and type an ``.npy`` file's bytes ``data`` (all of it, or its first
    ``NPY_HEADER_BYTES`` at least) declare, and where its values start: numbers only, no pickle."""
    try:
        stream = io.BytesIO(bytes(memoryview(data)[:NPY_HEADER_BYTES]))
        version = npy_format.read_magic(stream)
        if version == (1, 0):
            shape, fortran, dtype = npy_format.read_array_header_1_0(stream)
        elif version in ((2, 0), (3, 0)):
            shape, fortran, dtype = npy_format.read_array_header_2_0(stream)
        else:
            raise ValueError(f"version {version}")
    except (ValueError, TypeError, SyntaxError, EOFError):
        raise Refused(f"{name} is not a .npy array") from None
    if dtype.hasobject or dtype.kind not in NUMBER_KINDS or dtype.fields is not None:
        raise Refused(f"{name} holds {dtype}, not numbers")
    return tuple(shape), bool(fortran), dtype, stream.tell()


def _leading(shape: tuple[int, ...], fortran: bool, name: str, rows: int) -> tuple[int, ...]:
    """The shape of the first ``rows`` rows of an array of ``shape``; refused for an array stored
    in Fortran order or with no rows, whose first rows are not its first bytes."""
    if fortran or not shape:
        raise Refused(f"{name} does not store its rows one after another")
    return (min(rows, shape[0]), *shape[1:])


def leading_bytes(data: bytearray, name: str, rows: int) -> int:
    """How many bytes of the ``.npy`` file whose first bytes are ``data`` hold its header and its
    first ``rows`` rows (``array(..., rows=rows)`` reads them)."""
    shape, fortran, dtype, start = header(data, name)
    return start + math.prod(_leading(shape, fortran, name, rows)) * dtype.itemsize


def array(data: bytearray, name: str, rows: int | None = None) -> np.ndarray:
    """The ``.npy`` bytes ``data`` as a read-only array over them (no pickle, numbers only, its
    header's shape matching its size exactly); with ``rows``, its first ``rows`` rows, from the
    first ``leading_bytes`` of the file."""
    shape, fortran, dtype, start = header(data, name)
    if rows is not None:
        shape = _leading(shape, fortran, name, rows)
    count = math.prod(shape)  # exact: a shape whose product overflows int64 is no match
    if len(data) - start != count * dtype.itemsize:
        raise Refused(
            f"{name} holds {len(data) - start} bytes of data for shape {tuple(shape)} of {dtype}"
        )
    values = (
        np.frombuffer(data, dtype, count, start).reshape(shape, order="F" if fortran else "C")
        if count
        else np.empty(shape, dtype)
    )
    values.flags.writeable = False
    return values
