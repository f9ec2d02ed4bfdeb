"""The isolation layers one by one, each in a process of its own (no kernel): the seccomp
filter's refusals, Landlock's file rules, the launcher's subreaping, and the pure parts
(which folders are granted, which layers a report shows, the doctor's advice)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from grader import doctor
from grader.boundary.refusals import PROTECTED_MESSAGE
from grader.datasets import cache_dir
from grader.sandbox import filesystem_plan, isolation, off_limits
from grader.sandbox.isolation import Support
from grader.sandbox.kernel import guard, landlock, seccomp

ROOT = Path(__file__).resolve().parent.parent
FULL = Support("pid+net", ("unshare", "--"), 7, True)


def _confined_python(code: str, tmp_path: Path) -> subprocess.CompletedProcess:
    """Run ``code`` in a Python that has set no_new_privs first (what the launcher does)."""
    prelude = "import ctypes\nassert ctypes.CDLL(None).prctl(38, 1, 0, 0, 0) == 0\n"
    script = tmp_path / "probe.py"
    script.write_text(prelude + textwrap.dedent(code))
    return subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=60,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )


@pytest.mark.skipif(not seccomp.supported(), reason="the filter is written for x86_64 and aarch64")
def test_the_seccomp_filter_refuses_udp_raw_connect_and_signals_to_the_grader(
    tmp_path: Path,
) -> None:
    done = _confined_python(
        """
        import errno, os, signal, socket
        from grader.sandbox.kernel import seccomp
        seccomp.install((os.getppid(), -1))
        def refused(action):
            try:
                action()
            except OSError as exc:
                return errno.errorcode[exc.errno]
            return "allowed"
        results = {
            "unix": refused(lambda: socket.socket(socket.AF_UNIX, socket.SOCK_STREAM).close()),
            "tcp socket": refused(
                lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM).close()),
            "udp": refused(lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM)),
            "udp6": refused(
                lambda: socket.socket(socket.AF_INET6, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)),
            "raw": refused(
                lambda: socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)),
            "packet": refused(lambda: socket.socket(socket.AF_PACKET, socket.SOCK_RAW)),
            "connect": refused(lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM).connect(
                ("127.0.0.1", 9))),
            "unix connect": refused(lambda: socket.socket(socket.AF_UNIX).connect("/nonexistent")),
            "kill parent": refused(lambda: os.kill(os.getppid(), 0)),
            "kill all": refused(lambda: os.kill(-1, 0)),
            "kill self": refused(lambda: os.kill(os.getpid(), 0)),
        }
        print(__import__("json").dumps(results))
    """,
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "unix": "allowed",
        "tcp socket": "allowed",
        "udp": "EACCES",
        "udp6": "EACCES",
        "raw": "EACCES",
        "packet": "EAFNOSUPPORT",
        "connect": "EACCES",
        "unix connect": "EACCES",
        "kill parent": "EPERM",
        "kill all": "EPERM",
        "kill self": "allowed",
    }


def test_the_seccomp_program_jumps_only_forward_within_itself() -> None:
    if not seccomp.supported():
        pytest.skip("the filter is written for x86_64 and aarch64")
    program = seccomp.assemble((123, -123, -1))
    count = len(program) // 8
    for index in range(count):
        code, jt, jf, _ = __import__("struct").unpack_from("=HBBI", program, index * 8)
        if code & 0x07 == 0x05:  # a jump
            assert index + 1 + max(jt, jf) < count


@pytest.mark.skipif(landlock.abi_version() < 1, reason="this kernel has no Landlock")
def test_landlock_leaves_only_the_granted_folders(tmp_path: Path) -> None:
    readable, writable, hidden = (tmp_path / n for n in ("readable", "writable", "hidden"))
    for folder in (readable, writable, hidden):
        folder.mkdir()
        (folder / "file.txt").write_text("data")
    done = _confined_python(
        f"""
        import sys
        from grader.sandbox.kernel import landlock
        readable = tuple(sys.path[1:]) + ("/usr", "/lib", "/lib64", {str(readable)!r})
        policy = landlock.Policy(readable, ({str(writable)!r},))
        landlock.restrict_self(policy, landlock.abi_version())
        def attempt(action):
            try:
                action()
                return "allowed"
            except PermissionError:
                return "refused"
        print(attempt(lambda: open({str(readable / "file.txt")!r}).read()),
              attempt(lambda: open({str(readable / "new.txt")!r}, "w")),
              attempt(lambda: open({str(writable / "new.txt")!r}, "w").write("x")),
              attempt(lambda: open({str(hidden / "file.txt")!r}).read()),
              attempt(lambda: open({str(hidden / "new.txt")!r}, "w")))
    """,
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["allowed", "refused", "allowed", "refused", "refused"]


def test_a_hidden_folder_inside_a_granted_one_is_left_out(tmp_path: Path) -> None:
    (tmp_path / "env" / "lib" / "site-packages" / "grader" / "assignments").mkdir(parents=True)
    (tmp_path / "env" / "lib" / "site-packages" / "numpy").mkdir()
    (tmp_path / "env" / "bin").mkdir()
    hidden = [tmp_path / "env" / "lib" / "site-packages" / "grader"]
    granted = filesystem_plan._beneath_except(tmp_path / "env", hidden)
    assert sorted(granted) == [
        str(tmp_path / "env" / "bin"),
        str(tmp_path / "env" / "lib" / "site-packages" / "numpy"),
    ]
    assert filesystem_plan._beneath_except(tmp_path / "env" / "bin", hidden) == [
        str(tmp_path / "env" / "bin")
    ]


def test_the_plan_never_grants_what_is_declared_off_limits(tmp_path: Path) -> None:
    """Landlock's grant is made from ``off_limits``: no hidden folder, nor any folder above one,
    is granted; beneath one, only the kernel's part of the package and the dataset files."""
    cache = cache_dir().resolve()
    off = off_limits.declare([], [tmp_path / "work"])
    package = ROOT / "grader"
    for course in (ROOT / "reference", ROOT / "assignments", cache / "measurements", package):
        assert off.hides(course), course
    folders, files = filesystem_plan.read_only_paths(list(off.hidden), [cache / "mnist.npz"])
    kernel_parts = {str(package / part) for part in off_limits.KERNEL_PACKAGE_PARTS}
    environment = {str(p) for p in filesystem_plan._python_roots()}
    for forbidden in off.hidden:
        for folder in map(Path, folders):
            # A grant on the folder or above it would expose it; a grant inside it leaks part of it
            # (unless it is the kernel's own part of the package, or the Python environment of a
            # source tree).
            assert folder != forbidden and folder not in forbidden.parents, (folder, forbidden)
            assert forbidden not in folder.parents or str(folder) in kernel_parts | environment, (
                folder,
                forbidden,
            )
    assert sorted(f for f in folders if f.startswith(str(package))) == [
        str(package / p) for p in sorted(off_limits.KERNEL_PACKAGE_PARTS)
    ]
    assert (str(cache / "mnist.npz"), landlock.READ_FILE) in files


