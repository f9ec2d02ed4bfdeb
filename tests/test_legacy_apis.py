"""Old code a student copies from an older tutorial (Keras 1 and 2, old scikit-learn) runs as it
meant to, where that is certain, and is noted to modernise at no cost; where it is not certain, or
the assignment grades with plain Keras 3 (``[compat] legacy_apis = false``), it fails with a hint
that names today's spelling.

One kernel runs every API mapped, one runs them refused: a test per API reads its cell."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.boundary.execution import CellRun, Limits
from grader.boundary.legacy_apis import LEGACY_APIS
from grader.evidence.compat_notes import compat_facts, compat_notes
from grader.evidence.hints import hint_for
from grader.evidence.reading import read_evidence
from grader.messages import text

SETUP = """
import numpy as np
import keras
x = np.random.default_rng(0).random((8, 4)).astype('float32')
y = keras.utils.to_categorical(np.arange(8) % 3, 3)
def small():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation='softmax')])
    model.compile(loss='categorical_crossentropy', optimizer='adam')
    return model
m = small()
"""
# Each API: the cell that uses it, what it prints when mapped, the hint when refused.
CASES: dict[str, tuple[str, str, str]] = {
    "np_utils": (
        "print('np_utils', keras.utils.np_utils.to_categorical([0, 2], 3).tolist())",
        "np_utils [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]",
        "np_utils",
    ),
    "predict_classes": (
        "print('classes', (m.predict_classes(x) == m.predict(x, verbose=0).argmax(-1)).all())",
        "classes True",
        "predict_classes",
    ),
    "predict_proba": (
        "print('proba', np.allclose(m.predict_proba(x), m.predict(x, verbose=0)))",
        "proba True",
        "predict_proba",
    ),
    "lr": (
        "print('lr', round(keras.optimizers.SGD(lr=0.05).get_config()['learning_rate'], 6))",
        "lr 0.05",
        "lr",
    ),
    "set_image_dim_ordering": (
        "from tensorflow.keras import backend as K\nK.set_image_dim_ordering('tf')\n"
        "print('ordering', K.image_data_format())",
        "ordering channels_last",
        "dim_ordering",
    ),
    "image_dim_ordering": (
        "from keras import backend as K\nprint('dim', K.image_dim_ordering())",
        "dim tf",
        "dim_ordering",
    ),
    "nb_classes": (
        "from tensorflow.keras.utils import to_categorical\n"
        "print('nb_classes', to_categorical([1], nb_classes=3).tolist())",
        "nb_classes [[0.0, 1.0, 0.0]]",
        "nb_classes",
    ),
    "nb_epoch": (
        "print('epochs', len(m.fit(x, y, nb_epoch=2, verbose=0).history['loss']))",
        "epochs 2",
        "nb_epoch",
    ),
    "border_mode": (
        "from keras.layers import MaxPooling2D\n"
        "print('border_mode', MaxPooling2D((2, 2), border_mode='same').padding)",
        "border_mode same",
        "keras1_argument",
    ),
    "output_dim": (
        "from keras.layers import Dense\nprint('output_dim', Dense(output_dim=5).units)",
        "output_dim 5",
        "keras1_size",
    ),
    "init": (
        "d = keras.layers.Dense(5, init='he_normal')\n"
        "print('init', d.get_config()['kernel_initializer']['class_name'])",
        "init HeNormal",
        "keras1_argument",
    ),
    "subsample": (
        "print('subsample', keras.layers.Conv2D(4, 3, subsample=(2, 2)).strides)",
        "subsample (2, 2)",
        "keras1_argument",
    ),
    "nb_filter": (
        "print('nb_filter', keras.layers.Conv2D(nb_filter=4, kernel_size=3).filters)",
        "nb_filter 4",
        "keras1_size",
    ),
    "convolution2d_rows_cols": (
        "from tensorflow.keras.layers import Convolution2D\n"
        "c = Convolution2D(32, 3, 3, padding='same')\n"
        "print('conv', c.kernel_size, c.strides, c.padding)\n"
        "assert c.strides == (1, 1)",
        "conv (3, 3) (1, 1) same",
        "",
    ),
    "hdf5_weights": (
        "m.save_weights('w.h5')\nm2 = small()\nm2.load_weights('w.h5')\n"
        "print('weights', all(np.array_equal(a, b) for a, b in zip(m.get_weights(), "
        "m2.get_weights())))",
        "weights True",
        "hdf5",
    ),
    "hdf5_checkpoint": (
        "import os\ncheckpoint = keras.callbacks.ModelCheckpoint('best.hdf5')\n"
        "m.fit(x, y, epochs=1, verbose=0, callbacks=[checkpoint])\n"
        "print('checkpoint', keras.models.load_model('best.hdf5').count_params())",
        "checkpoint 15",
        "hdf5",
    ),
    "sklearn_joblib": (
        "from sklearn.externals import joblib\njoblib.dump([1, 2], 'a.pkl')\n"
        "print('joblib', joblib.load('a.pkl'))",
        "joblib [1, 2]",
        "joblib",
    ),
}
# Where which one was meant is not certain: refused, each with its hint.
UNCERTAIN = {
    "lr twice": ("keras.optimizers.Adam(0.01, lr=0.02)", "legacy_twice"),
    "output_dim twice": ("keras.layers.Dense(10, output_dim=5)", "legacy_twice"),
    "nb_epoch twice": ("m.fit(x, y, 32, 1, nb_epoch=2, verbose=0)", "legacy_twice"),
    "dim ordering": ("keras.backend.set_image_dim_ordering('channels_last')", "dim_ordering"),
    "predict_classes of a functional model": (
        "inputs = keras.Input((4,))\n"
        "keras.Model(inputs, keras.layers.Dense(3)(inputs)).predict_classes(x)",
        "predict_classes",
    ),
}
BUDGET = {"fit_samples": 8, "validation_samples": 8, "evaluate_samples": 8, "max_epochs": 3}


def _run(folder: Path, mapped: bool) -> tuple[dict[str, CellRun], list[str]]:
    """One kernel, every case a cell of its own (after the set-up cell); the cells by case, and
    the notes the grader writes from its evidence."""
    from grader.sandbox.runner import run_submission
    from grader.submissions.cells import Cell, Submission

    names = list(CASES) + (list(UNCERTAIN) if mapped else [])
    sources = [CASES[n][0] if n in CASES else UNCERTAIN[n][0] for n in names]
    cells = tuple(Cell(i + 1, source) for i, source in enumerate([SETUP, *sources]))
    folder.mkdir()
    execution = run_submission(
        Submission(folder / "old.py", cells),
        folder,
        Limits(120, 300, 4000, 65536),
        BUDGET,
        compat={"legacy_apis": mapped},
    )
    assert execution.cells[0].outcome == "ok", execution.cells[0].error
    notes = compat_notes(compat_facts(read_evidence(folder)))
    rendered = [text("en", "note", note.key.split(".")[1], **note.params) for note in notes]
    return dict(zip(names, execution.cells[1:])), rendered


@pytest.fixture(scope="module")
def mapped(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, CellRun], list[str]]:
    return _run(tmp_path_factory.mktemp("legacy") / "mapped", True)


@pytest.fixture(scope="module")
def refused(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, CellRun], list[str]]:
    return _run(tmp_path_factory.mktemp("legacy") / "refused", False)


def test_every_legacy_api_has_a_case() -> None:
    named = set(CASES) | {"set_image_dim_ordering_th"}
    assert named == set(LEGACY_APIS)


@pytest.mark.slow
@pytest.mark.parametrize("api", list(CASES))
def test_a_legacy_api_runs_as_it_meant_and_is_noted(
    api: str, mapped: tuple[dict[str, CellRun], list[str]]
) -> None:
    cells, notes = mapped
    cell = cells[api]
    assert cell.outcome == "ok", cell.error
    assert CASES[api][1] in cell.output
    old, new = LEGACY_APIS[api]
    assert (
        f"Your notebook uses `{old}`, from an older Keras or scikit-learn that no longer has it; "
        f"the grader read it as `{new}`"
        in notes
        or any(f"uses `{old}`" in note and f"as `{new}`" in note for note in notes)
    ), notes


@pytest.mark.slow
@pytest.mark.parametrize("case", list(UNCERTAIN))
def test_where_the_meaning_is_not_certain_the_call_is_refused_with_its_hint(
    case: str, mapped: tuple[dict[str, CellRun], list[str]]
) -> None:
    cell = mapped[0][case]
    assert cell.outcome == "error"
    assert hint_for(cell) == UNCERTAIN[case][1], cell.error


@pytest.mark.slow
@pytest.mark.parametrize("api", [api for api in CASES if CASES[api][2]])
def test_plain_keras3_refuses_a_legacy_api_with_a_hint_naming_todays_spelling(
    api: str, refused: tuple[dict[str, CellRun], list[str]]
) -> None:
    cells, notes = refused
    cell = cells[api]
    assert cell.outcome == "error", cell.output
    assert hint_for(cell) == CASES[api][2], cell.error
    assert not notes


@pytest.mark.slow
def test_plain_keras3_reads_keras1_convolution_as_strides(
    refused: tuple[dict[str, CellRun], list[str]],
) -> None:
    """``Convolution2D(32, 3, 3)`` is Keras 3's ``Conv2D(32, 3, strides=3)``: no error to hint
    at; the layer check names it (``model.keras1_conv``)."""
    cell = refused[0]["convolution2d_rows_cols"]
    assert cell.error is not None and cell.error.name == "AssertionError"
    assert "conv (3, 3) (3, 3) same" in cell.output
