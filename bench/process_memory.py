"""Peak resident memory of a process and all its descendants, sampled from /proc."""

from __future__ import annotations

import subprocess
import threading

from grader.sandbox.processes import process_tree, rss_mb


class PeakSampler(threading.Thread):
    """Samples the process tree of ``process`` every 0.2 s until it exits."""

    def __init__(self, process: subprocess.Popen) -> None:
        super().__init__(daemon=True)
        self.process = process
        self.peak_mb = 0.0

    def run(self) -> None:
        while self.process.poll() is None:
            self.peak_mb = max(self.peak_mb, rss_mb(process_tree(self.process.pid)))
            threading.Event().wait(0.2)