def _reads(hook: guard._Hook, path: Path) -> bool:
    try:
        hook("open", (str(path), "r", os.O_RDONLY))
    except PermissionError as error:
        assert str(error) == PROTECTED_MESSAGE
        return False
    return True


def test_the_guard_refuses_what_is_hidden_but_what_is_granted_beneath_it(tmp_path: Path) -> None:
    """The nearest folder decides, as in Landlock's grant: a dataset file in the hidden cache is
    read, the rest of the cache is not; a hidden package inside a granted environment stays
    hidden, but for its granted part."""
    env, cache = tmp_path / "env", tmp_path / "cache"
    package = env / "site-packages" / "grader"
    off = off_limits.OffLimits((cache, package), (tmp_path / "work",))
    granted = [str(env), str(cache / "mnist.npz"), str(package / "sandbox")]
    config = guard.GuardConfig(1, 1, 1, 1, **off.guard(granted))
    assert list(config.readable_paths) == [str(cache / "mnist.npz"), str(package / "sandbox")]
    hook = guard._Hook(config)
    assert _reads(hook, cache / "mnist.npz") and not _reads(hook, cache / "measurements" / "a")
    assert not _reads(hook, cache) and not _reads(hook, package / "checks" / "run.py")
    assert _reads(hook, package / "sandbox" / "kernel" / "boot.py")
    assert _reads(hook, env / "site-packages" / "numpy" / "__init__.py")


