"""A kernel's share of the machine, judged by its effects: its folders on a tmpfs of the disk
limit's size (a write past it fails, nothing of it reaches the machine's disk, its evidence is
read after it is gone), a cgroup of its own, no key call; and, with each simulated away, what
applies instead (the kernel's own time, a scan that counts what it cannot name, a keyring of its
own), each said in the record.  Nothing of any kernel is left in the temporary folder or the
keyring.  Last, a classmate graded beside a notebook running 58 busy shells gets the record it
gets alone, with cgroups and without.

The kernels here import no TensorFlow (``preload=False``): each costs a second or two.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from grader.boundary.execution import Execution, Limits
from grader.sandbox import cgroups, isolation, kernel_start
from grader.sandbox.runner import run_in
from grader.submissions.cells import Cell, Submission
from tests.hostile import cases as hostile

ROOT = Path(__file__).resolve().parent.parent
LIMITS = Limits(
    cell_timeout_s=4, total_timeout_s=30, memory_mb=1000, output_bytes=64 * 1024, disk_mb=64
)
BUDGET = {"fit_samples": 8, "validation_samples": 8, "evaluate_samples": 8, "max_epochs": 2}
KEY = "grader-limits-test-key"
# add_key("user", KEY, "x", 1, KEY_SPEC_SESSION_KEYRING) through ctypes: its result and errno.
ADD_KEY = (
    "import ctypes, platform\n"
    "libc = ctypes.CDLL(None, use_errno=True)\n"
    "number = {'x86_64': 248, 'aarch64': 217}[platform.machine()]\n"
    f"serial = libc.syscall(number, b'user', b'{KEY}', b'x', 1, -3)\n"
    "print('add_key', serial, ctypes.get_errno())\n"
)
WRITE_100MB = (
    "with open('big.bin', 'wb') as f:\n    for _ in range(100):\n        f.write(b'0' * 2**20)"
)
# 1,200 nested folders (past PATH_MAX) and a file below them, made by a second Python.
DEEP = (
    "import subprocess, sys, time\nsubprocess.run([sys.executable, '-c', 'import os\\n"
    'for _ in range(1200):\\n    os.mkdir("dddd")\\n    os.chdir("dddd")\\n'
    'open("f", "w").write("x")\'])\ntime.sleep(3)'
)
pytestmark = pytest.mark.slow


def _short_folder() -> Path:
    """A temporary folder of a test's own, with a short name (a kernel's sockets are in it, and
    a socket's path may be at most 107 bytes)."""
    return Path(tempfile.mkdtemp(prefix="gl-", dir="/tmp"))


