"""Keras 1/2 idioms that break in Keras 3: which modern spelling a failing cell needs;
and what the grader's own refusals (network, files, processes, memory) mean.

Real course notebooks predate Keras 3.  When a cell raises, its error and its source
(normalised as Python reads it, so ``model.ﬁt`` is ``model.fit``) are matched against the
known idioms, and the report names the modern spelling.
"""

from __future__ import annotations

import re

from grader.boundary.execution import CellRun
from grader.boundary.legacy_apis import LAYER_ARGUMENTS, TWICE_MESSAGE
from grader.boundary.legacy_paths import LEGACY
from grader.boundary.refusals import (
    NETWORK_MESSAGE,
    PROCESS_MESSAGE,
    PROTECTED_MESSAGE,
    SIGNAL_MESSAGE,
    WRITE_MESSAGE,
)
from grader.submissions.cells import normalised


def _refusal(message: str) -> str:
    """A pattern for one of the kernel's refusals, whatever number it was formatted with."""
    return re.escape(message).replace(re.escape("{n}"), r"\d+")


def _twice() -> str:
    """The kernel's refusal of an old argument name given with its new one."""
    pattern = re.escape(TWICE_MESSAGE)
    for field in ("call", "old", "new"):
        pattern = pattern.replace(re.escape("{" + field + "}"), r"\w+")
    return pattern


# (hint key, pattern in the error text, pattern in the source); either may match.
IDIOMS: tuple[tuple[str, str | None, str | None], ...] = (
    # Older APIs (``boundary.legacy_apis``): refused where the meaning is not certain, or where
    # the assignment grades with plain Keras 3 ([compat] legacy_apis = false).
    ("legacy_twice", _twice(), None),
    ("np_utils", r"np_utils", r"np_utils"),
    ("lr", r"[Aa]rgument\(s\) not recognized.*'lr'|unexpected keyword argument 'lr'", None),
    ("acc_key", r"^'(val_)?acc'$", None),
    ("predict_classes", r"predict_classes", None),
    ("predict_proba", r"predict_proba", None),
    ("dim_ordering", r"set_image_dim_ordering|image_dim_ordering|Unknown dim_ordering", None),
    (
        "keras1_argument",
        r"Unrecognized keyword arguments passed to \w+: \{'(" + "|".join(LAYER_ARGUMENTS) + ")'",
        None,
    ),
    ("keras1_size", r"missing 1 required positional argument: '(units|filters)'", None),
    ("nb_epoch", r"unexpected keyword argument 'nb_epoch'", None),
    ("nb_classes", r"unexpected keyword argument 'nb_classes'", None),
    ("hdf5", r"must end in `\.weights\.h5`|must end in `\.keras`", None),
    (
        "joblib",
        r"No module named 'sklearn\.externals\.joblib'|cannot import name 'joblib' from "
        r"'sklearn\.externals'",
        None,
    ),
    ("network", _refusal(NETWORK_MESSAGE), None),
    # The grader's own refusals (grader/sandbox/kernel/guard.py) and limits (rlimits).
    ("sandbox_write", _refusal(WRITE_MESSAGE), None),
    ("sandbox_processes", _refusal(PROCESS_MESSAGE), None),
    ("sandbox_reference", _refusal(PROTECTED_MESSAGE), None),
    ("sandbox_signal", _refusal(SIGNAL_MESSAGE), None),
    ("file_too_large", r"File too large", None),
    # Landlock's refusal of a file outside what the kernel may use (a shell's too).
    ("sandbox_denied", r"\[Errno 13\] Permission denied", None),
    # A Keras 2 path the assignment does not serve ([compat] keras2_paths = false).
    (
        "keras2_path",
        "^No module named '(" + "|".join(re.escape(name) for name in LEGACY) + ")'",
        None,
    ),
    ("missing_module", r"^No module named ", None),
)
# Exceptions whose name says it all.
BY_NAME = {"MemoryError": "memory", "SystemExit": "system_exit"}


def hint_for(cell: CellRun) -> str | None:
    """The hint key for a failed cell, or ``None``."""
    if cell.outcome == "timeout":
        return "timeout"
    if cell.error is None:
        return None
    if cell.error.name == "DeadKernel":
        return "deadkernel"
    if cell.error.name in BY_NAME:
        return BY_NAME[cell.error.name]
    message = f"{cell.error.value}"
    # The error actually raised decides first; the source only when the error says nothing known.
    for key, in_error, _ in IDIOMS:
        if in_error and re.search(in_error, message):
            return key
    source = normalised(cell.source)
    if cell.error.name in ("ImportError", "ModuleNotFoundError", "AttributeError"):
        for key, _, in_source in IDIOMS:
            if in_source and re.search(in_source, source):
                return key
    return None
