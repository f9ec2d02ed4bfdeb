"""Matching drawn images to the arrays behind them, and finding class names in output."""

from __future__ import annotations

import numpy as np
import pytest

from grader.checks.results import named_in_order
from grader.evidence.figures import (
    KernelShown,
    MapsShown,
    Prediction,
    count_matches,
    drawn_images,
    kernel_candidates,
    kernel_units,
    map_units,
    shown,
)
from grader.evidence.reading import Evidence, Figure, read_evidence
from grader.sandbox.kernel.recorder import ARRAYS_DIR
from grader.sandbox.runner import Limits, run_submission
from grader.submissions.cells import Cell, Submission

RNG = np.random.default_rng(0)
KERNEL = RNG.normal(size=(3, 3, 2, 5))


def test_every_drawn_filter_counts_once_whatever_imshow_scaling() -> None:
    candidates, owner = kernel_candidates(KERNEL)
    drawn = [KERNEL[:, :, 0, f] * 7.5 - 3 for f in range(5)] + [
        KERNEL[:, :, 1, 2],
        KERNEL[:, :, :, 4].mean(-1),
    ]
    assert count_matches(drawn, candidates, owner) == 5


def test_images_that_are_not_the_filters_count_for_nothing() -> None:
    candidates, owner = kernel_candidates(KERNEL)
    fresh = RNG.normal(size=(3, 3, 2, 5))
    assert count_matches([fresh[:, :, 0, f] for f in range(5)], candidates, owner) == 0


def test_a_filter_plot_counts_in_the_unit_it_uses() -> None:
    """Per filter (``w[:, :, 0, k]``), or per input channel of one filter (``w[:, :, i, 0]``, as
    Keras's mnist_cnn article draws its second layer); random squares count in neither."""
    kernel = RNG.normal(size=(3, 3, 6, 4))
    assert kernel_units(kernel, [kernel[:, :, 0, k] for k in range(4)]) == (4, 1, 0)
    assert kernel_units(kernel, [kernel[:, :, i, 2] for i in range(6)]) == (1, 6, 2)
    assert kernel_units(kernel, [kernel[:, :, i, 1] for i in range(3)] + [kernel[:, :, 0, 3]]) == (
        2,
        3,
        1,
    )
    assert kernel_units(kernel, [RNG.normal(size=(3, 3)) for _ in range(24)]) == (0, 0, 0)


def test_a_feature_map_plot_counts_in_the_unit_it_uses() -> None:
    """Every channel of one image, one channel of every image, or a grid of images by channels."""
    maps = RNG.random(size=(5, 6, 6, 4))
    assert map_units(maps, [maps[2, :, :, c] for c in range(4)]) == (4, 1)
    assert map_units(maps, [maps[i, :, :, 0] for i in range(5)]) == (1, 5)
    assert map_units(maps, [maps[i, :, :, c] * 3 + 1 for i in (0, 3) for c in range(3)]) == (3, 2)
    assert map_units(maps, [RNG.random(size=(6, 6)) for _ in range(20)]) == (0, 0)


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
        {
            "kind": "fit_end",
            "model": "m0",
            "kernels": [
                {"shape": ["3", 3, 1, 2], "array": "a0.npy"},
                {"shape": [3, 3, 1, 2], "array": "a0.npy"},
            ],
        },
        {
            "kind": "predict",
            "model": "m0",
            "outputs": [{"shape": [5, 10], "array": "a1.npy"}, {"shape": "x"}, "junk"],
        },
        {"kind": "predict", "model": "m1", "outputs": [{"shape": [1, 2, 2, 3], "array": "a1.npy"}]},
    )
    figure = Figure(None, ({"image_arrays": ["a0.npy", "../x.npy", 7]},))
    result = shown(Evidence(tmp_path, events, (figure,)), "m0")
    assert result.kernels == (KernelShown("?", (3, 3, 1, 2), 0),)
    assert result.predictions == (Prediction(5, 10, ()),)
    assert result.maps == (MapsShown((2, 2, 3), 0),) and result.images == ()


