"""Similarity across a class, for a copy exercise: what students wrote themselves, compared.

In a copy exercise every honest notebook looks like the lecture, so the assignment's own
notebooks (starters, solution, lecture) are fingerprinted first and their fingerprints
taken out of every submission, with those that most of the class shares (the same fix
everybody made).  What is left (helpers a student wrote, odd settings, shared mistakes)
is compared pair by pair.  copydetect does the normalising (names, strings, comments and
layout) and the winnowed fingerprints; each cell is fingerprinted on its own, so the order
of cells does not matter.
"""

from __future__ import annotations

import itertools
import re
import zlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from grader.submissions.cells import InvalidSubmission, read_submission

# copydetect's thresholds: fingerprints of NOISE normalised characters, one at least every
# GUARANTEE characters of a passage in common.
NOISE, GUARANTEE = 20, 24
# A pair is flagged when most of the smaller one's own code is shared, and that is some code.
FLAG_SCORE, FLAG_MIN_SHARED = 0.5, 6
# A fingerprint more than this share of the class has is common knowledge, not a copy
# (only in classes of at least COMMON_MIN_CLASS).
COMMON_SHARE, COMMON_MIN_CLASS = 0.5, 5
BOILERPLATE = ("starter*.ipynb", "solution.ipynb", "examples/lecture.ipynb", "lecture.ipynb")
MAGIC = re.compile(r"^\s*[%!].*$", re.MULTILINE)
# A cell is fingerprinted up to this length: a pasted megabyte of data must not stall the batch.
MAX_CELL_CHARS = 100_000


@dataclass(frozen=True)
class Code:
    """One submission's code cells and their fingerprints (cell number -> hashes)."""

    id: str
    cells: tuple[str, ...]
    prints: tuple[frozenset[int], ...]

    def own(self, ignored: frozenset[int]) -> set[int]:
        return set().union(*self.prints) - ignored if self.prints else set()


@dataclass(frozen=True)
class Pair:
    a: str
    b: str
    score: float
    flagged: bool
    shared: int
    # The cells (1-based among code cells) holding most of what is shared, in each.
    cells_a: tuple[int, ...]
    cells_b: tuple[int, ...]


def cell_prints(source: str) -> frozenset[int]:
    """The fingerprints of one cell, its IPython magics and shell lines left out.

    The k-grams are hashed with CRC-32, not copydetect's ``hash()`` (salted per process):
    the same class gives the same report on every run.  copydetect is imported here, not with
    this module: it imports pyplot, a third of a second of every ``grader`` command and worker.
    """
    from copydetect.utils import filter_code, winnow

    filtered, _ = filter_code(MAGIC.sub("", source[:MAX_CELL_CHARS]), "cell.py", "python")
    if len(filtered) < NOISE:
        return frozenset()
    kgrams = np.array(
        [zlib.crc32(filtered[i : i + NOISE].encode()) for i in range(len(filtered) - NOISE + 1)],
        dtype=np.int64,
    )
    hashes, _ = winnow(kgrams, GUARANTEE - NOISE + 1)
    return frozenset(int(h) for h in hashes)


def read_code(id: str, path: Path) -> Code | None:
    """A submission's code, or ``None`` when it cannot be read as one."""
    try:
        cells = tuple(cell.source for cell in read_submission(path).cells)
    except InvalidSubmission:
        return None
    return Code(id, cells, tuple(cell_prints(c) for c in cells))


def boilerplate(folder: Path) -> frozenset[int]:
    """Every fingerprint of the assignment's own notebooks (what the lecture gave everyone)."""
    found: set[int] = set()
    for path in sorted({p for pattern in BOILERPLATE for p in folder.glob(pattern)}):
        code = read_code(path.stem, path)
        if code is not None:
            found |= code.own(frozenset())
    return frozenset(found)


def _common(codes: Sequence[Code], given: frozenset[int]) -> frozenset[int]:
    if len(codes) < COMMON_MIN_CLASS:
        return given
    counts = Counter(h for code in codes for h in code.own(given))
    return given | {h for h, n in counts.items() if n > COMMON_SHARE * len(codes)}


def _cells(code: Code, shared: set[int]) -> tuple[int, ...]:
    counts = [(len(prints & shared), number) for number, prints in enumerate(code.prints, start=1)]
    return tuple(sorted(number for n, number in sorted(counts, reverse=True)[:2] if n))


def compare(codes: Sequence[Code], given: frozenset[int]) -> list[Pair]:
    """Every pair of ``codes``, most similar first, after subtracting ``given`` and what most
    share."""
    ignored = _common(codes, given)
    own = {code.id: code.own(ignored) for code in codes}
    pairs = []
    for a, b in itertools.combinations(sorted(codes, key=lambda c: c.id), 2):
        shared = own[a.id] & own[b.id]
        smaller = min(len(own[a.id]), len(own[b.id]))
        score = round(len(shared) / smaller, 3) if smaller else 0.0
        flagged = score >= FLAG_SCORE and len(shared) >= FLAG_MIN_SHARED
        pairs.append(
            Pair(a.id, b.id, score, flagged, len(shared), _cells(a, shared), _cells(b, shared))
        )
    return sorted(pairs, key=lambda p: (not p.flagged, -p.score, p.a, p.b))
