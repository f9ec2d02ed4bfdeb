"""A model as plain data: the layer stack read from Keras's JSON config, without Keras.

The config comes out of the student's process as text.  It is parsed here with ``json``
only, never handed to ``keras.models.model_from_json``, so nothing the student wrote is
deserialised into live objects in the grader's process.  Spellings that mean the same
thing are made equal (``Convolution2D`` is ``Conv2D``; ``tf.nn.softmax`` is ``"softmax"`` and
``ReLU()`` is ``Activation("relu")``: ``activation_forms``; a separate ``Activation`` layer
folds into the layer before it), so Keras 2 habits and the functional API compare alike.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any

from grader.model.activation_forms import activation_name, as_activation_layer
from grader.model.graph_config import Graph, GraphError, graph_of

ALIASES = {
    "Convolution2D": "Conv2D",
    "MaxPool2D": "MaxPooling2D",
    "AvgPool2D": "AveragePooling2D",
    "Convolution1D": "Conv1D",
}
# The config fields that define each layer for grading, in the order they are reported.
COMPARED_FIELDS: dict[str, tuple[str, ...]] = {
    "Conv2D": ("filters", "kernel_size", "strides", "padding", "activation"),
    "MaxPooling2D": ("pool_size", "strides", "padding"),
    "AveragePooling2D": ("pool_size", "strides", "padding"),
    "Dropout": ("rate",),
    "Dense": ("units", "activation"),
    "Flatten": (),
    "Activation": ("activation",),
    "BatchNormalization": (),
    "Reshape": ("target_shape",),
}
LINEAR = "linear"


class ArchitectureError(Exception):
    """The config is not a model we can read; the message says why."""


class SubclassedModel(ArchitectureError):
    """A subclass of ``keras.Model`` with its own ``call``: its layers and wiring are only in
    the student's code, which the grader never runs."""

    def __init__(self, class_name: str) -> None:
        super().__init__(
            f"{class_name} is a subclassed model: its layers are wired in its call(), not in its "
            "config"
        )
        self.class_name = class_name


# Models whose config lists their layers; any other class without layers is a subclass.
CONFIGURED_MODELS = ("Sequential", "Functional", "Model")


@dataclass(frozen=True)
class LayerSpec:
    class_name: str
    name: str
    # Only JSON scalars and lists; what ``COMPARED_FIELDS`` and the builder use.
    config: dict[str, Any] = field(default_factory=dict)

    def compared(self) -> dict[str, Any]:
        return {k: self.config.get(k) for k in COMPARED_FIELDS.get(self.class_name, ())}


@dataclass(frozen=True)
class Architecture:
    model_class: str
    input_shape: tuple[int | None, ...] | None
    layers: tuple[LayerSpec, ...]
    # How the layers are wired, when they do not form one chain (branches, several inputs or
    # outputs).
    graph: Graph | None = None


def to_plain(architecture: Architecture) -> dict[str, Any]:
    """``architecture`` as JSON data (what a measurer forked from the fork server is sent)."""
    return dataclasses.asdict(architecture)


def from_plain(data: dict[str, Any]) -> Architecture:
    """The ``Architecture`` that ``to_plain`` gave ``data`` for (the grader's own, never the
    student's)."""
    shape = lambda value: None if value is None else tuple(value)  # noqa: E731
    graph = data["graph"]
    return Architecture(
        data["model_class"],
        shape(data["input_shape"]),
        tuple(
            LayerSpec(layer["class_name"], layer["name"], layer["config"])
            for layer in data["layers"]
        ),
        None
        if graph is None
        else Graph(
            tuple(tuple(s) for s in graph["inputs"]),
            tuple(tuple(s) for s in graph["sources"]),
            tuple(graph["outputs"]),
        ),
    )


def signature(architecture: Architecture) -> tuple[Any, ...]:
    """The layer stack without the names Keras makes up (``conv2d_3``): equal signatures
    build equal models, so the grader's training of one serves the other."""
    layers = tuple(
        (l.class_name, tuple(sorted((k, repr(v)) for k, v in l.config.items() if k != "name")))
        for l in architecture.layers
    )
    return architecture.input_shape, layers, architecture.graph