@pytest.mark.slow
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
    run_submission(
        Submission(tmp_path / "x.py", tuple(Cell(i + 1, s) for i, s in enumerate(cells))),
        artifacts,
        limits,
        {"fit_samples": 8, "validation_samples": 8, "evaluate_samples": 8, "max_epochs": 1},
    )
    evidence = read_evidence(artifacts)
    saved = [
        (f.saved["file"], f.saved["format"], bool(f.saved["bytes"]), len(f.axes))
        for f in evidence.figures
        if f.saved
    ]
    assert saved == [("filters.png", "png", True, 1), ("after_show.png", "png", True, 0)]
    drawn = drawn_images(evidence)
    assert len(drawn) == 2 and all(
        np.array_equal(image, np.arange(9.0).reshape(3, 3)) for image in drawn
    )


def _visual_facts(
    kernels: tuple[KernelShown, ...] = (), maps: tuple[MapsShown, ...] = (), images: int = 0
) -> object:
    from grader.boundary.execution import Execution
    from grader.evidence.facts import Facts, FitFacts
    from grader.evidence.figures import Shown

    return Facts(
        execution=Execution("completed", (), 1.0, False),
        dataset="mnist",
        synthetic_data=False,
        fit=FitFacts(128, 2, "split", 0.1, ("loss",), {"loss": [1.0, 0.5]}),
        shown=Shown(kernels=kernels, maps=maps, images=((3, 3),) * images),
    )


def test_the_visual_checks_pass_a_whole_drawing_in_either_unit_and_name_the_unit_of_a_partial_one(
) -> None:  # fmt: skip
    from grader.checks.plots import feature_maps, feature_maps_layers, filters
    from grader.course.assignment import load_assignment

    expected = load_assignment("mnist-cnn").expected
    first, second = expected.kernel_shapes
    whole = KernelShown("conv2d", first, 32)
    # The article: the first layer per filter, the second as the 32 input channels of filter 0.
    assert filters(
        _visual_facts((whole, KernelShown("conv2d_1", second, 1, 32, 0))), expected
    ).passed
    partial = filters(_visual_facts((whole, KernelShown("conv2d_1", second, 1, 20, 5))), expected)
    assert partial.message is not None and partial.message.key == "plots.filters_partial_channels"
    assert (
        partial.message.params["shown"],
        partial.message.params["inputs"],
        partial.message.params["filter"],
    ) == (20, 32, 5)
    # Untrained or random squares still fail with their own message.
    untrained = filters(
        _visual_facts((whole, KernelShown("conv2d_1", second, 0)), images=64), expected
    )
    assert untrained.message is not None and untrained.message.key == "plots.filters_untrained"
    # One input channel (the first layer): one slice is one filter, not a whole drawing.
    assert (
        filters(_visual_facts((KernelShown("conv2d", first, 1, 1, 0),)), expected).message.key
        == "plots.filters_partial"
    )
    conv1 = expected.feature_map_shapes[0]
    article = (MapsShown(conv1, 1, 16, 16), MapsShown(conv1, 16, 16, 3))
    assert feature_maps(_visual_facts(maps=article), expected).passed
    layers = feature_maps_layers(_visual_facts(maps=article), expected)
    assert layers.message is not None and layers.message.key == "plots.maps_not_predicted"
    grid = feature_maps(_visual_facts(maps=(MapsShown(conv1, 16, 16, 3),)), expected)
    assert grid.message is not None and grid.message.key == "plots.maps_partial"
    assert (
        grid.message.params["shown"],
        grid.message.params["images_shown"],
        grid.message.params["images"],
    ) == (16, 3, 16)
    # One channel of a single predicted image is not a whole drawing.
    assert not feature_maps(_visual_facts(maps=(MapsShown(conv1, 1, 1, 1),)), expected).passed
