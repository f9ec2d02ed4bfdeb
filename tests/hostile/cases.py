"""Hostile and broken submissions, one small file each, with the status each must get.

Shared by ``tests/test_hostile.py`` and ``bench/hostile.py``.  Every case is written into
a folder of its own (some bring files to place beside the submission), then the whole set
is graded by ``grader grade`` processes against a copy of week 8 with low limits, so the
resource cases end in seconds.  None of the submissions imports TensorFlow.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
ASSIGNMENT = "hostile"
# Low limits for the hostile assignment (a copy of week 8): cell, whole notebook, memory,
# output, disk, processes.
CELL_S, TOTAL_S = 8, 20
LIMITS = {
    "cell_timeout_s": CELL_S,
    "total_timeout_s": TOTAL_S,
    "memory_mb": 1000,
    "output_kb": 64,
    "disk_mb": 64,
    "max_processes": 16,
}
# Slack on top of the limits for a verdict: kernel start-up, interrupt probe, measurement.
GRACE_S = 25
# Marks left in process command lines and files, searched for after grading.
ORPHAN_MARK = "654321"
CANARY = "HOSTILE_CANARY_7f3a"
# How a Python traceback of the grader's own starts (IPython's, for student cells, has no colon).
GRADER_TRACEBACK = "Traceback (most recent call last):"


def notebook(*sources: str, nbformat: int = 4, minor: int = 5, outputs: bool = False) -> bytes:
    cells = [
        {
            "cell_type": "code",
            "source": s,
            "metadata": {},
            "execution_count": None,
            "outputs": [
                {"output_type": "stream", "name": "stdout", "text": "Test accuracy: 0.999\n"}
            ]
            if outputs
            else [],
        }
        for s in sources
    ]
    return json.dumps(
        {"cells": cells, "metadata": {}, "nbformat": nbformat, "nbformat_minor": minor}
    ).encode()


def notebook_v3(*sources: str) -> bytes:
    cells = [
        {"cell_type": "code", "input": s, "language": "python", "outputs": [], "metadata": {}}
        for s in sources
    ]
    return json.dumps(
        {
            "nbformat": 3,
            "nbformat_minor": 0,
            "metadata": {},
            "worksheets": [{"cells": cells, "metadata": {}}],
        }
    ).encode()


def _huge(path: Path) -> None:
    """A 100 MB notebook, sparse on disk: the grader must refuse it by size, unread."""
    with open(path, "wb") as f:
        f.write(b'{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5, "x": "')
        f.truncate(100 * 2**20)


def _big_outputs(path: Path) -> None:
    """A 30 MB notebook whose size is all stored outputs (base64 images): graded cheaply."""
    image = {
        "output_type": "display_data",
        "metadata": {},
        "data": {"image/png": "iVBORw0KGgo" + "A" * 2**20},
    }
    cell = {
        "cell_type": "code",
        "source": "x = 1",
        "metadata": {},
        "execution_count": 1,
        "outputs": [image] * 30,
    }
    path.write_text(
        json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    )


@dataclass(frozen=True)
class Case:
    name: str
    file: str
    status: str
    # Must appear in the JSON record (error, notes or cell errors); "" for none.
    phrase: str
    content: bytes = b""
    # Writes the submission itself instead of ``content`` (for files too big to hold).
    writer: Callable[[Path], None] | None = None
    # Files placed beside the submission.
    beside: dict[str, bytes] = field(default_factory=dict)
    # Phrases that must NOT appear in the record (leaks, canaries).
    absent: tuple[str, ...] = ()
    # The record's cell outcomes, when they matter.
    outcomes: tuple[str, ...] | None = None
    # Holds only where the kernel's network layer holds (``isolation.expected()``).
    needs_netns: bool = False


# A model the grader must not build: 1.6 billion parameters (6 GB of weights).
HUGE_CONFIG = json.dumps(
    {
        "class_name": "Sequential",
        "config": {
            "name": "s",
            "layers": [
                {"class_name": "InputLayer", "config": {"batch_shape": [None, 784], "name": "in"}},
                {"class_name": "Dense", "config": {"name": "wide", "units": 2_000_000}},
                {"class_name": "Dense", "config": {"name": "out", "units": 10}},
            ],
        },
    }
)
# Evidence left in place of what fit trained on: a FIFO (it blocked a batch worker for good) and a
# link to the grader's own standard input.
FIFO_EVIDENCE = (
    b"import json, os\nartifacts = json.loads(os.environ['GRADER_SANDBOX'])['artifacts']\n"
    b"arrays = os.path.join(artifacts, 'arrays')\nos.makedirs(arrays, exist_ok=True)\n"
    b"os.mkfifo(os.path.join(arrays, 'a990.npy'))\n"
    b"os.symlink('/proc/self/fd/0', os.path.join(arrays, 'a991.npy'))\n"
    b"with open(os.path.join(artifacts, 'events.jsonl'), 'a') as f:\n"
    b"    f.write(json.dumps({'kind': 'fit_start', 'model': 'm0', 'x': 'a990.npy',\n"
    b"                        'y': 'a991.npy'}) + '\\n')\n"
)


def _fake_model(config: str) -> str:
    """A stand-in ``model`` that hands the grader ``config`` as its Keras JSON."""
    return (
        "class FakeModel:\n    layers = []\n    def to_json(self):\n        return CONFIG\n"
        f"CONFIG = {config}\nmodel = FakeModel()\n"
    )


CUSTOM_LAYER_CONFIG = json.dumps(
    {
        "class_name": "Sequential",
        "config": {
            "name": "s",
            "layers": [
                {
                    "class_name": "InputLayer",
                    "config": {"batch_shape": [None, 28, 28, 1], "name": "in"},
                },
                {
                    "class_name": "EvilLayer",
                    "module": "os",
                    "registered_name": "os>system",
                    "config": {"name": "evil", "command": f"touch /tmp/{CANARY}"},
                },
                {
                    "class_name": "Lambda",
                    "config": {
                        "name": "lam",
                        "function": {"class_name": "__lambda__", "config": {"code": "..."}},
                    },
                },
                {
                    "class_name": "Dense",
                    "config": {"name": "out", "units": 10, "activation": "softmax"},
                },
            ],
        },
    }
)


def cases(out: Path) -> list[Case]:
    """Every case; ``out`` is the grader's output folder (some cases attack it)."""
    v4 = lambda *s, **k: notebook(*s, **k)  # noqa: E731
    return [
        # Malformed: refused before any kernel starts.
        Case(
            "m_truncated",
            "m_truncated.ipynb",
            "invalid_submission",
            "not valid JSON (line 1, column",
            b'{"cells": [{"cell_type": "code", "sour',
        ),
        Case(
            "m_json_list",
            "m_json_list.ipynb",
            "invalid_submission",
            "is JSON but not a notebook",
            b"[]",
        ),
        Case(
            "m_cells_dict",
            "m_cells_dict.ipynb",
            "invalid_submission",
            "'cells' is not a list",
            b'{"cells": {}, "nbformat": 4}',
        ),
        Case(
            "m_no_source",
            "m_no_source.ipynb",
            "invalid_submission",
            "cell 1 has no source text",
            json.dumps(
                {
                    "cells": [{"cell_type": "code", "metadata": {}, "outputs": []}],
                    "metadata": {},
                    "nbformat": 4,
                    "nbformat_minor": 5,
                }
            ).encode(),
        ),
        Case(
            "m_nbformat5",
            "m_nbformat5.ipynb",
            "invalid_submission",
            "nbformat 5 is not supported",
            v4("x = 1", nbformat=5),
        ),
        Case("m_empty_file", "m_empty_file.ipynb", "invalid_submission", "has no code", b""),
        Case("m_no_cells", "m_no_cells.ipynb", "invalid_submission", "has no code", v4()),
        Case(
            "m_markdown_only",
            "m_markdown_only.ipynb",
            "invalid_submission",
            "has no code",
            json.dumps(
                {
                    "cells": [{"cell_type": "markdown", "source": "# hi", "metadata": {}}],
                    "metadata": {},
                    "nbformat": 4,
                    "nbformat_minor": 5,
                }
            ).encode(),
        ),
        Case(
            "m_png",
            "m_png.ipynb",
            "invalid_submission",
            "a PNG image",
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64),
        ),
        Case(
            "m_pdf",
            "m_pdf.ipynb",
            "invalid_submission",
            "a PDF document",
            b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n",
        ),
        Case("m_junk", "m_junk.ipynb", "invalid_submission", "binary data", bytes(range(256)) * 16),
        Case("m_huge", "m_huge.ipynb", "invalid_submission", "100 MiB", writer=_huge),
        Case(
            "m_big_outputs",
            "m_big_outputs.ipynb",
            "graded",
            "",
            writer=_big_outputs,
            outcomes=("ok",),
        ),
        Case(
            "m_deep_json",
            "m_deep_json.ipynb",
            "invalid_submission",
            "RecursionError",
            b"[" * 100_000 + b"]" * 100_000,
        ),
        Case(
            "m_shift_jis",
            "m_shift_jis.py",
            "invalid_submission",
            "looks like Shift_JIS",
            "print('精度:', 0.99)\n".encode("cp932"),
        ),
        # Malformed but runnable: graded, or per-cell errors.
        Case(
            "m_v3",
            "m_v3.ipynb",
            "graded",
            "",
            notebook_v3("x = 1", "print(x)"),
            outcomes=("ok", "ok"),
        ),
        Case(
            "m_future_minor",
            "m_future_minor.ipynb",
            "graded",
            "",
            v4("x = 1", minor=99, outputs=True),
            outcomes=("ok",),
        ),
        Case(
            "m_syntax_error",
            "m_syntax_error.py",
            "graded",
            "SyntaxError",
            b"def f(:\n    pass\n",
            outcomes=("error",),
        ),
        Case(
            "m_cell_syntax_error",
            "m_cell_syntax_error.ipynb",
            "graded",
            "SyntaxError",
            v4("x = 1", "def f(:\n    pass", "print(x)"),
            outcomes=("ok", "error", "ok"),
        ),
        Case(
            "m_coding_cookie",
            "m_coding_cookie.py",
            "graded",
            "",
            "# -*- coding: shift_jis -*-\nprint('精度:', 0.99)\n".encode("cp932"),
            outcomes=("ok",),
        ),
        Case(
            "m_bom",
            "m_bom.py",
            "graded",
            "",
            "\ufeffprint('精度')\n".encode("utf-8"),
            outcomes=("ok",),
        ),
        Case(
            "課題8 (山田 太郎)",
            "課題8 (山田 太郎).ipynb",
            "graded",
            "",
            v4("print('こんにちは')"),
            outcomes=("ok",),
        ),
        # Resources: stopped by the limits, the record says which.
        Case(
            "r_endless_loop",
            "r_endless_loop.py",
            "timeout",
            f"ran longer than {CELL_S} s",
            b"while True:\n    pass\n# %%\nprint('after')\n",
            outcomes=("timeout", "ok"),
        ),
        Case(
            "r_sleep",
            "r_sleep.py",
            "timeout",
            f"ran longer than {CELL_S} s",
            b"import time\ntime.sleep(10**6)\n",
        ),
        Case(
            "r_ignores_signals",
            "r_ignores_signals.py",
            "timeout",
            "time limit",
            b"import signal, time\nsignal.signal(signal.SIGINT, "
            b"signal.SIG_IGN)\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
            b"time.sleep(10**6)\n# %%\nprint('never')\n",
        ),
        Case(
            "r_40gib",
            "r_40gib.py",
            "resource_limit",
            "MemoryError",
            b"block = bytearray(40 * 2**30)\n",
        ),
        Case(
            "r_memory_creep",
            "r_memory_creep.py",
            "resource_limit",
            "memory",
            b"import time\nchunks = []\nfor _ in range(60):\n    chunks.append(bytearray(50 * "
            b"2**20))\n",
        ),
        Case(
            "r_fork_loop",
            "r_fork_loop.py",
            "resource_limit",
            "processes",
            b"import os\nwhile True:\n    os.fork()\n",
        ),
        Case(
            "r_shell_processes",
            "r_shell_processes.py",
            "resource_limit",
            "processes",
            f"import os, time\nos.system('for i in $(seq 40); do sleep {ORPHAN_MARK} & "
            "done')\ntime.sleep(6)\n".encode(),
        ),
        Case(
            "r_print_1gb",
            "r_print_1gb.py",
            "resource_limit",
            "printed more than 64 KiB",
            b"for _ in range(1024):\n    print('x' * 2**20)\n",
        ),
        Case(
            "r_huge_figure",
            "r_huge_figure.py",
            "graded",
            "",
            b"import matplotlib.pyplot as plt\nplt.figure(figsize=(500, 500))\nplt.plot([1, 2, "
            b"3])\nplt.show()\n",
            outcomes=("ok",),
        ),
        Case(
            "r_disk_one_file",
            "r_disk_one_file.py",
            "resource_limit",
            "disk",
            b"with open('big.bin', 'wb') as f:\n    for _ in range(200):\n        f.write(b'0' * "
            b"2**20)\n",
        ),
        Case(
            "r_disk_many_files",
            "r_disk_many_files.py",
            "resource_limit",
            "disk",
            b"import time\nfor i in range(20):\n    with open(f'part{i}.bin', 'wb') as f:\n        "
            b"f.write(b'0' * 10 * 2**20)\n"
            b"time.sleep(3)\n",
        ),
        Case(
            # Files below folders deeper than a path can name: a scan would not count them.
            "r_disk_deep",
            "r_disk_deep.py",
            "resource_limit",
            "disk",
            b"import subprocess, sys, time\nsubprocess.run([sys.executable, '-c', 'import os\\n"
            b'for _ in range(1200):\\n    os.mkdir("dddd")\\n    os.chdir("dddd")\\n'
            b'open("big.bin", "wb").write(bytes(100 * 2**20))\'])\ntime.sleep(3)\n',
        ),
        Case(
            "r_orphan",
            "r_orphan.py",
            "graded",
            "",
            f"import os, subprocess\nsubprocess.Popen(['sleep', '{ORPHAN_MARK}1'], "
            "start_new_session=True)\n"
            f"os.system('nohup sleep {ORPHAN_MARK}2 >/dev/null 2>&1 &')\n".encode(),
            outcomes=("ok",),
        ),
        # Exits: a clear message; what did not run earns nothing.
        Case(
            "e_sys_exit",
            "e_sys_exit.py",
            "graded",
            "SystemExit",
            b"import sys\nsys.exit(3)\n# %%\nprint('after')\n",
            outcomes=("error", "ok"),
        ),
        Case(
            "e_os_exit",
            "e_os_exit.py",
            "student_error",
            "stopped the Python kernel",
            b"x = 1\n# %%\nimport os\nos._exit(0)\n# %%\nprint('never')\n",
            outcomes=("ok", "error", "not_run"),
        ),
        Case(
            "e_keyboard_interrupt",
            "e_keyboard_interrupt.py",
            "graded",
            "KeyboardInterrupt",
            b"raise KeyboardInterrupt\n# %%\nprint('after')\n",
            outcomes=("error", "ok"),
        ),
        Case(
            "e_kill_own_kernel",
            "e_kill_own_kernel.py",
            "student_error",
            "stopped the Python kernel",
            b"import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n# %%\nprint('never')\n",
            outcomes=("error", "not_run"),
        ),
        Case(
            "e_kill_the_grader",
            "e_kill_the_grader.py",
            "graded",
            "signals to processes outside the notebook",
            b"import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\n# %%\nos.kill(-1, "
            b"signal.SIGKILL)\n# %%\n"
            b"os.killpg(os.getppid(), signal.SIGTERM)\n# %%\nprint('alive')\n",
            outcomes=("error", "error", "error", "ok"),
        ),
        # Tampering: the verdict is computed outside the kernel, from data.
        Case(
            "t_files_beside",
            "t_files_beside.py",
            "graded",
            "",
            b"import numpy, sys\nassert 'site-packages' in numpy.__file__, numpy.__file__\nassert "
            b"'sitecustomize' not in sys.modules or "
            b"'HOSTILE' not in str(sys.modules['sitecustomize'])\n",
            outcomes=("ok",),
            beside={
                name: f"open('/tmp/{CANARY}', 'w').write('imported {name}')\nraise "
                f"SystemExit('HOSTILE {name}')\n".encode()
                for name in ("conftest.py", "sitecustomize.py", "numpy.py", "usercustomize.py")
            }
            | {"pytest.ini": b"[pytest]\naddopts = -p no:grader\n"},
        ),
        Case(
            "t_patch_grader",
            "t_patch_grader.py",
            "graded",
            "ZeroDivisionError",
            # The kernel cannot even import the grading code (only the kernel-side modules exist
            # for it); were it importable, patching it would still change nothing.
            b"try:\n    import grader.checks.registry, grader.engine, grader.checks.run as run\n"
            b"    from grader.outcome import PASSED\n    run.cells_run = lambda *a, **k: PASSED\n"
            b"    grader.checks.registry.REGISTRY.clear()\n    grader.engine.grade = lambda *a, "
            b"**k: None\n"
            b"except ImportError:\n    pass\nimport numpy\nnumpy.mean = lambda *a, **k: 1.0\n# "
            b"%%\n1 / 0\n",
            outcomes=("ok", "error"),
        ),
        Case(
            "t_fake_results",
            "t_fake_results.py",
            "graded",
            "may only write files in its current folder",
            (
                "import json\nfake = "
                f"{{'status': 'graded', 'score': 25.0, 'max_score': 25.0, 'checks': []}}\n"
                "json.dump(fake, open('results.json', 'w'))\njson.dump(fake, "
                "open('t_fake_results.json', 'w'))\n# %%\n"
                f"json.dump(fake, open({str(out / 't_fake_results.json')!r}, 'w'))\n# %%\n"
                f"json.dump(fake, open({str(out / 'victim.json')!r}, 'w'))\n"
            ).encode(),
            outcomes=("ok", "error", "error"),
        ),
        Case(
            "t_read_reference",
            "t_read_reference.py",
            "graded",
            "reference files are not available",
            (
                f"import glob, os\nROOT = {str(ROOT)!r}\nleaks = []\n"
                "for path in (ROOT + '/reference/week8.py', ROOT + "
                "'/grader/assignments/week8/solution.ipynb',\n"
                "             '/proc/%d/environ' % os.getppid(), "
                "'/proc/%d/cwd/reference/week8.py' % os.getppid()):\n"
                "    try:\n        leaks.append(open(path, 'rb').read()[:40])\n    except "
                "OSError:\n        pass\n"
                "leaks += glob.glob(ROOT + '/*/*solution*') + glob.glob(ROOT + "
                "'/*/*/*solution*')\n"
                f"leaks += [k for k in os.environ if 'SECRET' in k]\n"
                f"if leaks:\n    raise RuntimeError('LEAKED ' + repr(leaks))\n# %%\n"
                f"import reference.week8\n# %%\nopen(ROOT + '/reference/week8.py').read()\n"
            ).encode(),
            absent=("LEAKED",),
            outcomes=("ok", "error", "error"),
        ),
        Case(
            "t_custom_layer",
            "t_custom_layer.py",
            "graded",
            "EvilLayer",
            _fake_model(repr(CUSTOM_LAYER_CONFIG)).encode(),
            outcomes=("ok",),
        ),
        Case(
            "t_deep_config",
            "t_deep_config.py",
            "graded",
            "not JSON",
            _fake_model("'[' * 100000 + ']' * 100000").encode(),
            outcomes=("ok",),
        ),
        Case(
            "t_huge_model",
            "t_huge_model.py",
            "graded",
            "the grader does not train a model this large",
            _fake_model(repr(HUGE_CONFIG)).encode(),
            outcomes=("ok",),
        ),
        Case(
            "t_fifo_evidence",
            "t_fifo_evidence.py",
            "graded",
            "arrays/a990.npy is a FIFO",
            FIFO_EVIDENCE,
            outcomes=("ok",),
        ),
        Case(
            "t_forged_evidence",
            "t_forged_evidence.py",
            "graded",
            "",
            b"import json, os\nartifacts = json.loads(os.environ['GRADER_SANDBOX'])['artifacts']\n"
            b"with open(os.path.join(artifacts, 'events.jsonl'), 'a') as f:\n"
            b"    f.write('{\"kind\": \"fit_end\", \"history\": ' + '[' * 100000 + ']' * 100000 + "
            b"'}\\n')\n"
            b'    f.write(\'{"kind": "final", "variables": {"model": {"config": 7}}}\\n\')\n'
            b"    f.write('\\xff\\xfe not json\\n')\n",
            outcomes=("ok",),
        ),
        # Network: refused at once, with a message saying why.
        Case(
            "n_network",
            "n_network.py",
            "graded",
            "network access is disabled",
            b"import urllib.request\nurllib.request.urlopen('http://example.com', timeout=30)\n# "
            b"%%\n"
            b"import socket\nsocket.create_connection(('127.0.0.1', PORT), timeout=30)\n# %%\n"
            b"socket.getaddrinfo('example.com', 80)\n",
            outcomes=("error", "error", "error"),
        ),
        Case(
            "n_shell_network",
            "n_shell_network.py",
            "graded",
            "",
            "import os, sys\nprobe = \"import socket; socket.create_connection(('127.0.0.1', "
            'PORT), timeout=5)"\n'
            "assert os.system(f'{sys.executable} -c \"{probe}\" 2>/dev/null') != 0, 'a shell "
            "command reached the network'\n".encode(),
            outcomes=("ok",),
            needs_netns=True,
        ),
    ]


