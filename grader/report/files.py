"""Transitional: ``measurements.py`` still imports ``write_atomic`` from here.

Its home is ``grader.files`` (a low layer writes files too, and must not reach into
``report/``); this module goes once ``measurements.py`` imports from there.
"""

from __future__ import annotations

from grader.files import write_atomic

__all__ = ["write_atomic"]
