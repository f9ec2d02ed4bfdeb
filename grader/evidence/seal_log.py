"""The kernel's seal log, read and verified with the key the grader took before any cell ran.

Each line carries the HMAC of every line up to it (``boundary/seals``): the lines that verify, in
order, are what the kernel's seal wrote; the first that does not verify ends what can be trusted.
The files the kernel left are read here as hostile: never through a link, regular files only,
bounded in size.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from grader.boundary.seals import FIELD_SEPARATOR, SEALS_FILE

MAX_LOG_BYTES = 16 * 2**20


def read_bounded(path: Path, limit: int) -> bytes | None:
    """The bytes of ``path`` if it is a regular file (not reached through a link) of at most
    ``limit`` bytes; else ``None``."""
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode) or status.st_size > limit:
            return None
        with os.fdopen(os.dup(descriptor), "rb") as file:
            return file.read(limit + 1)[: limit + 1]
    except OSError:
        return None
    finally:
        os.close(descriptor)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class SealLog:
    """What the verified lines say."""

    # Whether the log was there to read at all.
    found: bool
    # 1-based number of the first line that does not verify (None: all do).
    broken_at: int | None
    cells: tuple[str, ...] = ()
    events: tuple[str, ...] = ()
    # name -> (label, digest)
    arrays: dict[str, tuple[str, str]] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    tampering: tuple[str, ...] = ()
    faults: tuple[str, ...] = ()
    # (nonce, "ok" or "error") of the end of the final dump, if sealed.
    end: tuple[str, str] | None = None


def read_log(directory: Path, key: bytes) -> SealLog:
    raw = read_bounded(directory / SEALS_FILE, MAX_LOG_BYTES)
    if raw is None:
        return SealLog(found=False, broken_at=None)
    lines = raw.split(b"\n")
    # A last line without its line break was cut while the kernel was killed: not a seal.
    lines = lines[:-1]
    state = hmac.new(key, digestmod="sha256")
    fields_of: list[list[str]] = []
    broken_at = None
    for number, line in enumerate(lines, start=1):
        body, separator, tag = line.rpartition(FIELD_SEPARATOR.encode())
        state.update(body + b"\n")
        if not separator or not hmac.compare_digest(state.hexdigest().encode(), tag):
            broken_at = number
            break
        fields_of.append(body.decode("utf-8", "replace").split(FIELD_SEPARATOR))
    if fields_of and fields_of[0][0] != "start":
        return SealLog(found=True, broken_at=1)
    return _parsed(fields_of, broken_at)


def _parsed(lines: list[list[str]], broken_at: int | None) -> SealLog:
    cells, events, tampering, faults = [], [], [], []
    arrays: dict[str, tuple[str, str]] = {}
    files: dict[str, str] = {}
    end = None
    for kind, *rest in lines:
        if kind == "cell" and len(rest) == 1:
            cells.append(rest[0])
        elif kind == "event" and len(rest) == 1:
            events.append(rest[0])
        elif kind == "array" and len(rest) == 4:
            arrays[rest[0]] = (FIELD_SEPARATOR.join(rest[1:3]), rest[3])
        elif kind == "file" and len(rest) == 2:
            files[rest[0]] = rest[1]
        elif kind == "tamper" and rest:
            tampering.append(rest[0])
        elif kind == "fault" and rest:
            faults.append(rest[0])
        elif kind == "end" and len(rest) == 2:
            end = (rest[0], rest[1])
    return SealLog(
        True,
        broken_at,
        tuple(cells),
        tuple(events),
        arrays,
        files,
        tuple(tampering),
        tuple(faults),
        end,
    )
