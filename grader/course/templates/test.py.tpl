"""${name}: checks assignment.toml cannot express, as ordinary pytest tests.

The grader runs them on the student's results as data (fixtures: x_train, y_train,
x_test, y_test, arrays, model, compile_settings, fit_settings, history, figures,
accuracy, saved_models, facts, expected); see docs/authoring.md.
"""

import pytest

from grader.assertions import assert_layers, assert_shape, fail


@pytest.mark.points(1)
@pytest.mark.title(en="images flattened to (N, 784)", ja="画像は (N, 784) に平坦化")
def test_flat_images(x_train, x_test):
    assert_shape(x_train, (None, 784), "x_train")
    assert_shape(x_test, (None, 784), "x_test")


@pytest.mark.points(2)
@pytest.mark.title(en="one hidden layer of 128 units", ja="ユニット数 128 の隠れ層が 1 つ")
def test_one_hidden_layer(model):
    assert_layers(model, ["Dense", "Dense"])
    units = model.layers[0].config.get("units")
    if units != 128:
        fail(expected={"en": "a hidden Dense layer of 128 units", "ja": "ユニット数 128 の隠れ層 (Dense)"},
             found={"en": f"{units} units", "ja": f"ユニット数 {units}"},
             fix="Dense(128, activation='relu')")
