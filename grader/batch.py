"""Grading many submissions: parallel workers, atomic records, resumable runs.

Workers (local processes, or Dask workers on a cluster) grade one submission each with
the same engine as a single run and send back plain data: the JSON record and the
feedback page.  Only this process writes files, each atomically and the record last, so
a record on disk means the submission is done.  Killing the batch loses at most the
submissions in flight; running the same command again skips what is done (same
assignment, same file, same grader version) and redoes grader errors.  A worker that
dies is replaced; a submission that kills its worker even when graded alone gets a
``grader_error`` record, never a silent gap.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
import traceback
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

import grader
from grader.boundary.execution import Progress
from grader.course.assignment import Assignment, load_assignment, self_check, with_limits
from grader.engine import grade_within, grader_failure, prepare_kernel, refused
from grader.record import GRADER_FAULTS, Record
from grader.record_data import RecordData
from grader.report.graded import Graded, failure_document, package, view_of
from grader.report.view import View
from grader.sandbox import kernels
from grader.submissions.cells import InvalidSubmission
from grader.submissions.finding import Job, fingerprint

WORKER_ATTEMPTS = 2
# TensorFlow's own thread pool, read when TensorFlow starts (in the worker and in each kernel).
THREADS_VARIABLE = "TF_NUM_INTRAOP_THREADS"


@dataclass(frozen=True)
class Settings:
    """What a worker needs to grade a job: plain, picklable values only."""

    assignment: str
    assignments_root: str
    lang: str
    max_score: float
    cell_timeout_s: float | None = None
    total_timeout_s: float | None = None
    # sha256 of the assignment's description and custom tests: a record made under another is
    # redone.
    assignment_digest: str = ""
    # An instructor's grading runs every check (else only the visible ones: a self-check);
    # ``released``: the feedback pages show after-due-date results.
    instructor: bool = False
    released: bool = False


def share_cores(workers: int) -> None:
    """Run first in each local worker: TensorFlow's threads sized to the worker's share of the
    cores.

    Without it every worker (and every kernel it starts) sizes its pool to all the cores, and
    ``workers`` pools on the same cores slow each other down.  A value the user set stays.
    """
    os.environ.setdefault(THREADS_VARIABLE, str(max(1, (os.cpu_count() or 1) // workers)))


def start_kernel_for(job: Job, assignment: Assignment) -> None:
    """A front end about to grade ``job`` in its own process: start its kernel now, so that the
    kernel
    imports TensorFlow while this process reads the notebook and the dataset."""
    if job.problem is None:
        prepare_kernel(assignment, only=True)


# Whether this process is a local batch worker (``start_worker`` ran): it keeps a kernel ahead.
_local_worker = False


def start_worker(workers: int, settings: Settings | None = None) -> None:
    """Run first in each local worker: share the cores, then start the kernel of its first
    submission at once and, from then on, keep one kernel waiting for the next while it grades."""
    global _local_worker
    _local_worker = True
    share_cores(workers)
    if settings is not None:
        try:
            prepare_kernel(_assignment(settings))
        except Exception:
            # The first grading starts its own kernel, and says what failed.
            pass


def local_pool(workers: int, settings: Settings) -> ProcessPoolExecutor:
    """The local workers of a batch.  Before they exist, this process shares the cores among them
    (they inherit it) and starts the resident fork server of their kind, so that its TensorFlow
    import overlaps their start-up rather than following it."""
    share_cores(workers)
    try:
        kernels.warm(_assignment(settings).preload)
    except Exception:  # noqa: BLE001 - the workers start their own, and say what failed
        pass
    # Fresh interpreters, spawned: nothing of this process's threads or sockets survives a fork.
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=start_worker,
        initargs=(workers, settings),
    )


@functools.lru_cache(maxsize=2)
def _assignment(settings: Settings) -> Assignment:
    return for_audience(
        with_limits(
            load_assignment(settings.assignment, Path(settings.assignments_root)),
            settings.cell_timeout_s,
            settings.total_timeout_s,
        ),
        settings.instructor,
    )


def for_audience(assignment: Assignment, instructor: bool) -> Assignment:
    """Every check for an instructor's grading; only the visible ones for a student's self-check."""
    return assignment if instructor else self_check(assignment)


def grade_one(
    job: Job, assignment: Assignment, settings: Settings, progress: Progress | None = None
) -> View:
    """Grade one job (or refuse it when no single file was chosen) into its view."""
    if job.problem is not None:
        record: Record = refused(job.path, assignment, InvalidSubmission(*job.problem))
    else:
        record = grade_within(job.path, assignment, progress)
    return view_of(
        job,
        record,
        assignment,
        settings.lang,
        settings.assignment_digest,
        instructor=settings.instructor,
        released=settings.released,
    )


def grade_job(job: Job, settings: Settings, more_follow: bool = True) -> Graded:
    """Worker side: grade one job into its record and feedback page; never raises.
    ``more_follow``: a local worker starts the next kernel ahead only when another job will come."""
    if _local_worker:
        kernels.keep_one_ahead(more_follow)
    try:
        return package(grade_one(job, _assignment(settings), settings), job)
    except Exception as exc:  # noqa: BLE001 - the grader's own fault, reported as a record
        return Graded(
            job,
            grader_error(job, settings, f"{type(exc).__name__}: {exc}", traceback.format_exc()),
            None,
        )


def grader_error(job: Job, settings: Settings, detail: str, trace: str | None = None) -> RecordData:
    """The record of a job the grader failed on, in the same JSON shape as every record."""
    record = grader_failure(settings.assignment, job.path, settings.max_score, detail, trace)
    return failure_document(job, record, settings.lang, settings.assignment_digest)


def is_done(record: RecordData | None, job: Job, settings: Settings) -> bool:
    """Whether a record on disk still stands for ``job`` (else the job is graded again)."""
    return (
        record is not None
        and record.get("status") not in GRADER_FAULTS
        and record.get("assignment") == settings.assignment
        and record.get("assignment_sha256") == settings.assignment_digest
        and record.get("instructor") == settings.instructor
        and record.get("released") == settings.released
        and record.get("grader_version") == grader.__version__
        and record.get("submission_sha256") == fingerprint(job.path)
    )


# A job, the batch's settings, and whether more jobs follow for every worker (``grade_job``).
Work = Callable[[Job, Settings, bool], Graded]


def run_batch(
    jobs: Iterable[Job],
    settings: Settings,
    executor: Callable[[int], Executor],
    on_result: Callable[[Graded], None],
    workers: int,
    work: Work = grade_job,
) -> None:
    """Grade ``jobs`` with ``work`` on executors made by ``executor(workers)``, calling
    ``on_result`` as each ends.

    At most ``workers`` jobs are in flight.  When a worker dies, the pool cannot say whose
    job killed it, so the jobs in flight are graded again one at a time, each in a pool of
    its own: an innocent job then succeeds, and a job that kills its own worker is known.
    """
    suspects = _run_pool(list(jobs), settings, executor, on_result, workers, work)
    for job in suspects:
        for attempt in range(1, WORKER_ATTEMPTS + 1):
            if not _run_pool([job], settings, executor, on_result, 1, work):
                break
            if attempt == WORKER_ATTEMPTS:
                detail = (
                    f"the grading process died {attempt} times while grading this submission alone"
                )
                on_result(Graded(job, grader_error(job, settings, detail), None))


def _run_pool(
    jobs: list[Job],
    settings: Settings,
    executor: Callable[[int], Executor],
    on_result: Callable[[Graded], None],
    workers: int,
    work: Work,
) -> list[Job]:
    """Grade ``jobs`` until done or the pool breaks; returns the jobs a broken pool lost."""
    pending = list(reversed(jobs))
    lost: list[Job] = []
    while pending:
        pool = executor(workers)
        running: dict[Future[Graded], Job] = {}
        broken = False
        try:
            while (pending or running) and not broken:
                while pending and len(running) < workers:
                    job = pending.pop()
                    # Every worker gets another job after this one only while as many wait: then
                    # this job's worker starts the next kernel ahead, else it would boot one for
                    # nothing.
                    running[pool.submit(work, job, settings, len(pending) >= workers)] = job
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    job = running.pop(future)
                    try:
                        on_result(future.result())
                    except BrokenProcessPool:
                        broken = True
                        lost.append(job)
                    except Exception as exc:  # noqa: BLE001 - e.g. a Dask worker lost too often
                        on_result(
                            Graded(
                                job,
                                grader_error(job, settings, f"{type(exc).__name__}: {exc}"),
                                None,
                            )
                        )
        finally:
            for future in running:
                future.cancel()
            pool.shutdown(wait=not broken)
        lost.extend(running.values())
    return lost