def write_assignment(folder: Path) -> Path:
    """A copy of week 8 with the low limits above; returns the assignments folder."""
    source = (ROOT / "assignments" / "week8" / "assignment.toml").read_text(encoding="utf-8")
    head, _, rest = source.partition("[limits]")
    _, _, tail = rest.partition("\n\n")
    limits = "".join(f"{k} = {v}\n" for k, v in LIMITS.items())
    target = folder / ASSIGNMENT
    target.mkdir(parents=True, exist_ok=True)
    # Its cases are scripts that mostly never import TensorFlow: their kernels do not import it
    # ahead.
    (target / "assignment.toml").write_text(
        f"{head}[limits]\n{limits}\n{tail}\n[kernel]\npreload = false\n", encoding="utf-8"
    )
    shutil.copyfile(ROOT / "assignments" / "week8" / "expected.json", target / "expected.json")
    return folder


def write_cases(folder: Path, out: Path, port: int) -> dict[str, Path]:
    """Each case in a folder of its own; returns the submission path by case name."""
    paths = {}
    for case in cases(out):
        home = folder / case.name.encode("ascii", "replace").decode().replace("?", "_")
        home.mkdir(parents=True, exist_ok=True)
        path = home / case.file
        if case.writer is not None:
            case.writer(path)
        else:
            path.write_bytes(case.content.replace(b"PORT", str(port).encode()))
        for name, content in case.beside.items():
            (home / name).write_bytes(content)
        paths[case.name] = path
    return paths


