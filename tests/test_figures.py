"""Matching drawn images to the arrays behind them, and finding class names in output."""

from __future__ import annotations

import numpy as np

from grader.checks.predictions import named_in_order
from grader.evidence import Evidence, Figure, read_evidence
from grader.figures import KernelShown, MapsShown, Prediction, count_matches, drawn_images, kernel_candidates, shown
from grader.sandbox.recorder import ARRAYS_DIR
from grader.sandbox.runner import Limits, run_submission
from grader.sandbox.submission import Cell, Submission

RNG = np.random.default_rng(0)
KERNEL = RNG.normal(size=(3, 3, 2, 5))


def test_every_drawn_filter_counts_once_whatever_imshow_scaling() -> None:
    candidates, owner = kernel_candidates(KERNEL)
    drawn = [KERNEL[:, :, 0, f] * 7.5 - 3 for f in range(5)] + [KERNEL[:, :, 1, 2], KERNEL[:, :, :, 4].mean(-1)]
    assert count_matches(drawn, candidates, owner) == 5


def test_images_that_are_not_the_filters_count_for_nothing() -> None:
    candidates, owner = kernel_candidates(KERNEL)
    fresh = RNG.normal(size=(3, 3, 2, 5))
    assert count_matches([fresh[:, :, 0, f] for f in range(5)], candidates, owner) == 0


def test_dead_channels_count_once_per_constant_channel() -> None:
    maps = RNG.random(size=(4, 6, 6))
    maps[1] = 0.0
    maps[3] = 0.0
    drawn = [maps[0], np.zeros((6, 6)), np.zeros((6, 6)), np.zeros((6, 6))]
    assert count_matches(drawn, maps, np.arange(4)) == 3


def test_class_names_must_appear_in_order_as_words() -> None:
    text = "[('cat', 'cat'), ('ship', 'ship'), ('airplane', 'ship')]"
    assert named_in_order(["cat", "ship", "airplane"], text)
    assert not named_in_order(["ship", "cat"], "ship category")
    assert not named_in_order(["cat"], "[3 8 8 0]")


def test_malformed_evidence_gives_empty_facts_not_an_error(tmp_path) -> None:
    (tmp_path / ARRAYS_DIR).mkdir()
    np.save(tmp_path / ARRAYS_DIR / "a0.npy", np.array(["text"]))
    np.save(tmp_path / ARRAYS_DIR / "a1.npy", RNG.random((2, 3)))
    events = (
        {"kind": "fit_end", "model": "m0", "kernels": [{"shape": ["3", 3, 1, 2], "array": "a0.npy"}, {"shape": [3, 3, 1, 2], "array": "a0.npy"}]},
        {"kind": "predict", "model": "m0", "outputs": [{"shape": [5, 10], "array": "a1.npy"}, {"shape": "x"}, "junk"]},
        {"kind": "predict", "model": "m1", "outputs": [{"shape": [1, 2, 2, 3], "array": "a1.npy"}]},
    )
    figure = Figure(None, ({"image_arrays": ["a0.npy", "../x.npy", 7]},))
    result = shown(Evidence(tmp_path, events, (figure,)), "m0")
    assert result.kernels == (KernelShown("?", (3, 3, 1, 2), 0),)
    assert result.predictions == (Prediction(5, 10, ()),)
    assert result.maps == (MapsShown((2, 2, 3), 0),) and result.images == ()


def test_the_kernel_records_saved_files_and_the_arrays_imshow_drew(tmp_path) -> None:
    """Without Keras: matplotlib in a real sandbox kernel, read back as evidence and facts."""
    cells = (
        "import matplotlib.pyplot as plt\nimport numpy as np\nimage = np.arange(9.0).reshape(3, 3)",
        "fig, ax = plt.subplots()\nax.imshow(image)\nfig.savefig('filters.png')\nplt.show()",
        "plt.savefig('after_show.png')",
    )
    artifacts = tmp_path / "artifacts"
    artifacts.mkdir()
    limits = Limits(cell_timeout_s=30, total_timeout_s=60, memory_mb=2000, output_bytes=65536)
    run_submission(Submission(tmp_path / "x.py", tuple(Cell(i + 1, s) for i, s in enumerate(cells))), artifacts, limits,
                   {"fit_samples": 8, "validation_samples": 8, "evaluate_samples": 8, "max_epochs": 1})
    evidence = read_evidence(artifacts)
    saved = [(f.saved["file"], f.saved["format"], bool(f.saved["bytes"]), len(f.axes)) for f in evidence.figures if f.saved]
    assert saved == [("filters.png", "png", True, 1), ("after_show.png", "png", True, 0)]
    drawn = drawn_images(evidence)
    assert len(drawn) == 2 and all(np.array_equal(image, np.arange(9.0).reshape(3, 3)) for image in drawn)
