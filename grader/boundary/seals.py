"""The seal log: how the kernel's record of what the student's code did can be checked from outside.

Everything the kernel writes can be changed by the code it runs.  The kernel's seal
(``sandbox/kernel/sealing.py``) is an audit hook installed before anything else in the kernel;
it keeps a running HMAC under a key it makes itself and hands to the grader before any student
code exists.  For each thing the kernel records it appends one line to ``SEALS_FILE``, tagged
with the HMAC of every line so far: the digest of each event line, array and file, each cell
started, each tampering it saw, and, last, the end of the grader's final dump with the grader's
own nonce.  The grader (``evidence/integrity.py``) recomputes the tags: a line changed, removed or
added without the running HMAC, and every evidence file that differs from its seal, shows.

Shared by both sides: the names, the line format, and the digest of an array (its type, shape
and bytes; for a large array, blocks at places only the key knows, so that sealing and checking
stay cheap).  The kernel side calls ``array_digest`` with primitives it captured at start-up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

SEALS_FILE = "seals.log"
# Written by the kernel's seal at start-up, read and removed by the grader before the first cell.
KEY_FILE = "seal.key"
# The comment that marks the grader's final cell, followed by its nonce.
FINAL_MARKER = "# grader:final "
# The sampling key is derived from the seal's key with this label.
SAMPLE_LABEL = b"grader seal: array samples"
# Arrays up to this size are digested whole; larger ones by SAMPLES blocks of BLOCK bytes.
WHOLE_BYTES = 4 * 2**20
BLOCK = 4096
SAMPLES = 1024
FIELD_SEPARATOR = "\t"

# The kinds of line: the kernel's start, a cell begun, an event line, an array, a file, a
# tampering seen, a fault of the seal itself, the end of the final dump.
KINDS = ("start", "cell", "event", "array", "file", "tamper", "fault", "end")
# What the functions below read of this module (the kernel's seal copies them into its globals).
CONSTANTS = ("FIELD_SEPARATOR", "WHOLE_BYTES", "BLOCK", "SAMPLES")


@dataclass(frozen=True)
class SealKey:
    """What the grader holds for one kernel: the key the seal made, the final cell's nonce."""

    key: bytes
    nonce: str


def final_cell(nonce: str) -> str:
    """The grader's last cell: the final dump, marked with ``nonce`` (one expression, so that
    IPython compiles it as one piece of code)."""
    return (
        '__import__("grader.sandbox.kernel.boot", fromlist=["final_dump"]).final_dump()'
        f"  {FINAL_MARKER}{nonce}"
    )


def array_digest(
    data: Any,
    label: str,
    sample_key: bytes,
    hmac_digest: Callable[[bytes, bytes, str], bytes],
    sha256: Callable[..., Any],
) -> str:
    """The digest of an array's bytes in C order (``data``: a byte memoryview or bytes) with its
    ``label`` (dtype and shape): whole when small, else ``SAMPLES`` blocks chosen by
    ``sample_key``."""
    size = len(data)
    digest = sha256((label + FIELD_SEPARATOR + str(size)).encode())
    if size <= WHOLE_BYTES:
        digest.update(data)
        return str(digest.hexdigest())
    blocks = (size + BLOCK - 1) // BLOCK
    for index in range(SAMPLES):
        pick = hmac_digest(sample_key, (label + FIELD_SEPARATOR + str(index)).encode(), "sha256")
        start = int.from_bytes(pick[:8], "big") % blocks * BLOCK
        digest.update(data[start : start + BLOCK])
    return str(digest.hexdigest())


def array_label(dtype: str, shape: tuple[int, ...]) -> str:
    return f"{dtype}{FIELD_SEPARATOR}{','.join(map(str, shape))}"


def clean_field(value: str, limit: int = 300) -> str:
    """A field of a seal line: no separator or line break, bounded."""
    return value.replace("\t", " ").replace("\n", " ").replace("\r", " ")[:limit]
