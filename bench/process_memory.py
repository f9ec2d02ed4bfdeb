"""Peak resident memory of a process and all its descendants, sampled from /proc."""

from __future__ import annotations

import os
import subprocess
import threading


def tree_rss_mb(root: int) -> float:
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    page = os.sysconf("SC_PAGE_SIZE")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                ppid = int(f.read().rsplit(b")", 1)[1].split()[1])
            with open(f"/proc/{entry}/statm") as f:
                rss[int(entry)] = int(f.read().split()[1]) * page
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(children.get(pid, []))
    return total / 2**20


class PeakSampler(threading.Thread):
    """Samples the process tree of ``process`` every 0.2 s until it exits."""

    def __init__(self, process: subprocess.Popen) -> None:
        super().__init__(daemon=True)
        self.process = process
        self.peak_mb = 0.0

    def run(self) -> None:
        while self.process.poll() is None:
            self.peak_mb = max(self.peak_mb, tree_rss_mb(self.process.pid))
            threading.Event().wait(0.2)