@pytest.fixture
def private_tmp(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """This test's own temporary folder, so that what is left in it is this test's."""
    folder = _short_folder()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    yield folder
    os.rmdir(folder)


def _grade(*sources: str, limits: Limits = LIMITS) -> tuple[Execution, list[str], list[str]]:
    """A kernel started for the grading path (its own evidence folder), the cells run; its
    execution, what its evidence folder holds and what the machine's side of its working folder
    holds, read after it was killed and before it was closed."""
    kernel = kernel_start.start(kernel_start.KernelSettings.of(limits, BUDGET, preload=False))
    try:
        kernel.answer()
        cells = tuple(Cell(i + 1, s) for i, s in enumerate(sources))
        execution = run_in(kernel, Submission(Path("x.py"), cells))
        evidence = sorted(os.listdir(kernel.artifacts))
        on_disk = sorted(os.listdir(kernel.place.work))
        group = kernel.resources.group
    finally:
        kernel.close()
    assert group is None or not any(folder.exists() for _, folder in group.folders)
    return execution, evidence, on_disk


def _keys() -> str:
    return Path("/proc/keys").read_text() if Path("/proc/keys").exists() else ""


@pytest.mark.skipif(
    bool({"resources", "disk", "keyring"} & set(isolation.expected().missing)),
    reason="this machine cannot give a kernel a cgroup, a tmpfs and the seccomp filter",
)
def test_a_kernel_writes_on_its_own_tmpfs_in_its_own_cgroup_and_makes_no_key(
    private_tmp: Path,
) -> None:
    execution, evidence, on_disk = _grade(
        ADD_KEY, "open('small.txt', 'w').write('x')", WRITE_100MB, "print('after')"
    )
    assert execution.isolation is not None
    held = {layer.name: layer for layer in execution.isolation.layers}
    assert all(held[name].held for name in ("resources", "disk", "keyring")), held
    assert "tmpfs of 64 MB" in held["disk"].by
    assert execution.cells[0].output.split()[1:] == ["-1", "38"]  # ENOSYS: refused
    assert execution.status == "resource_limit" and "disk" in execution.detail
    assert [c.outcome for c in execution.cells[:3]] == ["ok", "ok", "error"]
    # The evidence, read through the grader's descriptor of the tmpfs once the kernel is gone.
    assert evidence == ["arrays", "events.jsonl", "figures", "seals.log"]
    assert on_disk == []  # nothing the kernel wrote reached the machine's disk
    assert os.listdir(private_tmp) == []
    assert KEY not in _keys()


def test_without_cgroups_tmpfs_or_seccomp_each_fallback_applies_and_is_said(
    private_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Time is the kernel's own (a busy cell is interrupted, a sleeping one of the same length
    is not), a tree the scan cannot name is over the disk limit, a key the kernel adds is in a
    keyring of its own that goes with it."""
    monkeypatch.setenv(isolation.SIMULATE_ENV, "no-cgroups,no-tmpfs,no-seccomp")
    execution, _, _ = _grade(
        "while True: pass", "import time\ntime.sleep(5)", ADD_KEY, DEEP, "print('not run')"
    )
    assert execution.isolation is not None
    held = {layer.name: layer for layer in execution.isolation.layers}
    assert [n for n in ("resources", "disk", "keyring") if not held[n].held] == [
        "resources",
        "disk",
        "keyring",
    ]
    assert "simulated" in held["resources"].by and "own CPU time" in held["resources"].by
    assert "cannot name counts as over" in held["disk"].by
    outcomes = [c.outcome for c in execution.cells]
    assert outcomes[:3] == ["timeout", "ok", "ok"], (
        execution.status,
        execution.detail,
        execution.cells,
    )
    assert "of its own time" in (execution.cells[0].error or "").__str__()
    assert int(execution.cells[2].output.split()[1]) > 0  # added, to the kernel's own keyring
    assert execution.status == "resource_limit" and "disk" in execution.detail
    assert outcomes[4] == "not_run"
    assert os.listdir(private_tmp) == []
    deadline = time.monotonic() + 10
    while KEY in _keys() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert KEY not in _keys()


CLASSMATE = "import time\ntime.sleep(2)\nwhile time.process_time() < 0.3: pass\nprint('done')"
# 58 busy shells, started by one small shell (quick to start however busy the machine is).
HOG = (
    "import subprocess\n"
    "hog = subprocess.Popen(['sh', '-c', "
    "'for i in $(seq 58); do sh -c \"while :; do :; done\" & done; wait'])"
)


def _batch(folder: Path, paths: list[Path], simulate: str) -> dict[str, dict]:
    """``paths`` graded at once, each by a ``grader grade`` of its own, with a temporary folder
    of their own (left empty: asserted)."""
    out, tmp = folder / "out", _short_folder()
    env = dict(
        os.environ,
        PYTHONPATH=str(ROOT),
        GRADER_ASSIGNMENTS=str(folder.parent / "assignments"),
        TMPDIR=str(tmp),
        **{isolation.SIMULATE_ENV: simulate},
    )
    command = [sys.executable, "-m", "grader", "grade", "--assignment", hostile.ASSIGNMENT]
    processes = [
        subprocess.Popen(
            [*command, "--lang", "en", "--out", str(out), str(path)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for path in paths
    ]
    logs = [process.communicate(timeout=300)[0].decode(errors="replace") for process in processes]
    assert os.listdir(tmp) == [], logs
    tmp.rmdir()
    records = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in out.glob("*.json")}
    assert len(records) == len(paths), logs
    return records


def _comparable(record: dict) -> dict:
    record = {k: v for k, v in record.items() if k not in ("duration_s", "timings", "isolation")}
    record["cells"] = [
        {k: v for k, v in c.items() if k != "duration_s"} for c in record.get("cells", [])
    ]
    return record


@pytest.fixture(scope="module")
def neighbours(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, dict]]:
    """The classmate alone, then beside the hog, with cgroups (where the machine has them) and
    without."""
    folder = tmp_path_factory.mktemp("neighbours")
    assignments = hostile.write_assignment(folder / "assignments")
    toml = assignments / hostile.ASSIGNMENT / "assignment.toml"
    settings = toml.read_text(encoding="utf-8")
    # Wide margins: the machine may be busy besides.  Enough processes for the hog.
    for old, new in (
        (f"cell_timeout_s = {hostile.CELL_S}", "cell_timeout_s = 10"),
        ("max_processes = 16", "max_processes = 64"),
    ):
        settings = settings.replace(old, new)
    toml.write_text(settings, encoding="utf-8")
    classmate, attacker = folder / "classmate.py", folder / "attacker.py"
    classmate.write_text(CLASSMATE)
    attacker.write_text(HOG + "\n\n" + "\n\n".join(["import time\ntime.sleep(6)"] * 2))
    runs = {"alone": _batch(folder / "alone", [classmate], "")}
    runs["cgroups"] = _batch(folder / "cgroups", [attacker, classmate], "")
    runs["own-time"] = _batch(folder / "own-time", [attacker, classmate], "no-cgroups")
    return runs


@pytest.mark.parametrize("run", ["cgroups", "own-time"])
def test_a_classmate_beside_58_busy_shells_gets_the_record_it_gets_alone(
    neighbours: dict[str, dict[str, dict]], run: str
) -> None:
    if run == "cgroups" and isinstance(cgroups.base(), str):
        pytest.skip(f"no cgroup can be made here: {cgroups.base()}")
    alone = neighbours["alone"]["classmate"]
    assert alone["status"] == "graded" and [c["outcome"] for c in alone["cells"]] == ["ok"]
    beside = neighbours[run]
    assert "attacker" in beside  # graded at the same time
    assert _comparable(beside["classmate"]) == _comparable(alone)
    resources = beside["classmate"]["isolation"]["resources"]
    assert resources["held"] is (run == "cgroups"), resources
