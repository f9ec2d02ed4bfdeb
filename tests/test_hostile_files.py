"""What the kernel leaves is read as hostile (``grader/evidence/hostile_files.py``): crafted
evidence folders, each file breaking one rule, read in this process.  Judged by effects: the
reading ends at once (no FIFO or pipe blocks it), nothing behind a link is read (a pipe this
process holds keeps its bytes, a secret file's values appear nowhere), each refusal is kept with
its reason for the record, and the arrays read are this process's own copies (a file truncated
afterwards changes nothing and cannot raise ``SIGBUS``)."""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from grader.boundary.artifacts import ARRAYS_DIR, EVENTS_FILE, FIGURES_DIR, MODELS_DIR
from grader.boundary.execution import Execution
from grader.datasets.dataset import Dataset
from grader.evidence import hostile_files
from grader.evidence.gathering import gather
from grader.evidence.reading import read_evidence
from grader.evidence.saved_copies import Unusable, saved_file
from grader.judging import refusal_notes
from grader.measurement.early import EarlyMeasurement
from grader.messages import text

# Every read here must end well within this (a blocking open or read never would).
PROMPT_S = 2.0
SECRET = np.full((4, 3), 7654.321, np.float32)


def _events(folder: Path, *events: dict[str, Any]) -> None:
    with open(folder / EVENTS_FILE, "a") as f:
        f.writelines(json.dumps(e) + "\n" for e in events)


def _fit(x: str, y: str = "a0.npy", validation: str | None = None) -> dict[str, Any]:
    return {"kind": "fit_start", "model": "m0", "x": x, "y": y, "validation_x": validation}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    artifacts = tmp_path / "artifacts"
    (artifacts / ARRAYS_DIR).mkdir(parents=True)
    (artifacts / FIGURES_DIR).mkdir()
    (artifacts / MODELS_DIR).mkdir()
    np.save(artifacts / ARRAYS_DIR / "a0.npy", np.arange(12, dtype=np.float32).reshape(4, 3))
    np.save(tmp_path / "secret.npy", SECRET)
    return artifacts


def _refusal(evidence: Any, name: str) -> str:
    return dict(evidence.refused).get(f"{ARRAYS_DIR}/{name}", "")


def test_a_plain_array_is_read_as_numbers_into_memory(folder: Path) -> None:
    evidence = read_evidence(folder)
    array = evidence.array("a0.npy")
    assert array is not None and array.shape == (4, 3) and not array.flags.writeable
    assert not isinstance(array.base, np.memmap) and evidence.refused == []
    # Truncated after it was read: the copy stands (a memory map would die with SIGBUS).
    os.truncate(folder / ARRAYS_DIR / "a0.npy", 0)
    assert float(array.sum()) == 66.0


