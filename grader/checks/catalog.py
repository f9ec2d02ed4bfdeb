"""Every built-in check, by id: importing the check modules registers them."""

from __future__ import annotations

from grader.checks import data, model, plots, predictions, results, run, saving, settings, visuals  # noqa: F401 - registration
from grader.checks.registry import REGISTRY, Check


def load_all() -> dict[str, Check]:
    return REGISTRY
