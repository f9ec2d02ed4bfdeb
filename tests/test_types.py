"""The type checker passes on grader/ (configured in pyproject.toml), so CI runs it with the
suite.

mypy comes with the test extras (``pip install -e '.[test]'``); where it is missing, this test
fails rather than skips, so a suite run without it cannot pass for a typed one.
"""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def test_mypy_passes_on_the_grader() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
