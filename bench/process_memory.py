"""Peak memory of a process and all its descendants, and of the resident fork servers of its
cache (with their handlers and kernels, which are not its descendants), sampled from /proc
(PSS: a page shared between processes counted once)."""

from __future__ import annotations

import subprocess
import threading
from pathlib import Path

from grader.sandbox.processes import process_tree, memory_mb
from grader.sandbox.resident import PID_FILE


def _servers(cache: Path | None) -> list[int]:
    """The resident fork servers started for ``cache`` (their pids)."""
    pids = []
    for pid_file in cache.glob(f"servers/*/{PID_FILE}") if cache is not None else []:
        try:
            pids.append(int(pid_file.read_text()))
        except (OSError, ValueError):
            continue
    return pids


class PeakSampler(threading.Thread):
    """Samples the process tree of ``process``, and the servers of ``cache``, every 0.2 s until it exits."""

    def __init__(self, process: subprocess.Popen, cache: Path | None = None) -> None:
        super().__init__(daemon=True)
        self.process = process
        self.cache = cache
        self.peak_mb = 0.0

    def run(self) -> None:
        while self.process.poll() is None:
            trees = [process_tree(pid) for pid in [self.process.pid, *_servers(self.cache)]]
            self.peak_mb = max(self.peak_mb, memory_mb(sorted({pid for tree in trees for pid in tree})))
            threading.Event().wait(0.2)
