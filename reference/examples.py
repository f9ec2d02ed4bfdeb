"""Example submissions with planted mistakes, generated from the solution notebooks.

Each example is the solution with a few independent everyday mistakes (text replaced), so
an example never drifts from the solution it comes from.  The tests grade them and check
that each mistake fails the check that names it (one notebook per assignment keeps the
suite fast: a graded notebook costs a kernel and a Keras import).  ``python -m reference.examples``
writes ``assignments/<name>/examples/<mistake>.ipynb``; a test checks those files are current.
"""

from dataclasses import dataclass
from pathlib import Path

import nbformat

from reference.notebooks import ASSIGNMENTS, build_notebook, show, write


@dataclass(frozen=True)
class Mistake:
    name: str
    # What the mistake is, for instructors reading the folder.
    description: str
    # (old, new) replacements in the solution's code; each ``old`` must occur.
    edits: tuple[tuple[str, str], ...]


MISTAKES: dict[str, tuple[Mistake, ...]] = {
    "mlp": (
        Mistake("raw_pixels_wrong_layers", "the pixels are not divided by 255, and the hidden layers have 512, 256 "
                "and 128 units instead of 500, 250 and 100",
                (('.astype("float32") / 255', '.astype("float32")'),
                 ("HIDDEN_UNITS = (500, 250, 100)", "HIDDEN_UNITS = (512, 256, 128)"))),
    ),
    "mnist-cnn": (
        Mistake("default_adadelta_no_filter_plot", "Adadelta at today's default learning rate (0.001) instead of 1.0; "
                "the filters are printed but never drawn; the learning curve is saved with plt.savefig after "
                "plt.show() (an empty figure)",
                (("keras.optimizers.Adadelta(learning_rate=LEARNING_RATE)", '"adadelta"'),
                 ("filter_figures = plot_kernels(kernels)\n", ""),
                 ("loss_figure.savefig(LEARNING_CURVE_FILE)", "plt.savefig(LEARNING_CURVE_FILE)"))),
    ),
    "cifar10": (
        Mistake("no_split_class_indices", "no validation_split in fit, and the predicted class indices are "
                "printed instead of their names",
                (("        validation_split=VALIDATION_SPLIT,\n", ""),
                 ("print(list(zip(predicted, actual)))", "print(model.predict(x_test[:10], verbose=0).argmax(axis=1))"))),
    ),
}


def build_example(name: str, mistake: Mistake) -> nbformat.NotebookNode:
    notebook = build_notebook(name)
    for old, new in mistake.edits:
        cells = [cell for cell in notebook.cells if cell.cell_type == "code" and old in cell.source]
        if not cells:
            raise ValueError(f"{name}/{mistake.name}: {old!r} is not in the solution")
        for cell in cells:
            cell.source = cell.source.replace(old, new)
    title = notebook.cells[0]
    title.source = f"# Example with a planted mistake: {name} / {mistake.name}\n\n{mistake.description.capitalize()}."
    nbformat.validate(notebook)
    return notebook


def example_path(name: str, mistake: Mistake) -> Path:
    return ASSIGNMENTS / name / "examples" / f"{mistake.name}.ipynb"


def write_all() -> list[Path]:
    return write((example_path(name, mistake), build_example(name, mistake))
                 for name, mistakes in MISTAKES.items() for mistake in mistakes)


if __name__ == "__main__":
    show(write_all())
