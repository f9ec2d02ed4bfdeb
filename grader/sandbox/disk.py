"""Grader side: a kernel's folders on the machine's disk: made with their owner's tag, measured,
and removed whatever the kernel left in them.

What the kernel writes lives in a size-limited tmpfs where its mount namespace allows one
(``tmpfs``); what stays on this disk (its sockets' folder, and every folder where there is no
tmpfs) is measured by a scan that counts what it cannot name (a path too long to open, a folder it
may not read) as over the limit, never as nothing.  Removal never recurses and never builds a long
path: each folder's sub-folders are first moved up to the top (``rename`` relative to open
folders), so any depth is removed with two descriptors.  A grader killed without clean-up leaves its
folders; the next grader to start a kernel removes those whose owner is gone (``owner``).
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path

from grader.sandbox import owner
from grader.sandbox.system import host

# Folders of kernels, in the temporary folder: ``<prefix><owner tag>-<random>``.
RUN_PREFIX = "grader-run-"
PREFIXES = (RUN_PREFIX, "grader-artifacts-")
MAX_SCANNED_FILES = 20_000
# Windows has none of these, and no folder descriptors: its folders are removed by ``shutil``.
_DIRECTORY = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY |= getattr(os, "O_CLOEXEC", 0)


class Folder:
    """A fresh folder in the temporary folder, named with this process's tag; ``cleanup``
    removes it, whatever is in it (``tempfile.TemporaryDirectory``'s interface)."""

    def __init__(self, prefix: str, within: str | None = None) -> None:
        self.name = tempfile.mkdtemp(prefix=f"{prefix}{owner.tag()}-", dir=within)

    def cleanup(self) -> None:
        remove_tree(self.name)


def _size(info: os.stat_result) -> int:
    """Bytes a file takes on disk (Windows reports no blocks: its length there)."""
    blocks = getattr(info, "st_blocks", None)
    return info.st_size if blocks is None else blocks * 512


def scanned_mb(folders: Iterable[Path]) -> float | None:
    """Bytes under ``folders`` in MiB; ``None`` (over any limit) when they hold more than
    ``MAX_SCANNED_FILES`` entries, or anything that cannot be read or named (a path too long, a
    folder that may not be read).  What is removed while it is scanned counts nothing."""
    total, seen, todo = 0, 0, [str(f) for f in folders]
    while todo:
        try:
            with os.scandir(todo.pop()) as entries:
                for entry in entries:
                    seen += 1
                    if seen > MAX_SCANNED_FILES:
                        return None
                    if entry.is_dir(follow_symlinks=False):
                        todo.append(entry.path)
                        continue
                    try:
                        total += _size(entry.stat(follow_symlinks=False))
                    except FileNotFoundError:
                        continue
        except FileNotFoundError:
            continue
        except OSError:
            return None
    return total / 2**20


def _open_folder(parent: int, name: str) -> int | None:
    """``name`` in ``parent`` opened as a folder this process may empty (the kernel may have taken
    its rights away), never through a link; ``None`` if it is not a folder."""
    try:
        folder = os.open(name, _DIRECTORY, dir_fd=parent)
    except PermissionError:
        # A folder that may not be read cannot be opened: its rights are given back through
        # ``/proc``.
        handle = os.open(name, os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=parent)
        try:
            os.chmod(f"/proc/self/fd/{handle}", stat.S_IRWXU)
        finally:
            os.close(handle)
        folder = os.open(name, _DIRECTORY, dir_fd=parent)
    except OSError as exc:
        if exc.errno in (errno.ENOTDIR, errno.ELOOP):
            return None
        raise
    if os.fstat(folder).st_mode & stat.S_IRWXU != stat.S_IRWXU:
        os.fchmod(folder, stat.S_IRWXU)
    return folder


def _move_up(top: int, folder: int, name: str, counter: list[int]) -> None:
    """The folder ``name`` in ``folder`` moved into ``top`` under a name not taken there."""
    while True:
        counter[0] += 1
        try:
            os.rename(name, f".gone-{counter[0]}", src_dir_fd=folder, dst_dir_fd=top)
            return
        except OSError as exc:
            if exc.errno not in (errno.EEXIST, errno.ENOTEMPTY, errno.ENOTDIR, errno.EISDIR):
                raise


def _flatten(top: int) -> None:
    """Empty the open folder ``top``: files are unlinked; each folder's own folders move up into
    ``top``, then it is emptied and removed; until no folder is left."""
    counter = [0]
    while True:
        with os.scandir(top) as entries:
            names = [(e.name, e.is_dir(follow_symlinks=False)) for e in entries]
        for name, is_folder in names:
            if not is_folder:
                os.unlink(name, dir_fd=top)
        folders = [name for name, is_folder in names if is_folder]
        if not folders:
            return
        for name in folders:
            inner = _open_folder(top, name)
            if inner is None:
                os.unlink(name, dir_fd=top)
                continue
            try:
                with os.scandir(inner) as entries:
                    inside = [(e.name, e.is_dir(follow_symlinks=False)) for e in entries]
                for entry, is_folder in inside:
                    if is_folder:
                        _move_up(top, inner, entry, counter)
                    else:
                        os.unlink(entry, dir_fd=inner)
            finally:
                os.close(inner)
            os.rmdir(name, dir_fd=top)


def remove_tree(path: str | os.PathLike[str]) -> None:
    """Remove ``path`` and everything in it, at any depth, without recursion or long paths;
    links are removed, never followed.  Missing is fine; what cannot be removed stays (for the
    next sweep, or a person, to see)."""
    if os.rename not in os.supports_dir_fd:
        shutil.rmtree(path, ignore_errors=True)
        return
    parent_path, name = os.path.split(os.path.abspath(os.fspath(path)))
    try:
        parent = os.open(parent_path, _DIRECTORY)
    except OSError:
        return
    try:
        top = _open_folder(parent, name)
        if top is None:
            os.unlink(name, dir_fd=parent)
            return
        try:
            _flatten(top)
        finally:
            os.close(top)
        os.rmdir(name, dir_fd=parent)
    except OSError:
        pass
    finally:
        os.close(parent)


# Where a kernel's folders go when the temporary folder's path is too long to hold its sockets.
SHORT_BASE = "/tmp"
# The longest path a Unix socket may have (``sun_path`` holds 108 bytes on Linux, with its NUL).
SOCKET_PATH_MAX = 107


def base_for_sockets(longest: int) -> str | None:
    """The folder to make a kernel's run folder in, whose sockets' paths are ``longest``
    characters below it: the temporary folder (``None``) where they fit, else ``SHORT_BASE``.
    A long ``TMPDIR`` (macOS's, a test's, a course machine's) must not make a grading fail."""
    if len(tempfile.gettempdir()) + longest <= SOCKET_PATH_MAX or not os.path.isdir(SHORT_BASE):
        return None
    return SHORT_BASE


def sweep(folder: Path | None = None) -> list[str]:
    """Remove the kernels' folders left in ``folder`` (the temporary folder, and the short base
    where sockets did not fit in it) by graders that are gone; the names removed.  Off Linux (no
    ``/proc`` to tell), nothing."""
    if not host.has_proc():
        return []
    if folder is None:
        bases = {tempfile.gettempdir(), SHORT_BASE}
        return [name for base in sorted(bases) for name in sweep(Path(base))]
    where = Path(folder)
    try:
        names = [n for n in os.listdir(where) if n.startswith(PREFIXES)]
    except OSError:
        return []
    removed = []
    for name in names:
        if owner.gone(name):
            remove_tree(where / name)
            removed.append(name)
    return removed
