"""Each kernel's share of the machine, mechanism by mechanism: removing what a kernel left at any
depth, the scan that counts what it cannot name, the folders and cgroups of a grader that died,
a cgroup's ceilings, the v2 cgroup a grader picks, the watchdog's own-time clock, and how the
record's resource entries are decided.  No kernel is started here (``test_kernel_limits`` does)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from grader.boundary.execution import Limits
from grader.sandbox import cgroups, disk, owner, resource_layers
from grader.sandbox import watchdog as watchdog_module
from grader.sandbox.kernel_resources import Resources
from grader.sandbox.watchdog import BACKSTOP, Watchdog

ROOT = Path(__file__).resolve().parent.parent
BASE = cgroups.base()
needs_cgroups = pytest.mark.skipif(
    isinstance(BASE, str), reason=f"no cgroup can be made here: {BASE}"
)


def _deep(folder: Path, levels: int) -> Path:
    """``levels`` nested folders in ``folder`` (deeper than a path can name past about 800), a
    file in each; the innermost folder, by a path that may be too long to open."""
    top = os.open(folder, os.O_RDONLY)
    current = top
    for _ in range(levels):
        os.mkdir("dddd", dir_fd=current)
        with open(os.open("f", os.O_CREAT | os.O_WRONLY, dir_fd=current), "wb") as f:
            f.write(b"x" * 4096)
        inner = os.open("dddd", os.O_RDONLY, dir_fd=current)
        if current != top:
            os.close(current)
        current = inner
    os.close(current)
    os.close(top)
    return folder


def test_any_depth_is_removed_without_recursion_and_no_link_is_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("the instructor's")
    (tmp_path / "victim").mkdir()
    victim = _deep(tmp_path / "victim", levels=1200)  # 6,000 characters deep: past PATH_MAX
    (victim / "link").symlink_to(outside)
    os.mkfifo(victim / "fifo")
    locked = victim / "locked"
    (locked / "inner").mkdir(parents=True)
    (locked / "inner").chmod(0)
    locked.chmod(0o500)
    assert disk.scanned_mb([victim]) is None  # what the scan cannot name is over any limit
    disk.remove_tree(victim)
    assert not victim.exists()
    assert (outside / "keep.txt").read_text() == "the instructor's"
    disk.remove_tree(victim)  # gone already: nothing to do, nothing raised


def test_the_scan_counts_what_it_can_name(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "b.bin").write_bytes(b"0" * 2**20)
    assert 1 <= (disk.scanned_mb([tmp_path, tmp_path / "missing"]) or 0) < 1.1


def _orphaned(code: str) -> str:
    """Run ``code`` in a grader-like process that prints a line and waits; kill it with
    ``SIGBUS`` (no clean-up runs); the line."""
    child = subprocess.Popen(
        [sys.executable, "-c", f"{code}\nimport sys, time\nsys.stdout.flush()\ntime.sleep(60)"],
        stdout=subprocess.PIPE,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )
    assert child.stdout is not None
    line = child.stdout.readline().strip()
    os.kill(child.pid, signal.SIGBUS)
    child.wait(timeout=10)
    return line


def test_the_folders_of_a_grader_that_died_are_swept_and_a_living_ones_are_kept(
    tmp_path: Path,
) -> None:
    dead = Path(
        _orphaned(
            "import tempfile\nfrom grader.sandbox import disk\n"
            f"tempfile.tempdir = {str(tmp_path)!r}\n"
            "folder = disk.Folder('grader-run-')\nprint(folder.name)"
        )
    )
    (dead / "work").mkdir()
    living = disk.Folder("grader-run-")  # this process's own
    try:
        assert dead.parent == tmp_path and owner.gone(dead.name)
        assert disk.sweep(tmp_path) == [dead.name]
        assert not dead.exists() and Path(living.name).exists()
        assert not owner.gone(Path(living.name).name)
        assert not owner.gone("grader-run-untagged")
    finally:
        living.cleanup()


def test_a_temporary_folder_too_long_for_a_socket_puts_the_kernels_folder_in_a_short_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A long ``TMPDIR`` once made every grading a grader failure ("File name too long", from the
    kernel's sockets): the run folder then goes to ``disk.SHORT_BASE``, and is swept there too."""
    below = len("/grader-run-1.2.3-12345678/ipc/kernel-99")
    monkeypatch.setattr(tempfile, "tempdir", "/tmp")
    assert disk.base_for_sockets(below) is None
    deep = "/tmp/" + "long" * 20
    monkeypatch.setattr(tempfile, "tempdir", deep)
    assert len(deep) + below > disk.SOCKET_PATH_MAX
    assert disk.base_for_sockets(below) == disk.SHORT_BASE
    short = tmp_path / "s"
    short.mkdir()
    monkeypatch.setattr(disk, "SHORT_BASE", str(short))
    folder = disk.Folder("grader-run-", disk.base_for_sockets(below))
    assert Path(folder.name).parent == short
    dead = short / "grader-run-0.0.0-gone"  # no such owner: a grader that is gone
    dead.mkdir()
    monkeypatch.setattr(owner, "gone", lambda name: name == dead.name)
    assert disk.sweep() == [dead.name] and not dead.exists()
    folder.cleanup()


