"""Checks of the save-load assignment that assignment.toml cannot express.

Each test is an ordinary pytest test run by the grader on the student's results, as data:
the fixtures (``x_test``, ``model``, ``saved_models``, ...) come from ``grader.fixtures``,
the helpers raise failures with expected / found / how to fix, in Japanese and English.
"""

import pytest

from grader.assertions import assert_layers, assert_one_hot, assert_shape, fail

FILE_NAMES = {"keras": "model.keras", "h5": "model.h5", "json_weights": "model.weights.h5"}


@pytest.mark.points(1)
@pytest.mark.title(en="test images flattened to (N, 784), labels one-hot",
                   ja="テスト画像は (N, 784) に平坦化、ラベルは one-hot")
def test_prepared_test_set(x_test, y_test):
    assert_shape(x_test, (None, 784), "x_test")
    assert_one_hot(y_test, 10, "y_test")


@pytest.mark.points(1)
@pytest.mark.title(en="a dense network: Dense(512) then Dense(10)", ja="全結合ネットワーク: Dense(512) のあと Dense(10)")
def test_dense_network(model):
    assert_layers(model, ["Dense", "Dense"])
    assert model.layers[0].config["units"] == 512


@pytest.mark.points(2)
@pytest.mark.title(en="files named as the task asks", ja="ファイル名が課題の指示どおり")
def test_file_names(saved_models):
    found = {fmt: trip.saved for fmt, trip in saved_models.round_trips.items()}
    wrong = {fmt: name for fmt, name in found.items() if name != FILE_NAMES[fmt]}
    if wrong:
        saved = ", ".join(name or "-" for name in found.values())
        fail(expected=", ".join(FILE_NAMES.values()),
             found={"en": f"saved as {saved}", "ja": f"保存されたファイル名: {saved}"},
             fix={"en": "Use exactly these file names, so the next lesson's notebook can load them.",
                  "ja": "次の回のノートブックで読み込めるように、これらのファイル名をそのまま使ってください。"})
