"""The student's compile settings rebuilt with Keras, for the grader's own training: an optimizer
of a fixed list of classes with its plain settings (a learning-rate schedule rebuilt from its own),
a loss by its Keras name with the settings of the student's loss object.

Only names from ``keras_names`` and plain values from ``compile_forms`` reach Keras here.
"""

from __future__ import annotations

import inspect
from typing import Any

from grader.model.compile_forms import learning_rate_schedule
from grader.model.keras_names import optimizer_settings


def rebuilt_optimizer(keras: Any, name: str, optimizer: Any) -> Any:
    """The optimizer of Keras's class ``name`` with the student's settings, a learning-rate
    schedule rebuilt from its plain settings."""
    settings: dict[str, Any] = optimizer_settings(optimizer)
    schedule = learning_rate_schedule(optimizer)
    if schedule is not None:
        cls = getattr(keras.optimizers.schedules, schedule["class_name"])
        accepted = set(inspect.signature(cls.__init__).parameters)
        settings["learning_rate"] = cls(
            **{k: v for k, v in schedule["config"].items() if k in accepted}
        )
    return getattr(keras.optimizers, name)(**settings)


def rebuilt_loss(keras: Any, name: str, settings: dict[str, Any]) -> Any:
    """The loss by its Keras name, with the settings of the student's loss object its class
    takes (``from_logits``, ``label_smoothing``)."""
    if not settings:
        return name
    cls = getattr(keras.losses, "".join(part.title() for part in name.split("_")))
    accepted = set(inspect.signature(cls.__init__).parameters)
    return cls(**{k: v for k, v in settings.items() if k in accepted})