def test_an_array_that_shrinks_while_it_is_read_gives_a_short_copy_refused(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The kernel truncates the file between the size the grader saw and its last read."""
    real = os.preadv
    monkeypatch.setattr(
        os, "preadv", lambda fd, buffers, offset: 0 if offset else real(fd, buffers, 0) - 8
    )
    evidence = read_evidence(folder)
    assert evidence.array("a0.npy") is None
    assert "bytes of data for shape (4, 3)" in _refusal(evidence, "a0.npy")


@pytest.mark.parametrize(
    ("plant", "reason"),
    [
        ("link_outside", "is a link"),
        ("link_to_proc_fd", "is a link"),
        ("fifo", "is a FIFO"),
        ("socket", "is a socket"),
        ("hard_link", "has other names (a hard link)"),
        ("folder", "is a folder"),
        ("truncated", "bytes of data for shape (4, 3)"),
        ("padded", "bytes of data for shape (4, 3)"),
        ("objects", "not numbers"),
        ("not_npy", "is not a .npy array"),
        ("too_large", "is larger than 100 bytes"),
        ("overflowing_shape", "bytes of data for shape"),
    ],
)
def test_an_array_that_breaks_a_rule_is_refused_at_once_with_its_reason(
    folder: Path, plant: str, reason: str
) -> None:
    target = folder / ARRAYS_DIR / "a1.npy"
    secret = folder.parent / "secret.npy"
    read, write = os.pipe()  # stands for a batch worker's job queue
    os.write(write, b"the next classmate's job")
    holder: list[socket.socket] = []
    if plant == "link_outside":
        target.symlink_to(secret)
    elif plant == "link_to_proc_fd":
        target.symlink_to(f"/proc/self/fd/{read}")
    elif plant == "fifo":
        os.mkfifo(target)
    elif plant == "socket":
        holder.append(socket.socket(socket.AF_UNIX))
        holder[0].bind(str(target))
    elif plant == "hard_link":
        os.link(secret, target)
    elif plant == "folder":
        target.mkdir()
    elif plant in ("truncated", "padded"):
        data = (folder / ARRAYS_DIR / "a0.npy").read_bytes()
        target.write_bytes(data[:-5] if plant == "truncated" else data + b"\0" * 4)
    elif plant == "objects":
        np.save(target, np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    elif plant == "not_npy":
        target.write_bytes(b"\x93NUMPY not really")
    elif plant == "too_large":
        np.save(target, np.zeros(1000, np.float64))
    elif plant == "overflowing_shape":
        # A shape whose product wraps around in int64 to the size of the data.
        header = "{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4), }"
        target.write_bytes(
            b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode()
        )
    _events(folder, _fit("a1.npy"))
    limit = 100 if plant == "too_large" else hostile_files.NPY_HEADER_BYTES * 100
    started = time.monotonic()
    evidence = read_evidence(folder, limit)
    assert evidence.array("a1.npy") is None
    assert time.monotonic() - started < PROMPT_S
    assert reason in _refusal(evidence, "a1.npy"), evidence.refused
    # Nothing behind the link was read: the pipe keeps its bytes.
    os.set_blocking(read, False)
    assert os.read(read, 100) == b"the next classmate's job"
    for each in (read, write, *(s.fileno() for s in holder)):
        os.close(each)


def test_the_leading_rows_are_read_without_the_rest_of_the_file(folder: Path) -> None:
    """The early measurement reads only the rows it trains on: within a limit the whole file
    would break, as its own copy, and only where the rows lie one after another."""
    many = np.arange(100_000 * 3, dtype=np.float32).reshape(100_000, 3)
    np.save(folder / ARRAYS_DIR / "a1.npy", many)
    # Room for a look at its header and its first two rows, not for its 1.2 MB.
    evidence = read_evidence(folder, limit_bytes=2 * hostile_files.NPY_HEADER_BYTES)
    first = evidence.leading_rows("a1.npy", 2)
    assert first is not None and not first.flags.writeable and evidence.refused == []
    assert np.array_equal(first, many[:2])
    assert evidence.array("a1.npy") is None  # the whole of it is over that limit
    os.truncate(folder / ARRAYS_DIR / "a1.npy", 0)
    assert float(first.sum()) == 15.0
    # More rows than it has: all of them.
    whole = np.arange(12, dtype=np.float32).reshape(4, 3)
    assert np.array_equal(read_evidence(folder).leading_rows("a0.npy", 10), whole)
    np.save(folder / ARRAYS_DIR / "a2.npy", np.asfortranarray(many))
    (folder / ARRAYS_DIR / "a3.npy").symlink_to(folder.parent / "secret.npy")
    evidence = read_evidence(folder)
    assert evidence.leading_rows("a2.npy", 2) is None
    assert "does not store its rows one after another" in _refusal(evidence, "a2.npy")
    assert evidence.leading_rows("a3.npy", 2) is None
    assert "is a link" in _refusal(evidence, "a3.npy")


def test_a_link_on_the_way_to_a_file_is_refused(folder: Path, tmp_path: Path) -> None:
    """No link in an intermediate component either: ``arrays`` itself a link to a folder of the
    kernel's choosing."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    np.save(elsewhere / "a0.npy", SECRET)
    os.rename(folder / ARRAYS_DIR, tmp_path / "moved")
    (folder / ARRAYS_DIR).symlink_to(elsewhere)
    evidence = read_evidence(folder)
    assert evidence.array("a0.npy") is None
    assert _refusal(evidence, "a0.npy") == "arrays is a link"


def test_the_events_file_as_a_fifo_or_a_link_is_refused_without_blocking(
    folder: Path, tmp_path: Path
) -> None:
    os.mkfifo(folder / EVENTS_FILE)
    started = time.monotonic()
    evidence = read_evidence(folder)
    assert evidence.events == () and ("events.jsonl", "events.jsonl is a FIFO") in evidence.refused
    early = EarlyMeasurement(folder, None, None, None, 0)  # type: ignore[arg-type]
    assert early._read_new() == b""
    assert time.monotonic() - started < PROMPT_S
    os.remove(folder / EVENTS_FILE)
    (tmp_path / "forged.jsonl").write_text(json.dumps(_fit("a0.npy")) + "\n")
    (folder / EVENTS_FILE).symlink_to(tmp_path / "forged.jsonl")
    assert read_evidence(folder).events == ()


def test_what_the_kernel_wrote_is_read_within_its_disk_limit_in_all(folder: Path) -> None:
    for index in (1, 2, 3):
        np.save(folder / ARRAYS_DIR / f"a{index}.npy", np.zeros(1000, np.float32))
    evidence = read_evidence(folder, limit_bytes=9000)
    arrays = [evidence.array(f"a{index}.npy") for index in (1, 2, 3)]
    assert [a is not None for a in arrays] == [True, True, False]
    assert "and the files before it exceed" in _refusal(evidence, "a3.npy")


def test_a_figure_or_a_saved_model_behind_a_link_is_refused(folder: Path, tmp_path: Path) -> None:
    png = tmp_path / "real.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 32)
    (folder / FIGURES_DIR / "fig0.png").symlink_to(png)
    (folder / MODELS_DIR / "f0.keras").symlink_to(tmp_path / "secret.npy")
    _events(folder, {"kind": "figure", "axes": [], "png": "fig0.png"})
    evidence = read_evidence(folder)
    assert evidence.figures[0].png is None
    assert ("figures/fig0.png", "figures/fig0.png is a link") in evidence.refused
    with pytest.raises(Unusable, match="models/f0.keras is a link"):
        saved_file(evidence, "f0.keras")


def test_facts_are_gathered_from_what_was_not_refused_and_the_record_says_why(
    folder: Path,
) -> None:
    os.mkfifo(folder / ARRAYS_DIR / "a1.npy")
    (folder / ARRAYS_DIR / "a2.npy").symlink_to("/proc/self/fd/0")
    _events(folder, _fit("a1.npy", "a0.npy", "a2.npy"))
    dataset = Dataset(
        "tiny",
        np.zeros((4, 3), np.uint8),
        np.arange(4),
        np.zeros((4, 3), np.uint8),
        np.arange(4),
        synthetic=False,
    )
    started = time.monotonic()
    evidence = read_evidence(folder)
    facts, arrays = gather(evidence, Execution("completed", (), 1.0, False), dataset)
    assert time.monotonic() - started < PROMPT_S
    assert facts.x_train is None and facts.y_train is not None and arrays["x_train"] is None
    notes = refusal_notes(tuple(evidence.refused))
    assert [n.params["file"] for n in notes] == ["arrays/a1.npy", "arrays/a2.npy"]
    for lang in ("en", "ja"):
        assert "arrays/a1.npy is a FIFO" in text(
            lang, "note", "evidence_refused", **notes[0].params
        )
