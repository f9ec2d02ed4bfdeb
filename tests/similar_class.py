"""A copy exercise's class, made from week 8's lecture: plain copies, honest variants, and
two students who share a helper (renamed, recommented, moved to another cell) and an odd
setting.  Only notebooks: nothing here is run."""

from __future__ import annotations

from pathlib import Path

import nbformat

from tests.conftest import LECTURE, edited

HELPER_A = """# draw both curves of a history
def show_curves(h, what):
    # training curve first, then validation
    for key in (what, "val_" + what):
        plt.plot(range(len(h.history[key])), h.history[key], marker="x", linestyle="--", label=key)
    plt.title(what.upper() + " per epoch (smoothed?)")
    plt.legend(loc="lower left", fontsize=7)
    plt.show()
"""
HELPER_B = '''def draw(hist, metric):
    """Plot a metric and its validation twin."""
    for name in (metric, "val_" + metric):  # both
        plt.plot(range(len(hist.history[name])), hist.history[name], marker="x", linestyle="--", label=name)
    plt.title(metric.upper() + " per epoch (smoothed?)")
    plt.legend(loc="lower left", fontsize=7)
    plt.show()
'''  # noqa: E501 - a notebook's code, copied as a student copies it
HONEST_1 = """fig, axes = plt.subplots(1, 2, figsize=(10, 4))
for ax, key in zip(axes, ["loss", "accuracy"]):
    ax.plot(history.history[key], label="train")
    ax.plot(history.history["val_" + key], label="test")
    ax.set_title(key)
    ax.legend()
plt.tight_layout()
"""
HONEST_2 = """import numpy as np
predicted = np.argmax(model.predict(x_test), axis=1)
truth = np.argmax(y_test, axis=1)
wrong = np.flatnonzero(predicted != truth)
print(len(wrong), "mistakes")
for i, index in enumerate(wrong[:8]):
    plt.subplot(2, 4, i + 1)
    plt.imshow(x_test[index].reshape(28, 28), cmap="gray")
    plt.title(f"{truth[index]} -> {predicted[index]}")
plt.show()
"""


def _write(
    path: Path, edits: list[tuple[str, str]] = (), extra: list[tuple[int, str]] = ()
) -> Path:
    notebook = edited(LECTURE, edits)
    for position, source in extra:
        notebook.cells.insert(position, nbformat.v4.new_code_cell(source, id=f"c{position}"))
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)
    return path


def copy_class(folder: Path) -> dict[str, Path]:
    """The class: ids to notebooks (Canvas's names, as its download gives them)."""
    odd = [("batch_size = 128", "batch_size = 77  # works better")]
    return {
        "plainone_2001_1_week8": _write(folder / "plainone_2001_1_week8.ipynb"),
        "plaintwo_2002_2_week8": _write(
            folder / "plaintwo_2002_2_week8.ipynb", [("epochs = 20", "epochs = 20  # as told")]
        ),
        "honestone_2003_3_week8": _write(
            folder / "honestone_2003_3_week8.ipynb",
            [("epochs = 20", "epochs = 12")],
            [(12, HONEST_1)],
        ),
        "honesttwo_2004_4_week8": _write(
            folder / "honesttwo_2004_4_week8.ipynb",
            [("batch_size = 128", "batch_size = 256")],
            [(12, HONEST_2)],
        ),
        "copierone_2005_5_week8": _write(
            folder / "copierone_2005_5_week8.ipynb",
            odd,
            [(2, HELPER_A), (12, 'show_curves(history, "loss")\nshow_curves(history, "accuracy")')],
        ),
        "copiertwo_2006_6_week8": _write(
            folder / "copiertwo_2006_6_week8.ipynb",
            odd,
            [(12, HELPER_B + '\ndraw(history, "accuracy")\ndraw(history, "loss")')],
        ),
    }
