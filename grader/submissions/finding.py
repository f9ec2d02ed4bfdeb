"""Which submissions a command names, and the student id of each.

A submission is a file (``alice.ipynb``: id ``alice``) or a student's folder (``alice/hw8.ipynb``,
as LMS exports lay them out: id ``alice``).  A class folder holds either.  Canvas's and Moodle's
download names also give the LMS's user id and late mark (``lms_names.py``), kept beside the id:
the LMS is decided once for the whole command, and every name read with its pattern alone.  A
student's folder must hold exactly one notebook or module; otherwise the student still gets a record
(``invalid_submission``) saying what was found, never a silent gap in the gradebook.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from grader.submissions.lms_names import (
    LmsMark,
    System,
    choose_system,
    lms_mark,
    systems_matching,
)

SUFFIXES = (".ipynb", ".py")
# Folders editors and archivers leave behind; never a student's work.
IGNORED = {".ipynb_checkpoints", "__pycache__", "__MACOSX", ".git"}
UNSAFE = re.compile(r'[\x00-\x1f/\\:*?"<>|]')


@dataclass(frozen=True)
class Job:
    id: str
    path: Path
    # A message key and detail when no single file could be chosen (then ``path`` is the folder).
    problem: tuple[str, str] | None = None
    # What an LMS's download said of it (its user id, late), read from the file or folder name.
    lms: LmsMark | None = None
    # The names an LMS may have given it: the student's folder, then the file (``with_lms``).
    names: tuple[str, ...] = ()


def _visible(path: Path) -> bool:
    return not path.name.startswith(".") and path.name not in IGNORED


def _candidates(folder: Path) -> list[Path]:
    found = []
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder).parts
        if (
            path.is_file()
            and path.suffix.lower() in SUFFIXES
            and all(_visible(folder / p) for p in relative)
        ):
            found.append(path)
    return found


def _student_folder(folder: Path, student: str) -> Job:
    files = _candidates(folder)
    notebooks = [f for f in files if f.suffix.lower() == ".ipynb"]
    chosen = notebooks if notebooks else files
    if len(chosen) == 1:
        return Job(student, chosen[0], names=(folder.name, chosen[0].name))
    if not chosen:
        return Job(student, folder, ("submission.folder_empty", folder.name), names=(folder.name,))
    listed = ", ".join(str(f.relative_to(folder)) for f in chosen[:5])
    return Job(student, folder, ("submission.folder_several", listed), names=(folder.name,))


def safe_id(name: str) -> str:
    """A student id usable as a file name: no separators, control characters or leading dots."""
    cleaned = UNSAFE.sub("_", name).lstrip(".").strip() or "submission"
    return cleaned[:120]


def _expand(argument: Path) -> list[Job]:
    if not argument.is_dir():
        return [one_submission(argument)]
    children = [c for c in sorted(argument.iterdir()) if _visible(c)]
    folders = [c for c in children if c.is_dir()]
    files = [c for c in children if c.is_file() and c.suffix.lower() in SUFFIXES]
    if not folders and len(files) <= 1:
        # One student's folder, named on the command line.
        return [_student_folder(argument, safe_id(argument.name))]
    jobs = [Job(safe_id(f.stem), f, names=(f.name,)) for f in files]
    jobs += [_student_folder(f, safe_id(f.name)) for f in folders]
    return jobs


def with_lms(jobs: list[Job], system: System | None) -> list[Job]:
    """``jobs`` with the mark ``system``'s download put in their names (``None``: the LMS the
    names agree on, if any: ``choose_system``); a name is never read with another LMS's
    pattern."""
    system = system or choose_system(name for job in jobs for name in job.names)
    if system is None:
        return jobs
    return [
        dataclasses.replace(
            job, lms=next(filter(None, (lms_mark(name, system) for name in job.names)), None)
        )
        for job in jobs
    ]


def undecided(jobs: list[Job]) -> bool:
    """Whether names look like an LMS's download, but no LMS was decided for them (both LMSs'
    names, or only names that match both patterns)."""
    return all(job.lms is None for job in jobs) and any(
        systems_matching(name) for job in jobs for name in job.names
    )


def one_submission(argument: Path, lms: System | None = None) -> Job:
    """``argument`` as a single student's submission, whatever the folder holds (Gradescope)."""
    if argument.is_dir():
        job = _student_folder(argument, safe_id(argument.name))
    else:
        job = Job(safe_id(argument.stem), argument, names=(argument.name,))
    return with_lms([job], lms)[0]


def find_submissions(arguments: list[Path], lms: System | None = None) -> list[Job]:
    """Every submission the arguments name, with unique ids, in a stable order; ``lms``: the LMS
    whose download they are (else the one their names agree on)."""
    jobs = with_lms([job for argument in arguments for job in _expand(argument)], lms)
    counts = Counter(job.id for job in jobs)
    unique = []
    for job in jobs:
        if counts[job.id] > 1:
            # Same id twice (alice.ipynb and alice.py): keep both, told apart by a short digest.
            suffix = hashlib.sha256(str(job.path).encode()).hexdigest()[:6]
            job = dataclasses.replace(job, id=f"{job.id}-{suffix}")
        unique.append(job)
    return unique


def fingerprint(path: Path) -> str:
    """sha256 of the submission file (of the folder listing when no file was chosen)."""
    digest = hashlib.sha256()
    if path.is_file():
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(2**20), b""):
                digest.update(block)
    else:
        digest.update("\n".join(sorted(str(p.relative_to(path)) for p in path.rglob("*"))).encode())
    return digest.hexdigest()
