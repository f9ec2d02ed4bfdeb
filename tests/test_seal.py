"""The kernel's seal and the grader's checks of it, without a kernel: the kernel side runs in a
plain Python process (the hook it adds cannot be removed), as ``boot.main`` installs it; the
grader then checks what it left, and each way of changing that afterwards shows."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from grader.boundary import seals
from grader.boundary.execution import CellRun, Execution
from grader.evidence import integrity
from grader.evidence.reading import read_evidence
from grader.evidence.seal_log import read_log
from grader.sandbox.seal_key import take_key

NONCE = "0123456789abcdef"
KERNEL = f"""
import gc, sys
from pathlib import Path
import numpy as np
from grader.boundary.seals import final_cell
from grader.sandbox.kernel import boot, legacy, sealing
from grader.sandbox.kernel.hooks import Budget, KerasHooks
from grader.sandbox.kernel.recorder import Recorder

artifacts = Path(sys.argv[1])
sealing.install(artifacts)
boot._recorder = recorder = Recorder(artifacts, sealed=True)
hooks = KerasHooks(recorder, Budget(10, 10, 10, 1))
sealing.arm([recorder, hooks], boot.final_dump, boot._cell_started)
# The kernel's own hooks, entered from the notebook: sealed.
colab = legacy._colab_call("drive.mount", recorder.event)
colab()
hooks.outputs(np.arange(12.0).reshape(3, 4))
hooks.outputs(np.ones((600, 1000)))  # 4.8 MB: digested by samples
# The recorder called by the notebook itself, then wrapped: refused, and sealed as tampering.
recorder.event("compile", optimizer="adam")
original = Recorder.array
Recorder.array = lambda self, value: original(self, value * 0)
hooks.outputs(np.arange(5.0))
Recorder.array = original
gc.get_referrers(recorder)
# The grader's final cell, as IPython runs it.
exec(compile(final_cell("{NONCE}"), "<cell>", "exec"), {{"__builtins__": __builtins__}})
"""


@pytest.fixture(scope="module")
def kernel_left(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes]:
    """What a kernel-side run leaves (its artifacts folder) and the key the grader takes."""
    artifacts = tmp_path_factory.mktemp("artifacts")
    done = subprocess.run(
        [sys.executable, "-c", KERNEL, str(artifacts)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    key = take_key(artifacts)
    assert key is not None and not (artifacts / seals.KEY_FILE).exists()
    return artifacts, key


def copy_of(kernel_left: tuple[Path, bytes], tmp_path: Path) -> Path:
    shutil.copytree(kernel_left[0], tmp_path / "artifacts")
    return tmp_path / "artifacts"


def checked(artifacts: Path, key: bytes, **changes: Any) -> integrity.Integrity:
    execution = Execution("completed", (), 1.0, False, seal=seals.SealKey(key, NONCE))
    execution = dataclasses.replace(execution, **changes)
    return integrity.check(artifacts, execution, read_evidence(artifacts), None)


def keys(result: integrity.Integrity) -> list[str]:
    return [finding.key for finding in result.findings]


def test_the_kernels_own_hooks_are_sealed_and_everything_else_is_named(
    kernel_left: tuple[Path, bytes],
) -> None:
    artifacts, key = kernel_left
    log = read_log(artifacts, key)
    assert log.found and log.broken_at is None
    events = [json.loads(line) for line in (artifacts / "events.jsonl").read_text().splitlines()]
    # Only what the hooks recorded: the Colab call and the final dump's event; the arrays the
    # hooks stored, but not the one a wrapped recorder stored.
    assert [e["kind"] for e in events] == ["colab", "final"] and len(log.events) == 2
    assert set(log.arrays) == {"a0.npy", "a1.npy"}
    assert log.tampering == (
        "recorded by other code: event compile",
        "recorded by other code: array",
        "gc.get_referrers",
    )
    assert log.end == (NONCE, "ok")


def test_what_the_kernel_left_untouched_checks_out(kernel_left: tuple[Path, bytes]) -> None:
    artifacts, key = kernel_left
    result = checked(artifacts, key)
    # Only the tampering the seal saw as it happened.
    assert keys(result) == ["seen", "seen", "seen"] and result.status == "tampered"


def test_an_edited_or_appended_event_line_shows(
    kernel_left: tuple[Path, bytes], tmp_path: Path
) -> None:
    artifacts = copy_of(kernel_left, tmp_path)
    events = artifacts / "events.jsonl"
    events.write_text(events.read_text().replace('"drive.mount"', '"drive.Mount"'))
    assert "events_changed" in keys(checked(artifacts, kernel_left[1]))
    artifacts = copy_of(kernel_left, tmp_path / "again")
    with open(artifacts / "events.jsonl", "a") as file:
        file.write('{"kind": "compile", "optimizer": "adam"}\n')
    assert "events_changed" in keys(checked(artifacts, kernel_left[1]))


@pytest.mark.parametrize("name", ["a0.npy", "a1.npy"], ids=["whole", "sampled"])
def test_a_replaced_array_shows(kernel_left: tuple[Path, bytes], tmp_path: Path, name: str) -> None:
    artifacts = copy_of(kernel_left, tmp_path)
    original = np.load(artifacts / "arrays" / name)
    np.save(artifacts / "arrays" / name, original * 2 + 1)
    result = checked(artifacts, kernel_left[1])
    assert {"key": "array_changed", "names": name} in [
        {"key": f.key, **f.params} for f in result.findings
    ]


def test_a_changed_removed_or_cut_seal_log_shows(
    kernel_left: tuple[Path, bytes], tmp_path: Path
) -> None:
    artifacts, key = copy_of(kernel_left, tmp_path), kernel_left[1]
    log = artifacts / seals.SEALS_FILE
    lines = log.read_text().splitlines(keepends=True)
    # A tampering line taken out: every later tag stops verifying.
    log.write_text("".join(line for line in lines if not line.startswith("tamper")))
    assert "log_changed" in keys(checked(artifacts, key))
    # Cut before the end: the final dump's end is not there.
    log.write_text("".join(lines[:-1]))
    assert keys(checked(artifacts, key))[-4:] == ["no_end", "seen", "seen", "seen"]
    log.unlink()
    assert "no_log" in keys(checked(artifacts, key))
    # A key that is not the kernel's: nothing verifies.
    assert "log_changed" in keys(checked(copy_of(kernel_left, tmp_path / "b"), b"k" * 32))


def test_a_cell_the_kernel_did_not_seal_shows(kernel_left: tuple[Path, bytes]) -> None:
    cell = CellRun(1, "x = 1", "ok", 0.1)
    result = checked(*kernel_left, cells=(cell,))
    assert "cells_unsealed" in keys(result)


def test_without_a_seal_nothing_is_claimed(kernel_left: tuple[Path, bytes]) -> None:
    result = checked(kernel_left[0], kernel_left[1], seal=None)
    assert result.status == "unverified" and keys(result) == ["no_seal"]


def test_the_grader_digests_an_array_as_the_kernel_does() -> None:
    """The sampled digest of a large array moves with any block it samples, and only with the
    key: a change to every block always shows."""
    key = b"k" * 32
    data = np.arange(3 * seals.WHOLE_BYTES // 4, dtype="float32")
    label, digest = integrity.digest_of(data, key)
    assert (label, digest) == integrity.digest_of(data.copy(), key)
    assert integrity.digest_of(data + 1, key)[1] != digest
    assert integrity.digest_of(data, b"x" * 32)[1] != digest
    sample_key = hmac.digest(key, seals.SAMPLE_LABEL, "sha256")
    flat = memoryview(data).cast("B")
    assert seals.array_digest(flat, label, sample_key, hmac.digest, hashlib.sha256) == digest


def test_a_tampered_record_says_so_in_its_document_its_report_and_the_class_summary() -> None:
    import io

    from grader.outcome import Message
    from grader.record import Record
    from grader.report.json_record import to_data
    from grader.report.safe_text import SafeConsole
    from grader.report.summary import summary_page, summary_renderable
    from grader.report.terminal import report
    from grader.report.view import build_view

    found = integrity.Integrity("tampered", (Message("array_changed", {"names": "a0.npy"}),))
    record = Record("week8", "bob.ipynb", "graded", 1.0, 2.0, 1.0, (), integrity=found)
    intact = Record(
        "week8", "amy.ipynb", "graded", 2.0, 2.0, 1.0, (), integrity=integrity.Integrity("intact")
    )
    documents = [to_data(build_view(r, "en", r.submission[:3], None, "")) for r in (record, intact)]
    assert documents[0]["integrity"] == {
        "status": "tampered",
        "findings": [
            {
                "key": "array_changed",
                "params": {"names": "a0.npy"},
                "text": "Arrays differ from what the kernel sealed (changed, replaced or removed "
                "after they were recorded): a0.npy.",
            }
        ],
    }
    terminal = io.StringIO()
    console = SafeConsole(file=terminal, width=200)
    console.print(report(build_view(record, "en", "bob", None, "")))
    console.print(summary_renderable(documents, "en"))
    assert "Evidence: tampered" in terminal.getvalue() and "bob" in terminal.getvalue()
    page = summary_page(documents, "en")
    listed = page[page.index('<section id="integrity">') :]
    assert "bob" in listed and "a0.npy" in listed and "amy" not in listed
    assert '<section id="integrity">' not in summary_page(documents[1:], "en")
