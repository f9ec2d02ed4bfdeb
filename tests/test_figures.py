"""Matching drawn images to the arrays behind them, and finding class names in output."""

from __future__ import annotations

import numpy as np

from grader.checks.predictions import named_in_order
from grader.evidence import Evidence, Figure
from grader.figures import KernelShown, MapsShown, Prediction, count_matches, kernel_candidates, shown
from grader.sandbox.recorder import ARRAYS_DIR

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