@needs_cgroups
def test_a_cgroup_of_a_grader_that_died_is_swept() -> None:
    assert isinstance(BASE, cgroups.Base)
    name = _orphaned(
        "from grader.boundary.execution import Limits\nfrom grader.sandbox import cgroups\n"
        "group = cgroups.create(cgroups.base(), Limits(1, 1, 64, 1024), 0)\n"
        "print(group.folders[0][1].name)"
    )
    assert all((parent / name).is_dir() for _, parent in BASE.folders)
    assert name in cgroups.sweep(BASE)
    assert not any((parent / name).exists() for _, parent in BASE.folders)


@needs_cgroups
def test_a_cgroup_caps_memory_and_tasks_and_is_removed_with_what_is_in_it() -> None:
    assert isinstance(BASE, cgroups.Base)
    limits = Limits(1, 1, memory_mb=100, output_bytes=1024, max_processes=1)
    group = cgroups.create(BASE, limits, files_mb=0)
    try:
        enter = "".join(f"open({p!r}, 'w').write('0')\n" for p in group.procs)
        hog = subprocess.run(
            [sys.executable, "-c", f"{enter}x = bytearray(400 * 2**20)"], capture_output=True
        )
        assert hog.returncode == -signal.SIGKILL and group.out_of_memory()
        assert not group.out_of_tasks()
        forks = (
            f"{enter}import os\npids = []\n"
            f"for _ in range({group.tasks + 10}):\n"
            "    try:\n        pid = os.fork()\n    except OSError:\n        break\n"
            "    if pid == 0:\n        os.read(os.open('/dev/null', 0), 1) or __import__('time')"
            ".sleep(30)\n        os._exit(0)\n    pids.append(pid)\nprint(len(pids))\n"
            "for pid in pids:\n    os.kill(pid, 9)\n"
        )
        bomb = subprocess.run([sys.executable, "-c", forks], capture_output=True, text=True)
        assert int(bomb.stdout) < group.tasks and group.out_of_tasks()
        sleeper = subprocess.Popen(["sh", "-c", f"{_enter_shell(group)} exec sleep 60"])
        deadline = time.monotonic() + 5
        while not group.holds(sleeper.pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert group.holds(sleeper.pid)
    finally:
        assert group.remove()
    assert sleeper.wait(timeout=5) == -signal.SIGKILL


def _enter_shell(group: cgroups.Group) -> str:
    return "".join(f"echo $$ > {p};" for p in group.procs)


def test_cgroup_v2_is_made_where_the_nearest_group_hands_down_every_controller(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A v2 hierarchy laid out as files: the grader's own group (``app/me``) has processes and
    hands down nothing, its parent hands down every controller: the groups go there."""
    for folder in ("", "app", "app/me"):
        (tmp_path / folder).mkdir(exist_ok=True)
        (tmp_path / folder / "cgroup.subtree_control").write_text(
            "cpu memory pids io\n" if folder == "app" else ""
        )
    monkeypatch.setattr(cgroups, "_mounts", lambda: [(str(tmp_path), "/", {"cgroup2"})])
    monkeypatch.setattr(cgroups, "_own", lambda: {"": "/app/me"})
    monkeypatch.delenv("GRADER_SIMULATE", raising=False)
    cgroups._base.cache_clear()
    try:
        where = cgroups.base()
    finally:
        cgroups._base.cache_clear()
    assert isinstance(where, cgroups.Base) and where.version == 2
    parent = tmp_path / "app" / f"grader-{os.getuid()}"
    assert where.folders == (("", parent),)
    assert (parent / "cgroup.subtree_control").read_text() == "+cpu +memory +pids"
    (parent / "cpu.weight").write_text("")
    group = cgroups.create(where, Limits(1, 1, 100, 1024, disk_mb=50), files_mb=50)
    folder = group.folders[0][1]
    assert folder.parent == parent and owner.tag() in folder.name
    # The limit, its files, and the headroom that leaves the limit to the watchdog.
    ceiling = 100 + 50 + cgroups.headroom_mb(100)
    assert (folder / "memory.max").read_text() == str(ceiling * 2**20) and ceiling > 150
    assert (folder / "pids.max").read_text() == str(cgroups.tasks_allowed(Limits(1, 1, 100, 1024)))
    assert (folder / "cpu.weight").read_text() == "100"
    assert group.procs == [str(folder / "cgroup.procs")]


@pytest.mark.parametrize(("share", "detail"), [(1.0, "own time"), (0.05, "backstop")])
def test_without_cgroups_time_is_the_kernels_own_with_the_wall_clock_as_backstop(
    share: float, detail: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A kernel given all the CPU it wants (``share`` 1) is interrupted at its cell's limit and
    stopped at the notebook's; one that neighbours starve (5 %) is judged by the time it had, and
    only the wall clock's backstop stops it."""
    limits = Limits(cell_timeout_s=0.5, total_timeout_s=1, memory_mb=64, output_bytes=1024)
    asleep = subprocess.Popen(["sleep", "60"])
    try:
        started = time.monotonic()
        monkeypatch.setattr(
            watchdog_module, "cpu_seconds", lambda tree: share * (time.monotonic() - started)
        )
        watchdog = Watchdog(asleep.pid, limits, [], own_time=True)
        watchdog.cell_started(1)
        while not watchdog.breach and time.monotonic() - started < 2 * BACKSTOP:
            watchdog.check(slow=False)
            time.sleep(0.05)
        ended = time.monotonic() - started
    finally:
        asleep.kill()
        asleep.wait()
    assert watchdog.breach == "timeout" and detail in watchdog.detail
    if share == 1.0:
        assert watchdog.interrupted == {1} and ended < BACKSTOP * limits.total_timeout_s - 0.5
    else:
        assert not watchdog.interrupted and ended >= BACKSTOP * limits.total_timeout_s


@pytest.mark.parametrize(
    ("report", "held", "missing"),
    [
        ({"seccomp": True, "taken": {"keyring": {"session": 7}}}, True, False),
        ({"seccomp": True, "taken": {"keyring": {"error": "x"}}}, True, False),
        ({"seccomp": False, "taken": {"keyring": {"session": 7}}}, False, True),
        ({"seccomp": False, "taken": {"keyring": {"none": "no keys"}}}, True, False),
    ],
)
def test_the_keyring_holds_only_where_seccomp_refuses_key_calls_or_there_are_none(
    report: dict, held: bool, missing: bool
) -> None:
    layer = resource_layers.keyring(report)
    assert layer.held is held and layer.by.startswith("missing") is missing


def test_a_kernel_without_its_group_or_tmpfs_says_why_and_what_applies_instead() -> None:
    held = Resources(None, "no cgroups (simulated)", None, "no tmpfs (simulated)")
    layers = {layer.name: layer for layer in resource_layers.layers({}, held, filesystem=True)}
    assert not layers["resources"].held and "own CPU time" in layers["resources"].by
    assert "(simulated)" in layers["resources"].by
    assert not layers["disk"].held and "cannot name counts as over" in layers["disk"].by
