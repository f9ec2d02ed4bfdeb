"""Both sides: a process tree, its memory, and stopping it, read from ``/proc`` or through psutil.

On Linux the tree is read from ``/proc`` (the watchdog asks five times a second, and a few
small reads of the tree's own children lists cost least).  Where there is no ``/proc``
(macOS, Windows, or ``GRADER_SIMULATE=no-proc``) the same answers come from psutil, a
maintained library that knows each system's own interface.
"""

from __future__ import annotations

import os
import signal

from grader.sandbox.system import host


def _children_listed() -> bool:
    """Whether this kernel lists each thread's children (``CONFIG_PROC_CHILDREN``, Linux 3.5+)."""
    me = os.getpid()
    return os.path.exists(f"/proc/{me}/task/{me}/children")


CHILDREN_LISTED = _children_listed()


def _listed_children(pid: int) -> list[int]:
    """The children of every thread of ``pid``: a few small reads, not one per process."""
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children", "rb") as f:
                found.extend(int(child) for child in f.read().split())
        except (OSError, ValueError):
            continue
    return found


def parent_of(pid: int) -> int | None:
    """The parent ``/proc/<pid>/stat`` names (Linux); ``None`` when it cannot be read."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return int(f.read().rsplit(b")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def _scanned_children() -> dict[int, list[int]]:
    """Every process's children, from the parent named in each ``/proc/N/stat``."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (ppid := parent_of(int(entry))) is not None:
            parents.setdefault(ppid, []).append(int(entry))
    return parents


def _psutil_tree(root_pid: int) -> list[int]:
    import psutil

    try:
        below = psutil.Process(root_pid).children(recursive=True)
    except psutil.Error:
        below = []
    return [root_pid, *(p.pid for p in below)]


def process_tree(root_pid: int, listed: bool = CHILDREN_LISTED) -> list[int]:
    """``root_pid`` and every process below it, parents first.

    From ``/proc``: the children lists of the tree's own threads cost a tenth of reading the
    parent of every process on the machine, which is the fallback where the kernel keeps no
    such lists.  Without ``/proc``: psutil.
    """
    if not host.has_proc():
        return _psutil_tree(root_pid)
    if listed:
        children = _listed_children
    else:
        parents = _scanned_children()
        children = lambda pid: parents.get(pid, [])  # noqa: E731
    tree, todo = [], [root_pid]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children(pid))
    return tree


def _proportional_kb(pid: int) -> int | None:
    """``pid``'s proportional set size in KiB: its own pages, and its share of the pages it shares
    (a forked kernel shares TensorFlow's with the fork server); ``None`` where it cannot be read."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as f:
            for line in f:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1])
    except (OSError, IndexError, ValueError):
        return None
    return 0  # a process that ended (or a zombie) maps nothing


def _rss_with_psutil(pids: list[int]) -> float:
    import psutil

    total = 0
    for pid in pids:
        try:
            total += psutil.Process(pid).memory_info().rss
        except psutil.Error:
            continue
    return total / 2**20


def _resident_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, IndexError, ValueError):
        return 0


def resident_mb(pids: list[int]) -> float:
    """The resident memory of ``pids`` summed, in MiB: a page shared between them counted once per
    process, so never less than ``memory_mb``; read in microseconds (``memory_mb`` walks every
    mapping: milliseconds per process of TensorFlow's size)."""
    if not host.has_proc():
        return _rss_with_psutil(pids)
    return sum(_resident_bytes(pid) for pid in pids) / 2**20


def memory_mb(pids: list[int]) -> float:
    """The memory of ``pids`` together, in MiB: what they use between them, a page shared with
    another process counted in proportion (PSS; resident pages where the system does not say);
    a process that ended counts nothing."""
    if not host.has_proc():
        return _rss_with_psutil(pids)
    total = 0
    for pid in pids:
        proportional = _proportional_kb(pid)
        total += proportional * 1024 if proportional is not None else _resident_bytes(pid)
    return total / 2**20


def _is_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0] == b"Z"
    except (OSError, IndexError):
        return True


def living(pids: list[int]) -> list[int]:
    """Those of ``pids`` still running (not ended, not a zombie)."""
    if host.has_proc():
        return [p for p in pids if os.path.exists(f"/proc/{p}") and not _is_zombie(p)]
    import psutil

    alive = []
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                alive.append(pid)
        except psutil.Error:
            continue
    return alive


def stop_then_kill(pids: list[int]) -> None:
    """Stop every one of ``pids`` first (a fork loop cannot outpace the killing), then kill them."""
    if host.has_proc():
        for sig in (signal.SIGSTOP, signal.SIGKILL):
            for pid in pids:
                try:
                    os.kill(pid, sig)
                except OSError:
                    pass
        return
    import psutil

    processes = []
    for pid in pids:
        try:
            processes.append(psutil.Process(pid))
        except psutil.Error:
            continue
    for action in (psutil.Process.suspend, psutil.Process.kill):
        for process in processes:
            try:
                action(process)
            except psutil.Error:
                pass


_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat_fields(pid: int) -> list[bytes]:
    """``/proc/<pid>/stat`` after the command name (state first); empty when it cannot be read."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()
    except (OSError, IndexError):
        return []


def cpu_seconds(pids: list[int]) -> float:
    """The CPU time ``pids`` have used, with that of their children they have waited for: for a
    tree under a subreaper, every process it ever held but the living ones' unwaited children."""
    if not host.has_proc():
        import psutil

        total = 0.0
        for pid in pids:
            try:
                times = psutil.Process(pid).cpu_times()
            except psutil.Error:
                continue
            total += times.user + times.system + times.children_user + times.children_system
        return total
    ticks = 0
    for pid in pids:
        fields = _stat_fields(pid)
        if len(fields) > 14:
            ticks += sum(int(value) for value in fields[11:15])  # utime, stime, cutime, cstime
    return ticks / _TICK


def _started(pid: int) -> float:
    if host.has_proc():
        fields = _stat_fields(pid)
        return float(fields[19]) if len(fields) > 19 else 0.0
    import psutil

    try:
        return float(psutil.Process(pid).create_time())
    except psutil.Error:
        return 0.0


def kernel_of(root: int) -> int:
    """The kernel in the tree of ``root`` (the kernel's first process): below the launcher, the
    oldest process that leads its own group; ``root`` itself where there is no launcher (not
    Linux)."""
    if not host.is_linux():
        return root
    leaders = []
    for pid in process_tree(root)[1:]:
        try:
            if os.getpgid(pid) == pid:
                leaders.append((_started(pid), pid))
        except OSError:
            continue
    return min(leaders)[1] if leaders else root