@dataclass(frozen=True)
class Graded:
    records: dict[str, dict]
    logs: list[str]
    wall_s: float


def grade(
    paths: list[Path], out: Path, assignments: Path, jobs: int = 2, secret: str = ""
) -> Graded:
    """Grade ``paths`` with ``jobs`` parallel ``grader grade`` processes sharing ``out``."""
    env = dict(
        os.environ,
        PYTHONPATH=str(ROOT),
        GRADER_ASSIGNMENTS=str(assignments),
        COLUMNS="100",
        HOSTILE_SECRET_TOKEN=secret or CANARY,
    )
    started = time.monotonic()
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "grader",
                "grade",
                "--assignment",
                ASSIGNMENT,
                "--lang",
                "en",
                "--out",
                str(out),
                *map(str, paths[i::jobs]),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
        for i in range(jobs)
        if paths[i::jobs]
    ]
    logs = [p.communicate(timeout=1200)[0] for p in procs]
    records = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in out.glob("*.json")}
    return Graded(records, logs, time.monotonic() - started)


def leftover_processes(mark: str = ORPHAN_MARK) -> list[str]:
    """Command lines of processes left behind running ``sleep <mark>...`` (must be none)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                cmdline = (
                    Path(f"/proc/{entry}/cmdline")
                    .read_bytes()
                    .replace(b"\0", b" ")
                    .decode(errors="replace")
                )
            except OSError:
                continue
            if f"sleep {mark}" in cmdline:
                found.append(cmdline)
    return found


def problems(case: Case, record: dict | None) -> list[str]:
    """Why ``record`` is not what ``case`` must get (empty when it is)."""
    if record is None:
        return ["no record"]
    text = json.dumps(record, ensure_ascii=False)
    found = []
    if record["status"] != case.status:
        found.append(
            f"status {record['status']!r}, expected {case.status!r}: "
            f"{record.get('error') or record.get('notes')}"
        )
    if "grader_traceback" in record:
        found.append("a grader traceback")
    if case.phrase and case.phrase not in text:
        found.append(f"{case.phrase!r} not in the record")
    found += [f"{phrase!r} in the record" for phrase in case.absent if phrase in text]
    if case.outcomes is not None:
        outcomes = tuple(c["outcome"] for c in record.get("cells", []))
        if outcomes != case.outcomes:
            found.append(f"cell outcomes {outcomes}, expected {case.outcomes}")
    if record["score"] >= record["max_score"]:
        found.append("full marks")
    return found
