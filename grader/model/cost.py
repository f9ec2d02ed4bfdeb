"""What training an architecture costs, worked out from its config before anything is built.

Building a model allocates its weights (a ``Dense(10**9)`` takes 4 GB at once) and training it
takes time in proportion to its work, so the grader bounds both before Keras sees the
architecture (``measurement.bounds``).  Each layer's output shape, parameters and multiply-adds
per sample follow from its config and its input's shape, as Keras computes them, for every
layer the grader rebuilds (``keras_names.BUILDABLE_LAYERS``); a layer it cannot work out is
refused with the reason the rebuild would give, so nothing unbounded is built.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from grader.model.architecture import Architecture, LayerSpec
from grader.model.graph_config import MERGE_LAYERS
from grader.model.keras_names import BUILDABLE_LAYERS
from grader.model.training import BuildError

Shape = tuple[int, ...]
# Layers whose output has their input's shape (and no weights).
SAME_SHAPE = frozenset(
    "Dropout SpatialDropout1D SpatialDropout2D Activation ReLU LeakyReLU ELU Rescaling RandomFlip "
    "RandomRotation RandomZoom RandomTranslation RandomContrast".split()
)
# Weights of a recurrent layer per unit and input: one set per gate.
GATES = {"SimpleRNN": 1, "GRU": 3, "LSTM": 4}


@dataclass(frozen=True)
class Cost:
    params: int
    # Values the model holds for one sample: its inputs and every layer's output.
    activations: int
    # Multiply-adds of one sample's forward pass.
    operations: int


@dataclass(frozen=True)
class _Layer:
    shape: Shape
    params: int = 0
    operations: int = 0


def _ints(value: Any, rank: int, name: str) -> tuple[int, ...]:
    values = [value] * rank if isinstance(value, int) else value
    if not isinstance(values, list) or len(values) != rank:
        raise ValueError(f"{name} must be {rank} whole numbers, not {value!r}")
    if not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in values):
        raise ValueError(f"{name} must be positive whole numbers, not {value!r}")
    return tuple(values)


def _count(config: dict[str, Any], key: str) -> int:
    value = config.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{key} must be a positive whole number, not {value!r}")
    return value


def _split(shape: Shape, config: dict[str, Any], rank: int) -> tuple[Shape, int]:
    """Spatial dimensions and channels of an input of ``rank`` spatial dimensions."""
    if len(shape) != rank + 1:
        raise ValueError(f"expects inputs of {rank + 1} dimensions, not {shape}")
    first = config.get("data_format") == "channels_first"
    return (shape[1:], shape[0]) if first else (shape[:-1], shape[-1])


def _join(spatial: Shape, channels: int, config: dict[str, Any]) -> Shape:
    first = config.get("data_format") == "channels_first"
    return (channels, *spatial) if first else (*spatial, channels)


def _window(size: int, kernel: int, stride: int, padding: Any, dilation: int = 1) -> int:
    if padding in ("same", "causal"):
        return -(-size // stride)
    span = dilation * (kernel - 1) + 1
    if size < span:
        raise ValueError(f"a window of {span} does not fit an input of {size}")
    return (size - span) // stride + 1


def _convolution(spec: LayerSpec, shape: Shape) -> _Layer:
    c = spec.config
    rank = 1 if spec.class_name == "Conv1D" else 2
    spatial, channels = _split(shape, c, rank)
    kernel = _ints(c.get("kernel_size"), rank, "kernel_size")
    strides = _ints(c.get("strides", 1), rank, "strides")
    dilation = _ints(c.get("dilation_rate", 1), rank, "dilation_rate")
    kind, bias = spec.class_name, bool(c.get("use_bias", True))
    window = math.prod(kernel)
    if kind == "Conv2DTranspose":
        filters = _count(c, "filters")
        out = tuple(
            n * s if c.get("padding") == "same" else (n - 1) * s + d * (k - 1) + 1
            for n, k, s, d in zip(spatial, kernel, strides, dilation)
        )
        work = window * channels * filters * math.prod(spatial)
        return _Layer(_join(out, filters, c), window * channels * filters + filters * bias, work)
    out = tuple(
        _window(n, k, s, c.get("padding", "valid"), d)
        for n, k, s, d in zip(spatial, kernel, strides, dilation)
    )
    positions = math.prod(out)
    if kind == "DepthwiseConv2D":
        made = channels * int(c.get("depth_multiplier", 1))
        return _Layer(_join(out, made, c), window * made + made * bias, window * made * positions)
    filters = _count(c, "filters")
    if kind == "SeparableConv2D":
        middle = channels * int(c.get("depth_multiplier", 1))
        params = window * middle + middle * filters + filters * bias
        return _Layer(
            _join(out, filters, c), params, (window * middle + middle * filters) * positions
        )
    groups = int(c.get("groups", 1))
    inputs = window * (channels // max(groups, 1))
    return _Layer(
        _join(out, filters, c), inputs * filters + filters * bias, inputs * filters * positions
    )


def _pooling(spec: LayerSpec, shape: Shape) -> _Layer:
    c = spec.config
    rank = 1 if spec.class_name.endswith("1D") else 2
    spatial, channels = _split(shape, c, rank)
    if spec.class_name.startswith("Global"):
        out: Shape = (1,) * rank if c.get("keepdims") else ()
        return _Layer(_join(out, channels, c) if out else (channels,))
    pool = _ints(c.get("pool_size", 2), rank, "pool_size")
    strides = _ints(c.get("strides") or list(pool), rank, "strides")
    out = tuple(
        _window(n, p, s, c.get("padding", "valid")) for n, p, s in zip(spatial, pool, strides)
    )
    return _Layer(_join(out, channels, c))


def _dense(spec: LayerSpec, shape: Shape) -> _Layer:
    units = _count(spec.config, "units")
    inputs = shape[-1]
    bias = units if spec.config.get("use_bias", True) else 0
    return _Layer((*shape[:-1], units), inputs * units + bias, math.prod(shape) * units)


def _recurrent(spec: LayerSpec, shape: Shape) -> _Layer:
    c = spec.config
    if len(shape) != 2:
        raise ValueError(f"expects inputs of 2 dimensions (steps, features), not {shape}")
    units, (steps, features) = _count(c, "units"), shape
    gates = GATES[spec.class_name]
    biases = 2 if spec.class_name == "GRU" and c.get("reset_after", True) else 1
    params = gates * (features * units + units * units + biases * units)
    out = (steps, units) if c.get("return_sequences") else (units,)
    return _Layer(out, params, steps * gates * (features + units) * units)


def _reshape(spec: LayerSpec, shape: Shape) -> _Layer:
    c, size = spec.config, math.prod(shape)
    name = spec.class_name
    if name == "Flatten":
        return _Layer((size,))
    if name == "Reshape":
        target = [int(v) for v in c.get("target_shape") or []]
        known = math.prod(v for v in target if v != -1)
        out = tuple(size // known if v == -1 else v for v in target)
        if math.prod(out) != size or not all(v > 0 for v in out):
            raise ValueError(f"cannot reshape {shape} to {target}")
        return _Layer(out)
    if name == "Permute":
        dims = [int(v) for v in c.get("dims") or []]
        if sorted(dims) != list(range(1, len(shape) + 1)):
            raise ValueError(f"dims {dims} do not permute {shape}")
        return _Layer(tuple(shape[d - 1] for d in dims))
    if name in ("Resizing", "RandomCrop"):
        return _Layer((_count(c, "height"), _count(c, "width"), shape[-1]))
    if name == "Embedding":
        width = _count(c, "output_dim")
        return _Layer((*shape, width), _count(c, "input_dim") * width)
    spatial, channels = _split(shape, c, 2)
    if name == "UpSampling2D":
        size_ = _ints(c.get("size", 2), 2, "size")
        return _Layer(_join(tuple(n * s for n, s in zip(spatial, size_)), channels, c))
    pad = c.get("padding", 1)
    pairs = [
        [p, p] if isinstance(p, int) else p for p in ([pad] * 2 if isinstance(pad, int) else pad)
    ]
    if len(pairs) != 2 or not all(isinstance(p, list) and len(p) == 2 for p in pairs):
        raise ValueError(f"padding must be two pairs of whole numbers, not {pad!r}")
    out = tuple(n + max(0, int(p[0])) + max(0, int(p[1])) for n, p in zip(spatial, pairs))
    return _Layer(_join(out, channels, c))


def _normalisation(spec: LayerSpec, shape: Shape) -> _Layer:
    axis = spec.config.get("axis", -1)
    channels = shape[int(axis[0] if isinstance(axis, list) else axis)]
    kept = 2 + bool(spec.config.get("center", True)) + bool(spec.config.get("scale", True))
    return _Layer(shape, kept * channels)


RULES: dict[str, Callable[[LayerSpec, Shape], _Layer]] = {
    **{name: _convolution for name in ("Conv1D", "Conv2D", "Conv2DTranspose", "SeparableConv2D")},
    "DepthwiseConv2D": _convolution,
    **{name: _pooling for name in BUILDABLE_LAYERS if "Pooling" in name},
    "Dense": _dense,
    **{name: _recurrent for name in GATES},
    **{
        name: _reshape
        for name in ("Flatten", "Reshape", "Permute", "Resizing", "RandomCrop", "Embedding")
    },
    "UpSampling2D": _reshape,
    "ZeroPadding2D": _reshape,
    "BatchNormalization": _normalisation,
    **{name: (lambda spec, shape: _Layer(shape)) for name in SAME_SHAPE},
}


def _merged(spec: LayerSpec, shapes: list[Shape]) -> _Layer:
    if spec.class_name != "Concatenate":
        return _Layer(max(shapes, key=len))
    axis = int(spec.config.get("axis", -1))
    first = list(shapes[0])
    first[axis] = sum(s[axis] for s in shapes)
    return _Layer(tuple(first))


def _layer(spec: LayerSpec, shapes: list[Shape]) -> _Layer:
    if spec.class_name not in BUILDABLE_LAYERS:
        raise BuildError(
            f"layer {spec.name!r} is a {spec.class_name}, which the grader does not rebuild"
        )
    try:
        if spec.class_name in MERGE_LAYERS:
            return _merged(spec, shapes)
        if len(shapes) != 1 or spec.class_name not in RULES:
            raise ValueError(f"takes one input, not {len(shapes)}")
        return RULES[spec.class_name](spec, shapes[0])
    except (ValueError, TypeError, IndexError, ZeroDivisionError) as exc:
        raise BuildError(
            f"layer {spec.name!r} ({spec.class_name}) cannot be rebuilt: {exc}"
        ) from None


def cost(architecture: Architecture) -> Cost:
    """The parameters, activations and multiply-adds of ``architecture``; raises ``BuildError``
    (with the rebuild's reason) when they cannot be worked out."""
    shape = architecture.input_shape
    if shape is None or any(not isinstance(d, int) for d in shape):
        raise BuildError(
            "the model has no fixed input shape (give the first layer input_shape=... or use "
            "keras.Input)"
        )
    graph = architecture.graph
    given = list(graph.inputs) if graph is not None else [shape]
    if any(not all(isinstance(d, int) for d in s) for s in given):
        raise BuildError("an input of the model has no fixed shape (give keras.Input(shape=...))")
    inputs: list[Shape] = [tuple(int(d or 0) for d in s) for s in given]
    made: list[_Layer] = []
    for index, spec in enumerate(architecture.layers):
        sources = graph.sources[index] if graph is not None else (index - 1,)
        if any(s >= index for s in sources):
            raise BuildError(f"layer {spec.name!r} takes its input from a later layer")
        shapes = [inputs[-s - 1] if s < 0 else made[s].shape for s in sources]
        made.append(_layer(spec, shapes))
    return Cost(
        sum(layer.params for layer in made),
        sum(math.prod(s) for s in inputs) + sum(math.prod(layer.shape) for layer in made),
        sum(layer.operations for layer in made),
    )
