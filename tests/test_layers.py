"""Every layer the grader rebuilds gives Keras's own parameter count and output shapes: a
model is built by Keras, read back from its config as data, rebuilt by the grader."""

from __future__ import annotations

from typing import Any

import pytest

from grader.architecture import parse_architecture
from grader.training import BUILDABLE_LAYERS, build, import_keras, measure

# (input shape, layers as (class name, keyword arguments)) per case; together they use every buildable layer.
CASES: dict[str, tuple[tuple[int, ...], list[tuple[str, dict[str, Any]]]]] = {
    "lecture": ((28, 28, 1), [("Conv2D", {"filters": 8, "kernel_size": (3, 3), "activation": "relu"}),
                              ("MaxPooling2D", {"pool_size": (2, 2)}), ("Dropout", {"rate": 0.25}), ("Flatten", {}),
                              ("Dense", {"units": 10, "activation": "softmax"})]),
    "activations": ((28, 28, 1), [("Conv2D", {"filters": 4, "kernel_size": 3}), ("BatchNormalization", {}), ("ReLU", {}),
                                  ("Conv2D", {"filters": 4, "kernel_size": 3}), ("LeakyReLU", {"negative_slope": 0.1}),
                                  ("ELU", {}), ("Activation", {"activation": "tanh"}), ("GlobalAveragePooling2D", {}),
                                  ("Dense", {"units": 10})]),
    "separable": ((28, 28, 1), [("Rescaling", {"scale": 1 / 255}), ("Resizing", {"height": 32, "width": 32}),
                                ("ZeroPadding2D", {"padding": (1, 1)}), ("SeparableConv2D", {"filters": 8, "kernel_size": 3}),
                                ("DepthwiseConv2D", {"kernel_size": 3}), ("SpatialDropout2D", {"rate": 0.1}),
                                ("AveragePooling2D", {"pool_size": 2}), ("UpSampling2D", {"size": (2, 2)}),
                                ("Conv2DTranspose", {"filters": 2, "kernel_size": 3, "strides": 2}), ("GlobalMaxPooling2D", {}),
                                ("Dense", {"units": 10})]),
    "augmentation": ((32, 32, 3), [("RandomFlip", {"mode": "horizontal"}), ("RandomRotation", {"factor": 0.1}),
                                   ("RandomZoom", {"height_factor": 0.1}), ("RandomTranslation", {"height_factor": 0.1, "width_factor": 0.1}),
                                   ("RandomContrast", {"factor": 0.2}), ("RandomCrop", {"height": 28, "width": 28}),
                                   ("Reshape", {"target_shape": (28, 84)}), ("Permute", {"dims": (2, 1)}), ("Flatten", {}),
                                   ("Dense", {"units": 10})]),
    "sequences": ((20, 8), [("Conv1D", {"filters": 8, "kernel_size": 3}), ("MaxPooling1D", {"pool_size": 2}),
                            ("SpatialDropout1D", {"rate": 0.1}), ("LSTM", {"units": 6, "return_sequences": True}),
                            ("GRU", {"units": 5, "return_sequences": True}), ("SimpleRNN", {"units": 4, "return_sequences": True}),
                            ("AveragePooling1D", {"pool_size": 2}), ("GlobalAveragePooling1D", {}), ("Dense", {"units": 3})]),
    "text": ((12,), [("Embedding", {"input_dim": 100, "output_dim": 8}), ("GlobalMaxPooling1D", {}), ("Dense", {"units": 2})]),
}


def test_every_buildable_layer_is_covered() -> None:
    used = {name for _, layers in CASES.values() for name, _ in layers}
    assert used == set(BUILDABLE_LAYERS), set(BUILDABLE_LAYERS) ^ used


@pytest.mark.slow
@pytest.mark.parametrize("case", list(CASES))
def test_a_rebuilt_model_has_keras_own_parameters_and_shapes(case: str) -> None:
    keras = import_keras()
    input_shape, layers = CASES[case]
    original = keras.Sequential([keras.Input(shape=input_shape)] + [getattr(keras.layers, n)(**kw) for n, kw in layers])
    rebuilt = measure(build(parse_architecture(original.to_json())))
    assert rebuilt.total_params == original.count_params()
    assert [layer.params for layer in rebuilt.layers] == [layer.count_params() for layer in original.layers]
    assert [layer.output_shape for layer in rebuilt.layers] == [tuple(layer.output.shape[1:]) for layer in original.layers]
