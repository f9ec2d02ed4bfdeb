"""Every built-in check, by id: importing the check modules registers them.

Each module is named as the area of its checks' ids (``plots.filters`` in ``plots.py``).
"""

from __future__ import annotations

from grader.checks import (  # noqa: F401 - registration
    compile,
    data,
    fit,
    method,
    model,
    plots,
    results,
    run,
    saving,
)
from grader.checks.registry import REGISTRY, Check


def load_all() -> dict[str, Check]:
    return REGISTRY
