"""An activation written another way is the activation of that name.

Keras stores an activation as the name of a built-in one (``"relu"``), as the Python name of a
function that is not Keras's own (TensorFlow's ``tf.nn.softmax`` is stored as
``{"class_name": "function", "config": "softmax_v2"}``), or as the config of a layer given as the
activation (``activation=keras.layers.ReLU()``); a layer of its own (``ReLU()``, ``Softmax()``)
does the same job after the layer before it.  Each is read here as the Keras name it computes,
where the meaning is certain (TensorFlow's functions of the same mathematics, a layer at the
settings that make it that function), so the grader compares and rebuilds them as the built-in
name.  Anything else keeps a name of its own, which the grader then declines to rebuild.

Plain data, no Keras: what Keras wrote is read, nothing is deserialised.
"""

from __future__ import annotations

from typing import Any

from grader.model.keras_names import ACTIVATIONS

# TensorFlow's function names (``tf.nn``, ``tf.math``) that Keras stores as they are, and Keras's
# own aliases, with the built-in activation each computes.
FUNCTION_ALIASES = {
    "softmax_v2": "softmax",
    "log_softmax_v2": "log_softmax",
    "swish": "silu",
    "hard_swish": "hard_silu",
    "exp": "exponential",
    "identity": "linear",
}
# An activation layer's settings at which it is exactly a built-in activation (each setting left
# out of the config is at its default).
LAYER_FORMS: dict[str, tuple[tuple[str, dict[str, Any]], ...]] = {
    "ReLU": (
        ("relu", {"max_value": None, "negative_slope": 0.0, "threshold": 0.0}),
        ("relu6", {"max_value": 6.0, "negative_slope": 0.0, "threshold": 0.0}),
    ),
    "Softmax": (("softmax", {"axis": -1}),),
    "LeakyReLU": (("leaky_relu", {"negative_slope": 0.2}),),
    "ELU": (("elu", {"alpha": 1.0}),),
}
# Where a layer's own settings live in the stored config of a layer given as an activation.
IGNORED_LAYER_FIELDS = ("name", "trainable", "dtype")
LAMBDA = "<lambda>"


def builtin_name(name: str) -> str:
    """``"softmax_v2"`` → ``"softmax"``: a stored name as the built-in activation it is; a name
    that is no built-in one is returned as it is (lower-cased)."""
    key = name.lower()
    return FUNCTION_ALIASES.get(key, key)


def _layer_form(class_name: str, config: dict[str, Any]) -> str | None:
    """The built-in activation an activation layer computes at ``config``, if it is one."""
    for name, settings in LAYER_FORMS.get(class_name, ()):
        if all(_same(config.get(key, default), default) for key, default in settings.items()):
            return name
    return None


def _same(value: Any, wanted: Any) -> bool:
    if wanted is None or value is None:
        return value is wanted
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return abs(float(value) - float(wanted)) < 1e-9


def activation_name(stored: Any) -> Any:
    """The activation Keras stored for a layer, as the name the grader compares: a built-in name
    where the form is certain to be that activation; a custom function's own name; ``"<lambda>"``
    for a lambda; anything else as it was (``None`` for none)."""
    if isinstance(stored, str):
        return builtin_name(stored)
    if not isinstance(stored, dict):
        return stored
    class_name, config = stored.get("class_name"), stored.get("config")
    if class_name == "function" and isinstance(config, str):
        return builtin_name(config)
    if isinstance(class_name, str) and isinstance(config, dict):
        settings = {k: v for k, v in config.items() if k not in IGNORED_LAYER_FIELDS}
        return _layer_form(class_name, settings) or class_name
    if "value" in stored and class_name is None:  # Keras's form of a lambda
        return LAMBDA
    return str(config or class_name)


def as_activation_layer(class_name: str, config: dict[str, Any]) -> str | None:
    """The built-in activation a layer of its own computes (``ReLU()`` is ``relu``), so that it
    reads as ``Activation(that)``; ``None`` for any other layer or setting."""
    name = _layer_form(class_name, config)
    return name if name in ACTIVATIONS else None
