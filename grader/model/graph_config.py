"""A functional model whose layers do not form one chain, read from its config as data.

Keras writes, for each layer, the layers its inputs come from (``inbound_nodes`` →
``keras_history``), and which layers are the model's inputs and outputs.  A model whose
layers follow one another is read as a stack (``architecture``); one with branches
(``Add``, ``Concatenate``, several inputs or outputs) keeps its wiring here, so the grader
rebuilds the same graph (``training.build``) with exact parameter counts and shapes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MERGE_LAYERS = frozenset(
    {"Add", "Concatenate", "Average", "Multiply", "Subtract", "Maximum", "Minimum"}
)


class GraphError(ValueError):
    """The wiring cannot be read; the message says why."""


@dataclass(frozen=True)
class Graph:
    # The shape of each input, without the batch dimension.
    inputs: tuple[tuple[int | None, ...], ...]
    # For each layer (in the architecture's order), where its inputs come from: the index of an
    # earlier layer, or -(k + 1) for the model's input k.
    sources: tuple[tuple[int, ...], ...]
    outputs: tuple[int, ...]


def _names(value: Any) -> list[str]:
    """The layers named by the ``keras_history`` of every tensor in ``value``."""
    if isinstance(value, list):
        return [name for item in value for name in _names(item)]
    if isinstance(value, dict):
        history = (
            (value.get("config") or {}).get("keras_history")
            if value.get("class_name") == "__keras_tensor__"
            else None
        )
        if isinstance(history, list) and history and isinstance(history[0], str):
            return [history[0]]
        return [name for item in value.values() for name in _names(item)]
    return []


def _ends(value: Any) -> list[str]:
    """``input_layers``/``output_layers``: ``[name, 0, 0]`` for one, a list of those for several."""
    if isinstance(value, list) and value and isinstance(value[0], str):
        return [value[0]]
    return [str(item[0]) for item in value or [] if isinstance(item, list) and item]


def _name(entry: dict[str, Any]) -> str:
    return str(entry.get("name") or (entry.get("config") or {}).get("name", ""))


def graph_of(config: dict[str, Any], entries: list[dict[str, Any]]) -> Graph | None:
    """The wiring of a functional model's layers; ``None`` when they form one chain."""
    if "input_layers" not in config:
        return None  # a Sequential model: a stack by construction
    inputs = [_name(e) for e in entries if e.get("class_name") == "InputLayer"]
    layers = [e for e in entries if e.get("class_name") != "InputLayer"]
    index = {_name(e): i for i, e in enumerate(layers)} | {
        name: -(k + 1) for k, name in enumerate(inputs)
    }
    sources: list[tuple[int, ...]] = []
    for entry in layers:
        nodes = entry.get("inbound_nodes") or []
        names = _names(nodes[0].get("args") if nodes and isinstance(nodes[0], dict) else [])
        if len(nodes) > 1:
            raise GraphError(f"layer {_name(entry)!r} is used more than once (a shared layer)")
        if any(name not in index for name in names):
            raise GraphError(
                f"layer {_name(entry)!r} takes its input from a layer the config does not list"
            )
        sources.append(tuple(index[name] for name in names))
    outputs = tuple(index.get(name, len(layers)) for name in _ends(config.get("output_layers")))
    if any(o < 0 or o >= len(layers) for o in outputs):
        raise GraphError("the model's outputs are not layers of the config")
    chain = (
        len(inputs) == 1
        and outputs == (len(layers) - 1,)
        and all(s == (i - 1,) for i, s in enumerate(sources))
    )
    if chain:
        return None
    shapes = tuple(
        tuple((e.get("config") or {}).get("batch_shape") or [None, None])[1:]
        for e in entries
        if e.get("class_name") == "InputLayer"
    )
    return Graph(shapes, tuple(sources), outputs)
