"""The grader imports Keras while the student's cells run only for an architecture whose rebuilt
layers it does not remember; for a remembered one it never imports it."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from grader.datasets.cache import CACHE_ENV
from tests.conftest import ROOT

CONFIG = json.dumps({"class_name": "Sequential", "config": {"name": "s", "layers": [
    {"module": "keras.layers", "class_name": "InputLayer", "config": {"name": "in", "batch_shape": [None, 8]}},
    {"module": "keras.layers", "class_name": "Dense", "config": {"name": "d", "units": 3, "activation": "softmax"}}]}})
WATCH = textwrap.dedent("""
    import json, sys, time
    from pathlib import Path
    from grader import measurements
    from grader.architecture import parse_architecture
    from grader.keras_prefetch import KerasPrefetch
    from grader.training import Built, LayerMeasure
    artifacts, remembered, config = Path(sys.argv[1]), sys.argv[2] == "remembered", sys.argv[3]
    if remembered:
        built = Built((LayerMeasure("Dense", (3,), 27),), 27)
        measurements.remembered_built(measurements.built_key(parse_architecture(config), 0), lambda: built)
    watcher = KerasPrefetch(artifacts, 0)
    watcher.start()
    with open(artifacts / "events.jsonl", "a") as events:
        events.write(json.dumps({"kind": "fit_start", "model": "m0"}) + "\\n")
        events.flush()
        time.sleep(0.6)
        events.write(json.dumps({"kind": "fit_end", "model": "m0", "config": config}) + "\\n")
    watcher.join(120)
    print(json.dumps({"done": not watcher.is_alive(), "keras": "keras" in sys.modules}))
""")


@pytest.mark.slow
@pytest.mark.parametrize("cache_state, imports", [("new", True), ("remembered", False)])
def test_keras_is_imported_during_the_cells_only_for_an_architecture_not_remembered(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cache_state: str, imports: bool) -> None:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    artifacts = tmp_path / "artifacts"
    artifacts.mkdir()
    done = subprocess.run([sys.executable, "-c", WATCH, str(artifacts), cache_state, CONFIG], capture_output=True, text=True,
                          cwd=ROOT, timeout=300, check=True)
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {"done": True, "keras": imports}
