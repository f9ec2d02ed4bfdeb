"""Reading a model config as plain data: Keras 2 habits and the functional API compare alike."""

from __future__ import annotations

import json

import pytest

from grader.model.architecture import ArchitectureError, parse_architecture


def layer(class_name: str, **config) -> dict:
    return {
        "module": "keras.layers",
        "class_name": class_name,
        "config": {"name": class_name.lower(), **config},
    }


def sequential(*layers: dict) -> str:
    return json.dumps({"class_name": "Sequential", "config": {"name": "s", "layers": list(layers)}})


def test_input_shape_comes_from_the_input_layer() -> None:
    arch = parse_architecture(
        sequential(layer("InputLayer", batch_shape=[None, 28, 28, 1]), layer("Flatten"))
    )
    assert arch.input_shape == (28, 28, 1)
    assert [l.class_name for l in arch.layers] == ["Flatten"]


def test_keras1_names_and_int_sizes_are_normalised() -> None:
    arch = parse_architecture(
        sequential(
            layer(
                "Convolution2D",
                filters=8,
                kernel_size=3,
                strides=1,
                padding="valid",
                activation="ReLU",
            ),
            layer("MaxPool2D", pool_size=2, strides=None, padding="valid"),
        )
    )
    conv, pool = arch.layers
    assert (
        conv.class_name == "Conv2D"
        and conv.config["kernel_size"] == [3, 3]
        and conv.config["activation"] == "relu"
    )
    assert pool.class_name == "MaxPooling2D" and pool.config["strides"] == [2, 2]


def test_a_separate_activation_layer_folds_into_the_layer_before() -> None:
    arch = parse_architecture(
        sequential(
            layer("Dense", units=10, activation="linear"), layer("Activation", activation="softmax")
        )
    )
    assert len(arch.layers) == 1 and arch.layers[0].config["activation"] == "softmax"


def test_functional_models_list_their_layers() -> None:
    config = {
        "class_name": "Functional",
        "config": {
            "name": "f",
            "layers": [
                {
                    "class_name": "InputLayer",
                    "config": {"batch_shape": [None, 784], "name": "in"},
                    "inbound_nodes": [],
                },
                {
                    "class_name": "Dense",
                    "config": {"name": "d", "units": 10, "activation": "softmax"},
                    "inbound_nodes": [],
                },
            ],
        },
    }
    arch = parse_architecture(json.dumps(config))
    assert arch.input_shape == (784,) and arch.layers[0].config["units"] == 10


def test_nested_objects_are_dropped_not_deserialised() -> None:
    arch = parse_architecture(
        sequential(
            layer("Dense", units=3, kernel_initializer={"module": "os", "class_name": "system"})
        )
    )
    assert "kernel_initializer" not in arch.layers[0].config


@pytest.mark.parametrize("text", ["not json", "[]", '{"config": {}}', '{"config": {"layers": 3}}'])
def test_unreadable_configs_raise_a_clear_error(text: str) -> None:
    with pytest.raises(ArchitectureError):
        parse_architecture(text)
