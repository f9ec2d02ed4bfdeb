"""Kernels started before their submission is known: each serves exactly one submission, in
folders, an environment and processes of its own, with the same isolation as a kernel started
for it; one that dies while waiting is replaced, never a grading lost.  Each is forked by the
fork server, and holds none of its files; a server that dies takes its kernels with it and is
replaced."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from grader.boundary.execution import Execution, Limits
from grader.datasets.cache import CACHE_ENV
from grader.sandbox import fork_client, kernel_start, kernels, resident
from grader.sandbox.kernel.confine import parent_ended
from grader.sandbox.runner import run_in, run_submission
from grader.sandbox.system.host import SIMULATE_ENV
from grader.sandbox.system.processes import living, memory_mb, parent_of, process_tree
from grader.sandbox.watchdog import Watchdog, kill_tree
from grader.submissions.cells import Cell, Submission
from tests.conftest import ROOT

LIMITS = Limits(cell_timeout_s=30, total_timeout_s=90, memory_mb=3000, output_bytes=64 * 1024)
BUDGET = {"fit_samples": 8, "validation_samples": 8, "evaluate_samples": 8, "max_epochs": 2}
SETTINGS = kernel_start.KernelSettings.of(LIMITS, BUDGET)
# What a submission can see of its place, and what it tries to leave for the next one.
LOOK = """import json, os, sys
config = json.loads(os.environ["GRADER_SANDBOX"])
print(json.dumps({"cwd": os.getcwd(), "home": os.environ["HOME"], "tmp": os.environ["TMPDIR"],
                  "artifacts": config["artifacts"],
                  "left": sorted(os.listdir(".")) + sorted(os.listdir(os.environ["HOME"])),
                  "variable": os.environ.get("LEFT_BEHIND"),
                  "warm": "tensorflow" in sys.modules and "keras" in sys.modules}))"""
LEAVE = """open("left.txt", "w").write("x")
open(os.path.join(os.environ["HOME"], "left_home.txt"), "w").write("x")
os.environ["LEFT_BEHIND"] = "1"
import subprocess; subprocess.Popen(["sleep", "300"], start_new_session=True)"""


@pytest.fixture(autouse=True)
def nothing_waits() -> Iterator[None]:
    kernels.discard()
    yield
    kernels.keep_one_ahead(False)
    kernels.discard()


def _seen(execution: Execution) -> dict:
    assert execution.status == "completed", execution
    return json.loads(execution.cells[0].output.strip().splitlines()[-1])


def _submission(tmp_path: Path, *sources: str) -> Submission:
    return Submission(tmp_path / "x.py", tuple(Cell(i + 1, s) for i, s in enumerate(sources)))


@pytest.mark.slow
def test_two_submissions_in_one_worker_share_no_folder_environment_or_process(
    tmp_path: Path,
) -> None:
    kernels.keep_one_ahead()
    first = kernels.take(SETTINGS)
    assert kernels.waiting() is None
    try:
        one = run_in(first, _submission(tmp_path, LOOK, LEAVE))
        first_folders = [first.place.root, first.artifacts]
        ahead = kernels.waiting()
        assert (
            ahead is not None and ahead.pid != first.pid
        )  # started for the next submission once this one's cells ran
    finally:
        first.close()
    assert not living(process_tree(first.pid))  # the kernel, and the daemon it left, are gone
    assert not any(folder.exists() for folder in first_folders)
    second = kernels.take(SETTINGS)
    try:
        assert second is ahead
        two = run_in(second, _submission(tmp_path, LOOK))
    finally:
        second.close()
    seen_one, seen_two = _seen(one), _seen(two)
    assert (
        seen_one["warm"] and seen_two["warm"]
    )  # TensorFlow and Keras were imported before the first cell
    for place in ("cwd", "home", "tmp", "artifacts"):
        assert seen_one[place] != seen_two[place], place
    assert seen_two["left"] == seen_one["left"] and seen_two["variable"] is None
    # The same layers held as for a kernel started when its submission was known.
    artifacts = tmp_path / "artifacts"
    artifacts.mkdir()
    assert (
        run_submission(_submission(tmp_path, "pass"), artifacts, LIMITS, BUDGET).isolation
        == one.isolation
        == two.isolation
    )


@pytest.mark.slow
def test_an_assignment_without_preload_gets_a_kernel_that_imported_nothing_ahead(
    tmp_path: Path,
) -> None:
    from grader.course.assignment import load_assignment
    from grader.engine import kernel_settings
    from tests.conftest import copied_assignment

    toml = copied_assignment("week8", tmp_path)
    toml.write_text(
        toml.read_text(encoding="utf-8") + "\n[kernel]\npreload = false\n", encoding="utf-8"
    )
    settings = kernel_settings(load_assignment("week8", tmp_path))
    assert not settings.preload and kernel_settings(load_assignment("week8")).preload
    kernel = kernels.take(settings)
    try:
        execution = run_in(kernel, _submission(tmp_path, LOOK))
    finally:
        kernel.close()
    assert _seen(execution)["warm"] is False


@pytest.mark.slow
def test_a_kernel_killed_while_waiting_is_replaced(tmp_path: Path) -> None:
    kernels.prepare(SETTINGS)
    killed = kernels.waiting()
    assert killed is not None
    kill_tree(killed.pid)
    kernel = kernels.take(SETTINGS)
    try:
        assert kernel is not killed and kernel.pid != killed.pid
        execution = run_in(kernel, _submission(tmp_path, "print(6 * 7)"))
    finally:
        kernel.close()
    assert execution.status == "completed" and execution.cells[0].output.strip() == "42"
    assert not killed.folders  # the dead one's folders were removed


def test_a_child_tied_to_a_parent_that_already_ended_knows_it() -> None:
    """``fork_tied``'s check, for a child that ran late: a parent-death signal set after the parent
    ended is never sent, so the child looks for itself (a pidfd, or else its parent's pid)."""
    sleeper = subprocess.Popen(["sleep", "60"])
    try:
        assert not parent_ended(sleeper.pid, os.pidfd_open(sleeper.pid))
        watch = os.pidfd_open(sleeper.pid)
    finally:
        sleeper.kill()
        sleeper.wait()
    assert parent_ended(sleeper.pid, watch)
    # Without pidfds (Linux before 5.3): by the parent's pid.
    assert not parent_ended(os.getppid(), None)
    assert parent_ended(sleeper.pid, None)


@pytest.mark.slow
@pytest.mark.parametrize(
    "only", [False, True], ids=["a_waiting_kernel", "the_only_kernel_its_handler_became"]
)
def test_a_kernel_dies_with_the_grader_that_started_it(only: bool) -> None:
    started = subprocess.run(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
        import os
        from grader.sandbox import kernels
        from tests.test_kernels import SETTINGS
        kernels.prepare(SETTINGS, only={only})
        print(kernels.waiting().pid, flush=True)
        os._exit(9)  # no atexit, no cleanup: as kill -9 would
    """),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    root = int(started.stdout.split()[-1])
    deadline = time.monotonic() + 10
    while living(process_tree(root)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not living(process_tree(root))


@pytest.mark.slow
def test_a_waiting_kernel_started_for_other_settings_is_not_used() -> None:
    kernels.prepare(kernel_start.KernelSettings.of(LIMITS, {**BUDGET, "max_epochs": 3}))
    other = kernels.waiting()
    assert other is not None
    kernel = kernels.take(SETTINGS)
    try:
        assert kernel is not other and kernel.settings == SETTINGS
        assert not living(process_tree(other.pid)) and not other.folders
    finally:
        kernel.close()


def _files_held(pids: list[int]) -> set[str]:
    held = set()
    for pid in pids:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                held.add(os.readlink(f"/proc/{pid}/fd/{fd}"))
            except OSError:
                continue
    return held


@pytest.mark.slow
def test_a_forked_kernel_holds_no_server_file_and_counts_only_its_share_of_shared_memory(
    tmp_path: Path,
) -> None:
    kernel = kernels.take(SETTINGS)
    try:
        server = kernel.km.provisioner.process.owner  # type: ignore[union-attr]
        tree = process_tree(kernel.pid)
        assert (
            len(tree) == 3
        )  # its first process, the launcher (the PID namespace's init), the kernel
        # The handler's connection to this process, its only socket: none of the kernel's.
        handlers = {
            link for link in _files_held([server.handler]) if link.startswith(("socket:", "pipe:"))
        }
        held = _files_held(tree)
        assert handlers and held and not held & handlers
        # Each process of the tree maps the TensorFlow the server imported: counted once between
        # them, not three times.
        resident = (
            sum(
                int(open(f"/proc/{pid}/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
                for pid in tree
            )
            / 2**20
        )
        proportional = memory_mb(tree)
        assert proportional < resident / 2
        # The watchdog's memory limit is on that share: a limit between the two is not a breach, one
        # below it is.
        for limit, breach in (
            (int(proportional + resident) // 2, None),
            (int(proportional) // 2, "resource_limit"),
        ):
            watchdog = Watchdog(kernel.pid, dataclasses.replace(LIMITS, memory_mb=limit), [])
            watchdog.check()
            assert watchdog.breach == breach, (limit, proportional, resident)
        execution = run_in(kernel, _submission(tmp_path, "print(6 * 7)"))
    finally:
        kernel.close()
    assert execution.status == "completed" and execution.cells[0].output.strip() == "42"


@pytest.mark.slow
def test_the_kernels_of_a_fork_server_die_with_it_and_a_new_server_takes_its_place(
    tmp_path: Path,
) -> None:
    kernels.prepare(SETTINGS)
    waiting = kernels.waiting()
    assert waiting is not None
    server = waiting.km.provisioner.process.owner  # type: ignore[union-attr]
    tree = process_tree(waiting.pid)
    os.kill(server.handler, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while living(tree) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not living(tree)
    kernel = kernels.take(SETTINGS)
    try:
        assert kernel.km.provisioner.process.owner is not server  # type: ignore[union-attr]
        execution = run_in(kernel, _submission(tmp_path, "print(6 * 7)"))
    finally:
        kernel.close()
    assert execution.status == "completed" and execution.cells[0].output.strip() == "42"


@pytest.mark.slow
def test_a_fork_server_that_never_answers_is_a_startup_failure_not_a_hang(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fork_client.close_all()
    monkeypatch.setenv("LC_GRADER_TEST", str(time.time()))  # an environment no server runs for yet
    # A server that says nothing while this test runs (and is gone soon after: nothing left behind).
    monkeypatch.setattr(resident, "SERVER", [sys.executable, "-c", "import time; time.sleep(20)"])
    kernel = kernel_start.start(SETTINGS)
    server = kernel.km.provisioner.process.owner  # type: ignore[union-attr]
    try:
        with pytest.raises(RuntimeError):
            kernel.answer(timeout=3)
    finally:
        started = time.monotonic()
        kernel.close()
        fork_client.close_all()
    assert time.monotonic() - started < kernel_start.CLOSE_WAIT_S + 10
    assert not server.alive() and not kernel.folders


def _server_of(handler: int) -> int:
    server = parent_of(handler)
    assert server is not None
    return server


@pytest.mark.slow
def test_another_grader_process_is_served_by_the_same_resident_server() -> None:
    kernel = kernels.take(SETTINGS)
    try:
        assert kernel.pid  # its handler has said which process it is
        handler = kernel.km.provisioner.process.owner.handler  # type: ignore[union-attr]
        other = subprocess.run(
            [
                sys.executable,
                "-c",
                textwrap.dedent("""
            from grader.sandbox import kernels
            from tests.test_kernels import SETTINGS, _server_of
            kernel = kernels.take(SETTINGS)
            assert kernel.pid
            handler = kernel.km.provisioner.process.owner.handler
            print(handler, _server_of(handler), flush=True)
            kernel.close()
        """),
            ],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=120,
        )
        other_handler, other_server = map(int, other.stdout.split()[-2:])
        assert other_handler != handler and other_server == _server_of(handler)
    finally:
        kernel.close()


PROBE = """import json, os, socket, sys
plan = os.path.abspath("plan.json")
json.dump({"report": sys.argv[2], "landlock_abi": 0, "seccomp": False, "read_only": [],
           "read_write": [], "files": [], "deny_tcp": False}, open(plan, "w"))
client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
client.connect("\\0" + sys.argv[1])
asked = {"id": 1, "plan": plan, "unshare": 0, "args": ["-f", plan], "env": {}, "cwd": "/"}
# The server hangs up: before the request is sent (a broken pipe), after it, or with it unread
# (a reset).
try:
    client.sendall((json.dumps(asked) + "\\n").encode())
    print("answer", repr(client.recv(200)))
except (BrokenPipeError, ConnectionResetError):
    print("answer b''")
"""


@pytest.mark.slow
def test_a_process_a_kernel_started_is_refused_by_the_fork_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a machine where nothing else stops it (no namespaces, no seccomp, Landlock without
    scoping),
    a process started by a kernel reaches the server's socket, and the server hangs up on it."""
    monkeypatch.setenv(SIMULATE_ENV, "no-namespaces,landlock-abi=5,no-seccomp")
    name = resident.name_for(False, kernel_start.inherited_environment())
    leak = tmp_path / "served.json"
    probe = (
        f"open('probe.py', 'w').write({PROBE!r})\nimport subprocess, sys\n"
        f"print(subprocess.run([sys.executable, 'probe.py', {name!r}, {str(leak)!r}], "
        "capture_output=True, text=True))"
    )
    artifacts = tmp_path / "artifacts"
    artifacts.mkdir()
    execution = run_submission(
        _submission(tmp_path, probe), artifacts, LIMITS, BUDGET, preload=False
    )
    assert execution.status == "completed", execution
    assert "answer b''" in execution.cells[0].output, execution.cells[0].output
    assert not leak.exists()


def _bound(name: str) -> bool:
    with open("/proc/net/unix") as table:
        return any(line.rstrip().endswith("@" + name) for line in table)


@pytest.mark.slow
def test_a_server_started_while_another_imports_finds_the_name_taken_and_imports_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two batch workers (or test sessions) starting the same server at once: the first claims the
    name before it imports TensorFlow, so the second is told at once and costs no second import."""
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    name = resident.name_for(True, kernel_start.inherited_environment())
    first = threading.Thread(target=resident.start, args=(True, name, 120))
    try:
        first.start()
        deadline = time.monotonic() + 60
        while not _bound(name):
            assert time.monotonic() < deadline, "the first server never bound its name"
            time.sleep(0.01)
        resident.start(True, name, 120)  # returns when told the name is taken
        assert first.is_alive(), (
            "the second server was told only after the first had imported TensorFlow"
        )
        first.join()
        assert resident.connect(name) is not None
    finally:
        first.join()
        resident.stop_all(tmp_path)
