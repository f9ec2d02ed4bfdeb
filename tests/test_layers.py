"""Every layer the grader rebuilds gives Keras's own parameter count and output shapes: a
model is built by Keras, read back from its config as data, rebuilt by the grader."""

from __future__ import annotations

from typing import Any

import pytest

from grader.model.architecture import parse_architecture
from grader.model.graph_config import MERGE_LAYERS
from grader.model.keras_names import BUILDABLE_LAYERS
from grader.model.training import build, import_keras, measure

# (input shape, layers as (class name, keyword arguments)) per case; together they use every
# buildable layer.
CASES: dict[str, tuple[tuple[int, ...], list[tuple[str, dict[str, Any]]]]] = {
    "lecture": (
        (28, 28, 1),
        [
            ("Conv2D", {"filters": 8, "kernel_size": (3, 3), "activation": "relu"}),
            ("MaxPooling2D", {"pool_size": (2, 2)}),
            ("Dropout", {"rate": 0.25}),
            ("Flatten", {}),
            ("Dense", {"units": 10, "activation": "softmax"}),
        ],
    ),
    "activations": (
        (28, 28, 1),
        [
            ("Conv2D", {"filters": 4, "kernel_size": 3}),
            ("BatchNormalization", {}),
            ("ReLU", {}),
            ("Conv2D", {"filters": 4, "kernel_size": 3}),
            ("LeakyReLU", {"negative_slope": 0.1}),
            ("ELU", {}),
            ("Activation", {"activation": "tanh"}),
            ("GlobalAveragePooling2D", {}),
            ("Dense", {"units": 10}),
        ],
    ),
    "separable": (
        (28, 28, 1),
        [
            ("Rescaling", {"scale": 1 / 255}),
            ("Resizing", {"height": 32, "width": 32}),
            ("ZeroPadding2D", {"padding": (1, 1)}),
            ("SeparableConv2D", {"filters": 8, "kernel_size": 3}),
            ("DepthwiseConv2D", {"kernel_size": 3}),
            ("SpatialDropout2D", {"rate": 0.1}),
            ("AveragePooling2D", {"pool_size": 2}),
            ("UpSampling2D", {"size": (2, 2)}),
            ("Conv2DTranspose", {"filters": 2, "kernel_size": 3, "strides": 2}),
            ("GlobalMaxPooling2D", {}),
            ("Dense", {"units": 10}),
        ],
    ),
    "augmentation": (
        (32, 32, 3),
        [
            ("RandomFlip", {"mode": "horizontal"}),
            ("RandomRotation", {"factor": 0.1}),
            ("RandomZoom", {"height_factor": 0.1}),
            ("RandomTranslation", {"height_factor": 0.1, "width_factor": 0.1}),
            ("RandomContrast", {"factor": 0.2}),
            ("RandomCrop", {"height": 28, "width": 28}),
            ("Reshape", {"target_shape": (28, 84)}),
            ("Permute", {"dims": (2, 1)}),
            ("Flatten", {}),
            ("Dense", {"units": 10}),
        ],
    ),
    "sequences": (
        (20, 8),
        [
            ("Conv1D", {"filters": 8, "kernel_size": 3}),
            ("MaxPooling1D", {"pool_size": 2}),
            ("SpatialDropout1D", {"rate": 0.1}),
            ("LSTM", {"units": 6, "return_sequences": True}),
            ("GRU", {"units": 5, "return_sequences": True}),
            ("SimpleRNN", {"units": 4, "return_sequences": True}),
            ("AveragePooling1D", {"pool_size": 2}),
            ("GlobalAveragePooling1D", {}),
            ("Dense", {"units": 3}),
        ],
    ),
    "text": (
        (12,),
        [
            ("Embedding", {"input_dim": 100, "output_dim": 8}),
            ("GlobalMaxPooling1D", {}),
            ("Dense", {"units": 2}),
        ],
    ),
}


