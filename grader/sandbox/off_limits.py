"""Grader side: what a kernel may not read or write, declared once.

``declare`` names it for one kernel: the folders it may not read, wherever they lie (the grader's
package, the course's solution code and assignments beside it, the cache, and the folders of the
course being graded), and the only folders it may write in (its scratch folders and the evidence
folder).  Both enforcements are made from it: Landlock's grant (``filesystem_plan``: nothing hidden
is granted, nor any folder above one; beneath one, only what the kernel needs) and the in-kernel
guard's configuration (``guard``: it refuses a hidden path unless the grant reaches it from beneath
the hidden folder, and a write outside the writable folders).  The tests check both against it.
"""

from __future__ import annotations

import site
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grader
from grader.datasets import cache_dir

# What the kernel and the fork server import of the grader itself (the server's measurers rebuild
# and train with the grader's own training code): the one part of the hidden package granted.
KERNEL_PACKAGE_PARTS = ("__init__.py", "sandbox", "datasets", "boundary", "model")
# Packages the student's code may not import: their files are hidden, and the guard refuses the
# import itself at once.
PROTECTED_MODULES = ("reference",)


def _under(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


@dataclass(frozen=True)
class OffLimits:
    """What one kernel may not read or write."""

    # Folders it may not read, wherever they lie: nothing beneath them but what the grant names
    # there (the kernel's part of the package, the dataset files, a Python environment inside a
    # source tree).  Resolved.
    hidden: tuple[Path, ...]
    # The only folders it may create, change or delete files in.
    writable: tuple[Path, ...]
    modules: tuple[str, ...] = PROTECTED_MODULES

    def hides(self, path: Path) -> bool:
        """Whether ``path`` (resolved) lies in a hidden folder."""
        return any(_under(path, h) for h in self.hidden)

    def guard(self, granted: Iterable[str]) -> dict[str, Any]:
        """The guard's part of the kernel's configuration (``kernel/guard.GuardConfig``), given
        every path Landlock's plan grants for reading: the granted ones beneath a hidden folder are
        the only hidden paths the guard lets the kernel read."""
        beneath = {str(r) for r in (Path(g).resolve() for g in granted) if self.hides(r)}
        return {
            "protected_paths": [str(h) for h in self.hidden],
            "readable_paths": sorted(beneath),
            "protected_modules": list(self.modules),
            "writable_paths": [str(w) for w in self.writable],
        }


def package() -> Path:
    """The grader's own package folder, resolved."""
    return Path(grader.__file__).resolve().parent


def declare(private: Sequence[Path], writable: Sequence[Path]) -> OffLimits:
    """What a kernel may not read or write: ``private`` are the graded course's own folders
    (``locations.private_folders``); ``writable`` its scratch folders and the evidence folder.
    The built-in assignments lie in the package (a wheel) or in its source tree, hidden whole when
    the grader runs from it rather than from an installed environment."""
    own = package()
    hidden = [own, own.parent / "reference", cache_dir(), *private]
    if own.parent not in {Path(p).resolve() for p in site.getsitepackages()}:
        hidden.append(own.parent)
    resolved = (Path(h).resolve() for h in hidden)
    return OffLimits(tuple(dict.fromkeys(resolved)), tuple(Path(w) for w in writable))