def _scalar_config(config: dict[str, Any]) -> dict[str, Any]:
    """Keep plain values; nested objects (initializers, dtype policies) are dropped."""

    def plain(value: Any) -> bool:
        if isinstance(value, (list, tuple)):
            return all(plain(v) for v in value)
        return isinstance(value, (str, int, float, bool, type(None)))

    kept = {k: (list(v) if isinstance(v, tuple) else v) for k, v in config.items() if plain(v)}
    if "activation" in config:  # a name, a function's name, a layer's config: the name it is
        kept["activation"] = activation_name(config["activation"])
    return kept


def _layer_spec(class_name: str, config: dict[str, Any]) -> LayerSpec:
    """One layer as plain data; an activation layer at a built-in's settings (``ReLU()``) as the
    ``Activation`` layer it is."""
    plain = _scalar_config(config)
    name = str(config.get("name", ""))
    activation = as_activation_layer(class_name, plain)
    if activation is not None:
        return LayerSpec("Activation", name, {"name": name, "activation": activation})
    return _normalise(LayerSpec(class_name, name, plain))


def _normalise(spec: LayerSpec) -> LayerSpec:
    config = dict(spec.config)
    if spec.class_name in ("MaxPooling2D", "AveragePooling2D"):
        for key in ("pool_size", "strides"):
            if isinstance(config.get(key), int):
                config[key] = [config[key], config[key]]
        if config.get("strides") is None:
            config["strides"] = config.get("pool_size")
    if spec.class_name == "Conv2D":
        for key in ("kernel_size", "strides"):
            if isinstance(config.get(key), int):
                config[key] = [config[key], config[key]]
    return LayerSpec(spec.class_name, spec.name, config)


def _fold_activations(layers: list[LayerSpec]) -> list[LayerSpec]:
    folded: list[LayerSpec] = []
    for layer in layers:
        previous = folded[-1] if folded else None
        if (
            layer.class_name == "Activation"
            and previous is not None
            and "activation" in COMPARED_FIELDS.get(previous.class_name, ())
            and previous.config.get("activation", LINEAR) == LINEAR
        ):
            folded[-1] = LayerSpec(
                previous.class_name,
                previous.name,
                {**previous.config, "activation": layer.config.get("activation")},
            )
        else:
            folded.append(layer)
    return folded


def _input_shape(entries: list[dict[str, Any]]) -> tuple[int | None, ...] | None:
    for entry in entries:
        config = entry.get("config") or {}
        for key in ("batch_shape", "batch_input_shape"):
            if isinstance(config.get(key), list):
                return tuple(config[key][1:])
        build = entry.get("build_config") or {}
        if isinstance(build.get("input_shape"), list):
            return tuple(build["input_shape"][1:])
    return None


def parse_architecture(config_json: str) -> Architecture:
    """Read ``model.to_json()`` text (Sequential or functional) into an ``Architecture``."""
    try:
        data = json.loads(config_json)
    except (TypeError, ValueError, RecursionError) as exc:
        raise ArchitectureError(f"the model config is not JSON ({type(exc).__name__})") from None
    if not isinstance(data, dict) or not isinstance(data.get("config"), dict):
        raise ArchitectureError("the model config has no 'config' section")
    entries = data["config"].get("layers")
    class_name = data.get("class_name")
    if entries is None and isinstance(class_name, str) and class_name not in CONFIGURED_MODELS:
        raise SubclassedModel(class_name[:80])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise ArchitectureError(
            "the model config lists no layers (a subclassed model cannot be graded)"
        )
    try:
        graph = graph_of(data["config"], entries)
    except GraphError as exc:
        raise ArchitectureError(str(exc)) from None
    layers: list[LayerSpec] = []
    for entry in entries:
        class_name = str(entry.get("class_name", "?"))
        class_name = ALIASES.get(class_name, class_name)
        if class_name == "InputLayer":
            continue
        config = entry.get("config") if isinstance(entry.get("config"), dict) else {}
        layers.append(_layer_spec(class_name, config))
    if graph is not None:  # folding an Activation into its layer would rewire the graph
        return Architecture(
            str(data.get("class_name", "?")), _input_shape(entries), tuple(layers), graph
        )
    return Architecture(
        str(data.get("class_name", "?")), _input_shape(entries), tuple(_fold_activations(layers))
    )


def describe_layer(layer: LayerSpec) -> str:
    """``Conv2D(filters=64, kernel_size=[3, 3], ...)``: how a layer is named in messages."""
    fields = ", ".join(f"{k}={v!r}" for k, v in layer.compared().items())
    return f"{layer.class_name}({fields})"
