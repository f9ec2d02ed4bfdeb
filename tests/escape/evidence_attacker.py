"""A student who attacks the grader through the evidence folder its kernel writes: the files
the grader reads after the cells (and, from the first ``fit``, while they run).

The notebook finds its evidence folder (the kernel's recorder knows it), then leaves there, under
the names the grader reads, what the grader must refuse: a FIFO that never answers, links to
``/proc/self/fd/N`` (the grader's own descriptors, a batch worker's job queue among them), a link
to a file of the instructor's the kernel cannot read, a socket, a hard link, a link in place of
the ``arrays`` folder's file and of a figure, and events that name them.  Meanwhile a thread
truncates and rewrites the large array its first ``fit`` names, which the grader copies while the
cells still run (through a memory map, that killed it with ``SIGBUS``).  None of it uses
TensorFlow: the events are written by hand, as the recorder would.
"""

from __future__ import annotations

import json

# The secret the links point at: distinctive values, searched for in every output.
SECRET_VALUE = 7654.321
# File descriptors of the grader's process the links name (a worker's pipes are among them).
PROC_FDS = tuple(range(0, 12))

FIND_FOLDER = r"""
import json, os, sys, threading, time, socket
import numpy as np
boot = sys.modules.get("grader.sandbox.kernel.boot")
A = str(boot._recorder.directory) if boot is not None and boot._recorder else json.loads(
    os.environ["GRADER_SANDBOX"])["artifacts"]
ARRAYS = os.path.join(A, "arrays")
print("evidence folder found:", os.path.isdir(ARRAYS))


def event(**fields):
    with open(os.path.join(A, "events.jsonl"), "a") as f:
        f.write(json.dumps(fields) + "\n")


def attempt(name, action):
    try:
        action()
        print(name, "planted")
    except Exception as exc:
        print(name, "refused:", type(exc).__name__)


# A model the grader reads the arrays for, then refuses to build (too large): it leaves nothing in
# the measurement cache.
def config(inputs):
    layers = [{"class_name": "InputLayer", "config": {"name": "in", "batch_shape": [None, inputs]}},
              {"class_name": "Dense", "config": {"name": "wide", "units": 2000000}},
              {"class_name": "Dense", "config": {"name": "out", "units": 10,
                                                 "activation": "softmax"}}]
    return json.dumps({"class_name": "Sequential", "config": {"name": "s", "layers": layers}})
"""

TRUNCATE_WHILE_READ = r"""
big = np.ones((8192, 1024), np.float32)
np.save(os.path.join(ARRAYS, "a950.npy"), big)
np.save(os.path.join(ARRAYS, "a951.npy"), np.ones((10, 10), np.float32))
event(kind="compile", model="m9", optimizer="adam", loss="categorical_crossentropy")
event(kind="fit_start", model="m9", config=config(1024), x="a950.npy", y="a951.npy",
      validation_x="a950.npy", batch_size=32)
stop = time.monotonic() + 4


def churn():
    path = os.path.join(ARRAYS, "a950.npy")
    while time.monotonic() < stop:
        os.truncate(path, 4096)
        np.save(path, big)


threading.Thread(target=churn).start()
time.sleep(4.5)
print("churned")
"""

PLANT = r"""
SECRET = SECRET_PATH
attempt("fifo", lambda: os.mkfifo(os.path.join(ARRAYS, "a900.npy")))
attempt("secret link", lambda: os.symlink(SECRET, os.path.join(ARRAYS, "a901.npy")))
attempt("hard link", lambda: os.link(SECRET, os.path.join(ARRAYS, "a902.npy")))
for fd in PROC_FDS:
    attempt(f"fd {fd}", lambda fd=fd: os.symlink(f"/proc/self/fd/{fd}",
                                                os.path.join(ARRAYS, f"a{910 + fd}.npy")))
sock = socket.socket(socket.AF_UNIX)
attempt("socket", lambda: sock.bind(os.path.join(ARRAYS, "a903.npy")))
attempt("figure link", lambda: os.symlink(SECRET, os.path.join(A, "figures", "fig0.png")))
event(kind="figure", axes=[], png="fig0.png")
event(kind="compile", model="m0", optimizer="adam", loss="categorical_crossentropy")
event(kind="fit_start", model="m0", config=config(784), x="a900.npy", y="a910.npy",
      validation_x="a901.npy", validation_y="a911.npy", batch_size=32, epochs=1)
event(kind="fit_end", model="m0", config=config(784), history={"loss": [1.0]})
event(kind="evaluate", model="m0", x="a902.npy", y="a912.npy")
event(kind="evaluate", model="m1", x="a903.npy", y="a913.npy")
print("planted")
"""


def notebook(secret: str) -> bytes:
    """The attacker's notebook; ``secret``: a file the kernel cannot read (links point at it)."""
    cells = [
        FIND_FOLDER + f"SECRET_PATH = {secret!r}\nPROC_FDS = {PROC_FDS!r}\n",
        TRUNCATE_WHILE_READ,
        PLANT,
        "print('the evidence attacker finished')",
    ]
    return json.dumps(
        {
            "cells": [
                {
                    "cell_type": "code",
                    "source": c,
                    "metadata": {},
                    "execution_count": None,
                    "outputs": [],
                }
                for c in cells
            ],
            "metadata": {},
            "nbformat": 4,
            "nbformat_minor": 5,
        }
    ).encode()