def test_every_buildable_layer_is_covered() -> None:
    """The stacks below use every layer but the merges, which join branches (the graphs below)."""
    used = {name for _, layers in CASES.values() for name, _ in layers}
    assert used == set(BUILDABLE_LAYERS - MERGE_LAYERS), set(BUILDABLE_LAYERS - MERGE_LAYERS) ^ used


@pytest.mark.slow
@pytest.mark.parametrize("case", list(CASES))
def test_a_rebuilt_model_has_keras_own_parameters_and_shapes(case: str) -> None:
    keras = import_keras()
    input_shape, layers = CASES[case]
    original = keras.Sequential(
        [keras.Input(shape=input_shape)] + [getattr(keras.layers, n)(**kw) for n, kw in layers]
    )
    rebuilt = measure(build(parse_architecture(original.to_json())))
    assert rebuilt.total_params == original.count_params()
    assert [layer.params for layer in rebuilt.layers] == [
        layer.count_params() for layer in original.layers
    ]
    assert [layer.output_shape for layer in rebuilt.layers] == [
        tuple(layer.output.shape[1:]) for layer in original.layers
    ]


def _graphs(keras: Any) -> dict[str, Any]:
    """Functional models with branches, several inputs or several outputs."""
    x = keras.Input((28, 28, 1))
    h = keras.layers.Conv2D(8, 3, padding="same", activation="relu")(x)
    r = keras.layers.Conv2D(8, 3, padding="same")(h)
    residual = keras.layers.Add()([h, r])
    residual = keras.layers.Dense(10, activation="softmax")(keras.layers.Flatten()(residual))
    a, b = keras.layers.Conv2D(4, 1)(x), keras.layers.Conv2D(6, 3, padding="same")(x)
    inception = keras.layers.Dense(10)(
        keras.layers.GlobalAveragePooling2D()(keras.layers.Concatenate()([a, b]))
    )
    left, right = keras.Input((8,)), keras.Input((4,))
    joined = keras.layers.Dense(3)(keras.layers.Concatenate()([keras.layers.Dense(5)(left), right]))
    shared = keras.layers.Dense(6, activation="relu")(left)
    return {
        "residual": keras.Model(x, residual),
        "inception": keras.Model(x, inception),
        "two inputs": keras.Model([left, right], joined),
        "two outputs": keras.Model(
            left, [keras.layers.Dense(2)(shared), keras.layers.Dense(1)(shared)]
        ),
    }


@pytest.mark.slow
def test_a_functional_graph_is_rebuilt_as_the_same_graph() -> None:
    keras = import_keras()
    for name, original in _graphs(keras).items():
        architecture = parse_architecture(original.to_json())
        assert architecture.graph is not None, name
        rebuilt = build(architecture)
        expected = [layer for layer in original.layers if type(layer).__name__ != "InputLayer"]
        measured = measure(rebuilt)
        assert measured.total_params == original.count_params(), name
        assert [layer.params for layer in measured.layers] == [
            layer.count_params() for layer in expected
        ], name
        assert [layer.output_shape for layer in measured.layers] == [
            tuple(layer.output.shape[1:]) for layer in expected
        ], name
    used = {type(layer).__name__ for model in _graphs(keras).values() for layer in model.layers}
    assert {"Add", "Concatenate"} <= used


@pytest.mark.slow
def test_a_functional_chain_is_read_as_a_stack_and_graphs_do_not_share_measurements() -> None:
    keras = import_keras()
    x = keras.Input((8,))
    chain = keras.Model(x, keras.layers.Dense(2)(keras.layers.Dense(4)(x)))
    branched = _graphs(keras)["two outputs"]
    assert parse_architecture(chain.to_json()).graph is None
    from grader.model.architecture import signature

    stack = keras.Sequential([keras.Input((8,)), keras.layers.Dense(4), keras.layers.Dense(2)])
    assert signature(parse_architecture(chain.to_json())) == signature(
        parse_architecture(stack.to_json())
    )
    assert signature(parse_architecture(branched.to_json())) != signature(
        parse_architecture(stack.to_json())
    )