@pytest.mark.parametrize(
    ("report", "missing"),
    [
        (
            {
                "namespaces": {"pid": "other", "net": "other"},
                "landlock": {"abi": 7, "tcp": True, "scoped": True},
                "seccomp": True,
                "no_new_privs": True,
                "capabilities_dropped": True,
            },
            [],
        ),
        (
            {
                "namespaces": {"pid": "own", "net": "own"},
                "landlock": {"abi": 3, "tcp": False, "scoped": False},
                "seccomp": True,
                "no_new_privs": True,
                "capabilities_dropped": True,
            },
            ["processes"],
        ),
        (
            {
                "namespaces": {"pid": "own", "net": "own"},
                "seccomp": False,
                "no_new_privs": True,
                "capabilities_dropped": True,
            },
            ["filesystem", "processes", "network"],
        ),
        (None, ["filesystem", "processes", "network", "privileges"]),
    ],
)
def test_a_layer_holds_only_where_the_launchers_report_shows_its_mechanism(
    report: dict | None, missing: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    own = {"pid": "own", "net": "own"}
    monkeypatch.setattr(isolation.os, "readlink", lambda path: own[path.rsplit("/", 1)[1]])
    assert list(isolation.assess(report, FULL).missing) == missing


@pytest.mark.parametrize(
    ("support", "phrase"),
    [
        (Support("", (), 7, True), "unprivileged user namespaces"),
        (Support("pid+net", FULL.prefix, 0, True), "`landlock` in the"),
        (Support("pid+net", FULL.prefix, 3, True), "Linux 6.7"),
        (Support("pid+net", FULL.prefix, 5, True), "Linux 6.12"),
    ],
)
def test_the_doctor_says_how_to_get_each_missing_mechanism(support: Support, phrase: str) -> None:
    assert any(phrase in step for step in doctor._advice(support))
    assert not doctor._advice(FULL)


def test_the_launcher_kills_what_the_kernel_left_behind(tmp_path: Path) -> None:
    """A child subreaper: a double-forked daemon stays its child and dies with it, even
    without any namespace."""
    support = Support("", (), 0, False)
    filesystem_plan.write_plan(
        tmp_path / "plan.json",
        support,
        off_limits.OffLimits((), (tmp_path,)),
        read_only=[],
        readable=[],
        report=tmp_path / "report.json",
    )
    mark = "sleep 9182736"
    shell = f"setsid sh -c '{mark} & exit' < /dev/null > /dev/null 2>&1; sleep 0.5"
    launcher = (
        f"import json, os, sys\nfrom grader.sandbox.kernel import confine\n"
        f"plan = json.load(open({str(tmp_path / 'plan.json')!r}))\n"
        f"sys.exit(confine.launch(plan, lambda: os.execv('/bin/sh', ['sh', '-c', {shell!r}])))"
    )
    subprocess.run(
        [sys.executable, "-c", launcher],
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        timeout=30,
        check=True,
    )
    time.sleep(0.2)
    survivors = subprocess.run(["pgrep", "-f", mark], capture_output=True, text=True).stdout.split()
    assert not survivors
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["no_new_privs"] and report["capabilities_dropped"]


def _cli(args: list[str], simulate: str, tmp_path: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT), GRADER_SIMULATE=simulate, COLUMNS="200")
    return subprocess.run(
        [sys.executable, "-m", "grader", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
    )


def test_require_isolation_refuses_a_machine_missing_a_layer_and_doctor_says_how(
    tmp_path: Path,
) -> None:
    empty = tmp_path / "empty.ipynb"
    empty.write_text("")
    refused = _cli(
        ["grade", "--assignment", "week8", "--require-isolation", "--out", "out", str(empty)],
        "no-namespaces,landlock-abi=3",
        tmp_path,
    )
    assert refused.returncode == 2, refused.stdout
    assert "missing: processes" in refused.stdout and "grader doctor" in refused.stdout
    assert not (tmp_path / "out").exists()
    doctor = _cli(["doctor"], "no-namespaces,landlock-abi=3", tmp_path)
    assert doctor.returncode == 1
    assert (
        "✘ processes" in doctor.stdout
        and "Linux 6.12" in doctor.stdout
        and "unprivileged user namespaces" in doctor.stdout
    )


@pytest.mark.skipif(
    bool(isolation.expected().missing),
    reason="this machine lacks a layer, so --require-isolation refuses here",
)
def test_require_isolation_grades_where_every_layer_holds(tmp_path: Path) -> None:
    empty = tmp_path / "empty.ipynb"
    empty.write_text("")
    graded = _cli(
        [
            "grade",
            "--assignment",
            "week8",
            "--require-isolation",
            "--lang",
            "en",
            "--out",
            "out",
            str(empty),
        ],
        "",
        tmp_path,
    )
    assert graded.returncode == 0, graded.stdout
    assert (
        json.loads((tmp_path / "out" / "empty.json").read_text())["status"] == "invalid_submission"
    )
