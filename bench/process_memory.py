"""Peak memory of a process and all its descendants, and of the resident fork servers of its
cache (with their handlers and kernels, which are not its descendants), sampled from /proc
(PSS: a page shared between processes counted once), at each new high of their resident memory."""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path

from grader.sandbox.resident import PID_FILE
from grader.sandbox.system.processes import memory_mb, process_tree, resident_mb


def _servers(cache: Path | None) -> list[int]:
    """The resident fork servers started for ``cache`` (their pids)."""
    pids = []
    for pid_file in cache.glob(f"servers/*/{PID_FILE}") if cache is not None else []:
        try:
            pids.append(int(pid_file.read_text()))
        except (OSError, ValueError):
            continue
    return pids


# PSS walks every mapping of a process (milliseconds for one of TensorFlow's size): read at a new
# high of the resident memory (microseconds to read, every 0.2 s), else this often.  Reading it
# for every process five times a second took a fifth of a core and more from what it measured.
PSS_EVERY_S = 2.0


class PeakSampler(threading.Thread):
    """Samples the process tree of ``process``, and the servers of ``cache``, until it exits."""

    def __init__(self, process: subprocess.Popen, cache: Path | None = None) -> None:
        super().__init__(daemon=True)
        self.process = process
        self.cache = cache
        self.peak_mb = 0.0

    def run(self) -> None:
        highest, read_at = 0.0, 0.0
        while self.process.poll() is None:
            trees = [process_tree(pid) for pid in [self.process.pid, *_servers(self.cache)]]
            pids = sorted({pid for tree in trees for pid in tree})
            resident = resident_mb(pids)
            if resident > highest or time.monotonic() - read_at > PSS_EVERY_S:
                highest, read_at = max(highest, resident), time.monotonic()
                self.peak_mb = max(self.peak_mb, memory_mb(pids))
            threading.Event().wait(0.2)
