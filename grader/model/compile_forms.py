"""Compile settings written another way, read as Keras reads them.

A loss may be a name, a function or a class instance with settings of its own (``from_logits``);
metrics a list, a dict per output, strings (``"acc"``), functions or metric objects; a learning
rate is stored as a float32 (``0.1`` comes back as ``0.10000000149``), or is one of Keras's
schedules (``ExponentialDecay``), which the grader rebuilds from its plain settings.  Keras reads
``"accuracy"`` as the accuracy its loss calls for (``categorical_accuracy`` under categorical
cross-entropy), so those spellings are the same metric; ``keras.metrics.Accuracy()`` is not (it
counts exact equality of scores and labels).

Plain data, no Keras: the kernel's record of the ``compile`` call is read, never deserialised.
"""

from __future__ import annotations

import math
from typing import Any

# The settings of a loss object the grader keeps and rebuilds with.
LOSS_FIELDS = ("from_logits", "label_smoothing")
ACCURACY = "accuracy"
# What Keras reads as "accuracy": its own spellings, and under each loss, the accuracy that
# "accuracy" means there (as a string or function name, and as a metric class).
ACCURACY_SPELLINGS = ("accuracy", "acc")
ACCURACY_OF_LOSS = {
    "categorical_crossentropy": ("categorical_accuracy", "CategoricalAccuracy"),
    "sparse_categorical_crossentropy": (
        "sparse_categorical_accuracy",
        "SparseCategoricalAccuracy",
    ),
    "binary_crossentropy": ("binary_accuracy", "BinaryAccuracy"),
}
# The names a history's accuracy curve may have, whatever the loss.
ACCURACY_KEYS = ACCURACY_SPELLINGS + tuple(names[0] for names in ACCURACY_OF_LOSS.values())
# ``keras.metrics.Accuracy()``: right only where the scores equal the labels exactly.
EXACT_ACCURACY = "Accuracy"
# A setting stored as float32 is the number written to this relative precision.
FLOAT32_PRECISION = 1e-6
# Keras's learning-rate schedules (``keras.optimizers.schedules``) the grader rebuilds.
SCHEDULES = (
    "ExponentialDecay",
    "InverseTimeDecay",
    "PiecewiseConstantDecay",
    "PolynomialDecay",
    "CosineDecay",
    "CosineDecayRestarts",
)


def learning_rate_schedule(optimizer: Any) -> dict[str, Any] | None:
    """An optimizer's learning rate given as one of ``SCHEDULES``: its class name and its plain
    settings (numbers, booleans, lists of numbers); ``None`` for a number or anything else."""
    config = optimizer.get("config") if isinstance(optimizer, dict) else None
    rate = config.get("learning_rate") if isinstance(config, dict) else None
    settings = rate.get("config") if isinstance(rate, dict) else None
    if not isinstance(rate, dict) or rate.get("class_name") not in SCHEDULES:
        return None
    if not isinstance(settings, dict):
        return None

    def plain(value: Any) -> bool:
        if isinstance(value, list):
            return all(plain(v) for v in value)
        return isinstance(value, (int, float, bool))

    kept = {str(k): v for k, v in settings.items() if plain(v)}
    return {"class_name": rate["class_name"], "config": kept}


def describe_schedule(schedule: dict[str, Any]) -> str:
    """``ExponentialDecay(initial_learning_rate=0.01, decay_steps=100, ...)``."""
    settings = ", ".join(f"{k}={v!r}" for k, v in schedule["config"].items())
    return f"{schedule['class_name']}({settings})"


def loss_settings(loss: Any) -> dict[str, Any]:
    """``CategoricalCrossentropy(from_logits=True)`` → ``{"from_logits": True}``: the settings of
    a loss object that change what it computes (a name or function has none)."""
    config = loss.get("config") if isinstance(loss, dict) else None
    if not isinstance(config, dict):
        return {}
    kept: dict[str, Any] = {}
    if isinstance(config.get("from_logits"), bool):
        kept["from_logits"] = config["from_logits"]
    smoothing = config.get("label_smoothing")
    if isinstance(smoothing, (int, float)) and not isinstance(smoothing, bool) and smoothing:
        kept["label_smoothing"] = float(smoothing)
    return kept


def metric_names(stored: Any) -> tuple[str, ...]:
    """Each metric of a ``compile`` call as written: a string as it is, a function by its name,
    a metric object by its class; a dict per output and nested lists are read through."""
    if isinstance(stored, str):
        return (stored,)
    if isinstance(stored, (list, tuple)):
        return tuple(name for item in stored for name in metric_names(item))
    if not isinstance(stored, dict):
        return ()
    if "class_name" not in stored:  # {"output": "accuracy", ...}
        return tuple(name for item in stored.values() for name in metric_names(item))
    if stored["class_name"] == "function":
        return (str(stored.get("name")),)
    return (str(stored["class_name"]),)


def metric_meaning(name: str, loss: str | None) -> str:
    """``"acc"``, and ``"categorical_accuracy"`` under categorical cross-entropy, → ``"accuracy"``:
    a metric's name as what Keras computes for it; any other name as it is."""
    if name in ACCURACY_SPELLINGS or name in ACCURACY_OF_LOSS.get(loss or "", ()):
        return ACCURACY
    return name


def history_meaning(key: str, loss: str | None) -> str:
    """A history key as what it records (``val_acc`` → ``val_accuracy``)."""
    prefix = "val_" if key.startswith("val_") else ""
    return prefix + metric_meaning(key.removeprefix(prefix), loss)


def same_setting(found: Any, wanted: Any) -> bool:
    """Whether a stored setting is the one wanted: numbers to float32's precision, others equal."""
    numbers = (int, float)
    if (
        isinstance(found, numbers)
        and isinstance(wanted, numbers)
        and not isinstance(found, bool)
        and not isinstance(wanted, bool)
    ):
        return math.isclose(found, wanted, rel_tol=FLOAT32_PRECISION, abs_tol=1e-12)
    return bool(found == wanted)
