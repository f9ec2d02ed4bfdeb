"""The Keras names the grader rebuilds and trains with: its fixed lists of layer classes,
activations, optimizers (and the settings of theirs it keeps) and losses, and the names a
student's compile settings are read as (``optimizer_name``, ``optimizer_settings``,
``loss_name``).

Plain data, no Keras: a name not listed here is never looked up (``training`` refuses it).
"""

from __future__ import annotations

from typing import Any

from grader.model.graph_config import MERGE_LAYERS

BUILDABLE_LAYERS = (
    frozenset(
        {
            "Conv2D",
            "MaxPooling2D",
            "AveragePooling2D",
            "Dropout",
            "Dense",
            "Flatten",
            "Activation",
            "BatchNormalization",
            "Reshape",
            # What course notebooks use beside the lecture's stack.
            "ReLU",
            "LeakyReLU",
            "ELU",
            "GlobalAveragePooling2D",
            "GlobalMaxPooling2D",
            "SeparableConv2D",
            "DepthwiseConv2D",
            "Conv1D",
            "MaxPooling1D",
            "AveragePooling1D",
            "GlobalAveragePooling1D",
            "GlobalMaxPooling1D",
            "Rescaling",
            "Resizing",
            "SpatialDropout1D",
            "SpatialDropout2D",
            "Permute",
            "Embedding",
            "LSTM",
            "GRU",
            "SimpleRNN",
            "RandomFlip",
            "RandomRotation",
            "RandomZoom",
            "RandomTranslation",
            "RandomContrast",
            "RandomCrop",
            "ZeroPadding2D",
            "UpSampling2D",
            "Conv2DTranspose",
        }
    )
    | MERGE_LAYERS
)
ACTIVATIONS = frozenset(
    {
        "relu",
        "softmax",
        "sigmoid",
        "tanh",
        "linear",
        "elu",
        "selu",
        "softplus",
        "softsign",
        "gelu",
        "swish",
        "silu",
        "leaky_relu",
        "relu6",
        "exponential",
        "hard_sigmoid",
        "log_softmax",
        "mish",
        # The rest of Keras's built-in names (``keras.activations``).
        "celu",
        "glu",
        "hard_shrink",
        "hard_silu",
        "hard_tanh",
        "log_sigmoid",
        "soft_shrink",
        "sparse_plus",
        "sparse_sigmoid",
        "sparsemax",
        "squareplus",
        "tanh_shrink",
    }
)
OPTIMIZERS = {
    name.lower(): name
    for name in (
        "SGD",
        "Adam",
        "AdamW",
        "RMSprop",
        "Adadelta",
        "Adagrad",
        "Adamax",
        "Nadam",
        "Ftrl",
        "Lion",
    )
}
OPTIMIZER_FIELDS = (
    "learning_rate",
    "momentum",
    "nesterov",
    "rho",
    "epsilon",
    "beta_1",
    "beta_2",
    "weight_decay",
)
LOSSES = {
    "categorical_crossentropy": "categorical_crossentropy",
    "categoricalcrossentropy": "categorical_crossentropy",
    "sparse_categorical_crossentropy": "sparse_categorical_crossentropy",
    "sparsecategoricalcrossentropy": "sparse_categorical_crossentropy",
    "binary_crossentropy": "binary_crossentropy",
    "binarycrossentropy": "binary_crossentropy",
    "mean_squared_error": "mean_squared_error",
    "meansquarederror": "mean_squared_error",
    "mse": "mean_squared_error",
    "mean_absolute_error": "mean_absolute_error",
    "meanabsoluteerror": "mean_absolute_error",
    "mae": "mean_absolute_error",
}


def optimizer_name(optimizer: Any) -> str | None:
    """``"adam"``, ``{"class_name": "Adam", ...}`` → ``"Adam"`` (Keras's class name)."""
    if isinstance(optimizer, str):
        return OPTIMIZERS.get(optimizer.lower(), optimizer)
    if isinstance(optimizer, dict) and isinstance(optimizer.get("class_name"), str):
        return OPTIMIZERS.get(optimizer["class_name"].lower(), optimizer["class_name"])
    return None


def optimizer_settings(optimizer: Any) -> dict[str, Any]:
    config = optimizer.get("config") if isinstance(optimizer, dict) else None
    if not isinstance(config, dict):
        return {}
    return {k: config[k] for k in OPTIMIZER_FIELDS if isinstance(config.get(k), (int, float, bool))}


def loss_name(loss: Any) -> str | None:
    """A loss string, class or function, as Keras's snake_case name."""
    if isinstance(loss, str):
        name = loss
    elif isinstance(loss, dict):
        name = str(loss.get("name") or loss.get("class_name") or "")
    else:
        return None
    key = name.lower()
    return LOSSES.get(key, LOSSES.get(key.replace("_", ""), name))
