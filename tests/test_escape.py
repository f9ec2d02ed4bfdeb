"""The escape suite: a student who has read the grader's source attacks the grader, the class
and the instructor's machine from inside a class batch, through a shell, a second Python,
``ctypes`` and IPython's ``!`` (``tests/escape/attacker.py``).  Every attempt must fail,
judged from outside by its effects: the honest classmates graded before and after the
attacker get the records a batch without the attacker gives them (and so does a later
regrade); the out folder, the measurement cache, the dataset and the instructor's HOME are
unchanged; nothing secret leaks; the grader and its batch worker live; no connection
reaches a listener on 127.0.0.1; no process outlives the batch.

The same batch is graded again with the namespaces simulated away (Landlock and seccomp
alone must hold), and the layers that remain are tested on machines without Landlock, and
without namespaces or Landlock's newer ABIs, simulated with ``GRADER_SIMULATE``.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from grader.datasets.cache import cached_path
from grader.sandbox.isolation import SIMULATE_ENV
from tests.escape import attacker, evidence_attacker
from tests.hostile import cases as hostile

ROOT = Path(__file__).resolve().parent.parent
SECRET = "ESCAPE_SECRET_TOKEN_41c9"
TOML_CANARY = "# ESCAPE-CANARY-ASSIGNMENT-5d2e"
HONEST = {
    "a_honest": ROOT / "assignments" / "week8" / "solution.ipynb",
    "z_honest": ROOT / "assignments" / "week8" / "examples" / "student.ipynb",
}
FULL, NO_NAMESPACES = "", "no-namespaces"
# Machines with a layer missing, simulated: no Landlock; no namespaces and Landlock ABI 3 (Linux 6.2
# to 6.6).
# The layers each then lacks: without Landlock, a kernel run by root could leave its cgroup;
# without namespaces, there is no mount namespace for a tmpfs.
FALLBACKS = (
    ("landlock-abi=0", "filesystem"),
    ("no-namespaces,landlock-abi=3", "processes"),
)
ALSO_MISSING = {
    "filesystem": ["resources"] if os.geteuid() == 0 else [],
    "processes": ["disk"],
}

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Run:
    code: int
    output: str
    out: Path

    def records(self) -> dict[str, dict]:
        return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in self.out.glob("*.json")}


@dataclass
class World:
    root: Path
    cache: Path
    home: Path
    assignments: Path
    submissions: Path
    targets: attacker.Targets
    tcp: socket.socket
    udp: socket.socket
    # The graders' temporary folder (short: a kernel's sockets are in it).
    tmp: Path

    def start(
        self,
        name: str,
        paths: list[Path],
        simulate: str = FULL,
        jobs: int = 1,
        temporary: Path | None = None,
    ) -> tuple[subprocess.Popen, Path]:
        """``grader grade --jobs <jobs>`` of ``paths`` into ``<root>/<name>``, started (its
        temporary folder ``temporary`` when given)."""
        out = self.root / name
        env = dict(
            os.environ,
            HOME=str(self.home),
            GRADER_CACHE_DIR=str(self.cache),
            GRADER_ASSIGNMENTS=str(self.assignments),
            PYTHONPATH=str(ROOT),
            COLUMNS="100",
            ESCAPE_TOKEN=SECRET,
            TMPDIR=str(temporary if temporary is not None else self.tmp),
            **{SIMULATE_ENV: simulate},
        )
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "grader",
                "grade",
                "--assignment",
                "week8",
                "--lang",
                "en",
                "--jobs",
                str(jobs),
                "--out",
                str(out),
                *map(str, paths),
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        return process, out

    def grade(self, *started: tuple[subprocess.Popen, Path]) -> list[Run]:
        """Wait for gradings started by ``start`` (they run at once)."""
        return [
            Run(process.wait(timeout=900), process.stdout.read() if process.stdout else "", out)
            for process, out in started
        ]

    def snapshot(self) -> dict[str, str]:
        """sha256 of every file the grader keeps in its cache (the matplotlib font list, and the
        folders
        of the resident fork servers, which come and go with the grader's own processes, aside)."""
        return {
            str(p.relative_to(self.cache)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(self.cache.rglob("*"))
            if p.is_file()
            and "matplotlib" not in p.parts
            and p.relative_to(self.cache).parts[0] != "servers"
        }


def _npy_of(value: float) -> bytes:
    """A small ``.npy`` file of float32 ``value``s (no numpy needed to write it)."""
    import numpy as np

    buffer = io.BytesIO()
    np.save(buffer, np.full((64, 784), value, np.float32))
    return buffer.getvalue()


def _comparable(record: dict) -> dict:
    """A record without its timings."""
    record = {k: v for k, v in record.items() if k not in ("duration_s", "timings")}
    record["cells"] = [
        {k: v for k, v in c.items() if k != "duration_s"} for c in record.get("cells", [])
    ]
    return record


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    root = tmp_path_factory.mktemp("escape")
    cache, home, assignments, submissions = (
        root / n for n in ("cache", "home", "assignments", "submissions")
    )
    cache.mkdir()
    mnist = cached_path("mnist")
    assert mnist is not None, "run `grader data mnist` first"
    for source in (mnist, mnist.with_suffix(".json")):
        shutil.copyfile(source, cache / source.name)
    home.mkdir()
    (home / "canary.txt").write_text("the instructor's file\n")
    (home / ".bashrc").write_text("# the instructor's shell\n")
    shutil.copytree(ROOT / "assignments" / "week8", assignments / "week8")
    settings = (assignments / "week8" / "assignment.toml").read_text(encoding="utf-8")
    # Shorter limits than the lecture's: an attack that hangs a cell costs a minute, not two.
    settings = settings.replace("cell_timeout_s = 120", "cell_timeout_s = 60").replace(
        "total_timeout_s = 300", "total_timeout_s = 180"
    )
    (assignments / "week8" / "assignment.toml").write_text(
        f"{settings}\n{TOML_CANARY}\n", encoding="utf-8"
    )
    submissions.mkdir()
    for name, source in HONEST.items():
        shutil.copyfile(source, submissions / f"{name}.ipynb")
    tcp = socket.socket()
    tcp.bind(("127.0.0.1", 0))
    tcp.listen(8)
    tcp.settimeout(0.2)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    udp.settimeout(0.2)
    targets = attacker.Targets(
        out=str(root / "attacked"),
        cache=str(cache),
        reference=str(ROOT / "reference" / "week8.py"),
        assignment=str(assignments / "week8" / "assignment.toml"),
        home=str(home),
        leak=str(root / "leak"),
        tcp_port=tcp.getsockname()[1],
        udp_port=udp.getsockname()[1],
    )
    (submissions / "m_attacker.ipynb").write_bytes(attacker.notebook(targets))
    secret = root / "instructor-secret.npy"  # outside every folder the kernel may read
    secret.write_bytes(_npy_of(evidence_attacker.SECRET_VALUE))
    (submissions / "e_evidence.ipynb").write_bytes(evidence_attacker.notebook(str(secret)))
    tmp = Path(tempfile.mkdtemp(prefix="ge-", dir="/tmp"))
    world = World(root, cache, home, assignments, submissions, targets, tcp, udp, tmp)
    yield world
    tcp.close()
    udp.close()
    shutil.rmtree(tmp, ignore_errors=True)


@dataclass(frozen=True)
class Batches:
    baseline: Run
    attacked: Run
    # Graded after the attack, with the namespaces simulated away: a later regrade, and Landlock and
    # seccomp alone.
    without_namespaces: Run
    # Single gradings of an attacker on the layers a machine has left: without Landlock; on an old
    # kernel.
    fallbacks: dict[str, Run]
    # An honest classmate beside an attacker of the evidence folder, at --jobs 2, and the batch's
    # temporary folder.
    evidence: Run
    evidence_temporary: Path
    cache_before: dict[str, str]
    cache_after: dict[str, str]


@pytest.fixture(scope="module")
def batches(world: World) -> Batches:
    honest = [world.submissions / "a_honest.ipynb", world.submissions / "z_honest.ipynb"]
    attacker_path = world.submissions / "m_attacker.ipynb"
    [baseline] = world.grade(world.start("baseline", honest))
    before = world.snapshot()
    [attacked] = world.grade(world.start("attacked", [honest[0], attacker_path, honest[1]]))
    later = [world.start("without-namespaces", [attacker_path, honest[1]], simulate=NO_NAMESPACES)]
    for simulate, missing in FALLBACKS:
        path = world.submissions / f"not-files-{missing}.ipynb"
        path.write_bytes(attacker.notebook(world.targets, attacker.NOT_FILES))
        later.append(world.start(f"fallback-{missing}", [path], simulate=simulate))
    without_namespaces, *fallbacks = world.grade(*later)
    after = world.snapshot()
    # Alone (a fork server of its own at --jobs 2 beside the batches above would crowd two cores).
    temporary = world.root / "evidence-temporary"
    temporary.mkdir()
    evidence_batch = [honest[0], world.submissions / "e_evidence.ipynb"]
    [evidence] = world.grade(world.start("evidence", evidence_batch, jobs=2, temporary=temporary))
    return Batches(
        baseline,
        attacked,
        without_namespaces,
        {m: run for (_, m), run in zip(FALLBACKS, fallbacks)},
        evidence,
        temporary,
        before,
        after,
    )


def test_every_batch_finishes_with_the_grader_and_its_worker_alive(batches: Batches) -> None:
    for run in (
        batches.baseline,
        batches.attacked,
        batches.without_namespaces,
        *batches.fallbacks.values(),
        batches.evidence,
    ):
        assert run.code == 0, run.output[-3000:]
        assert "Traceback (most recent call last)" not in run.output, run.output[-3000:]
    for run in (batches.attacked, batches.without_namespaces):
        record = run.records()["m_attacker"]
        # A killed worker would have made the batch regrade the attacker alone, then record a
        # grader_error.
        assert record["status"] == "graded", (record.get("error"), record.get("grader_traceback"))
        assert [c["outcome"] for c in record["cells"]] == ["ok"] * 8, record["cells"]


def test_honest_classmates_get_the_records_a_batch_without_the_attacker_gives(
    batches: Batches,
) -> None:
    expected = {name: _comparable(r) for name, r in batches.baseline.records().items()}
    assert set(expected) == {"a_honest", "z_honest"}
    attacked = batches.attacked.records()
    assert {name: _comparable(attacked[name]) for name in expected} == expected
    # Graded with the namespaces simulated away, the record says so; the rest is the same.
    without = _comparable(batches.without_namespaces.records()["z_honest"])
    assert without.pop("isolation") != expected["z_honest"]["isolation"]
    assert without == {k: v for k, v in expected["z_honest"].items() if k != "isolation"}
    assert expected["a_honest"]["score"] == expected["a_honest"]["max_score"]


def test_the_out_folder_holds_only_what_the_grader_wrote(batches: Batches) -> None:
    rows = (batches.attacked.out / "gradebook.csv").read_text(encoding="utf-8").splitlines()
    assert [row.split(",")[0] for row in rows[1:]] == ["a_honest", "m_attacker", "z_honest"]
    for path in batches.attacked.out.rglob("*"):
        if path.is_file():
            assert attacker.FORGED not in path.read_text(encoding="utf-8", errors="replace"), path


def test_the_measurement_cache_and_the_dataset_are_unchanged(
    batches: Batches, world: World
) -> None:
    assert any(name.startswith("measurements/") for name in batches.cache_before)
    assert batches.cache_after == batches.cache_before
    mnist = cached_path("mnist")
    assert mnist is not None
    assert (world.cache / "mnist.npz").read_bytes() == mnist.read_bytes()


def test_no_secret_solution_or_setting_leaks(batches: Batches, world: World) -> None:
    assert not Path(world.targets.leak).exists()
    reference_line = (ROOT / "reference" / "week8.py").read_text(encoding="utf-8").splitlines()[0]
    for run in (batches.attacked, batches.without_namespaces):
        for path in run.out.rglob("*"):
            if path.is_file():
                text = path.read_text(encoding="utf-8", errors="replace")
                for secret in (SECRET, TOML_CANARY, reference_line):
                    assert secret not in text, (path, secret)


def test_the_instructors_home_is_untouched(batches: Batches, world: World) -> None:
    assert (world.home / "canary.txt").read_text() == "the instructor's file\n"
    assert (world.home / ".bashrc").read_text() == "# the instructor's shell\n"


def test_no_connection_reaches_a_loopback_listener(batches: Batches, world: World) -> None:
    with pytest.raises(TimeoutError):
        world.tcp.accept()
    with pytest.raises(TimeoutError):
        world.udp.recv(100)


def test_no_process_outlives_the_batch(batches: Batches) -> None:
    assert not hostile.leftover_processes(attacker.ORPHAN)


def test_nothing_is_left_in_the_temporary_folder_or_the_keyring(
    batches: Batches, world: World
) -> None:
    assert os.listdir(world.tmp) == []
    keys = Path("/proc/keys").read_text() if Path("/proc/keys").exists() else ""
    assert attacker.KEY not in keys


def test_each_record_says_which_isolation_held(batches: Batches) -> None:
    full = batches.attacked.records()["m_attacker"]["isolation"]
    assert all(layer["held"] for layer in full.values()), full
    assert (
        "PID namespace" in full["processes"]["by"] and "network namespace" in full["network"]["by"]
    )
    assert "tmpfs" in full["disk"]["by"] and "seccomp refuses" in full["keyring"]["by"]
    fallback = batches.without_namespaces.records()["m_attacker"]["isolation"]
    # Without namespaces there is no mount namespace for a tmpfs: the scan applies, and says so.
    assert [name for name, layer in fallback.items() if not layer["held"]] == ["disk"], fallback
    assert "namespace" not in fallback["processes"]["by"] + fallback["network"]["by"]
    assert "Isolation enforced by the operating system" in batches.attacked.output


@pytest.mark.parametrize("missing", [missing for _, missing in FALLBACKS])
def test_the_remaining_layers_hold_where_one_is_missing(
    batches: Batches, world: World, missing: str
) -> None:
    """Without Landlock, or without namespaces on a kernel older than Landlock ABI 4: the
    grader survives (above), no connection is made and no daemon survives (above), and the
    record and the report say which layer was missing."""
    run = batches.fallbacks[missing]
    record = run.records()[f"not-files-{missing}"]
    assert record["status"] == "graded", (record.get("error"), record.get("grader_traceback"))
    held = record["isolation"].items()
    assert [layer for layer, h in held if not h["held"]] == [missing, *ALSO_MISSING[missing]]
    assert "could not isolate the student's code completely" in run.output


def test_a_hostile_evidence_folder_costs_the_classmate_beside_it_nothing(batches: Batches) -> None:
    """FIFOs, links to the grader's own descriptors and to a file the kernel cannot read, a
    socket, a hard link, an array truncated while the grader copies it: at --jobs 2, the honest
    classmate's record is the one a batch without the attacker gives; the attacker is graded (its
    worker lived: a lost worker is regraded, then a grader_error), each file refused with its
    reason; no value of the unreadable file reaches any output; no grading left a folder behind."""
    run = batches.evidence
    records = run.records()
    baseline = batches.baseline.records()["a_honest"]
    assert _comparable(records["a_honest"]) == _comparable(baseline)
    record = records["e_evidence"]
    assert record["status"] == "graded", record
    assert [c["outcome"] for c in record["cells"]] == ["ok"] * 4, record["cells"]
    notes = " ".join(record["notes"])
    for reason in (
        "figures/fig0.png is a link",
        "arrays/a900.npy is a FIFO",
        "arrays/a910.npy is a link",
        "arrays/a901.npy is a link",
    ):
        assert reason in notes, notes
    secret = str(evidence_attacker.SECRET_VALUE)[:6]
    for path in run.out.rglob("*"):
        if path.is_file():
            assert secret not in path.read_text(encoding="utf-8", errors="replace"), path
    assert list(batches.evidence_temporary.iterdir()) == []
