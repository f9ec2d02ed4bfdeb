"""Assertion helpers for an assignment's own pytest checks (``assignments/<name>/test_*.py``).

Each helper raises ``CheckFailure`` carrying a catalog message, so a custom check fails
with the same expected / found / how-to-fix text, in Japanese or English, as a built-in
one.  ``fail`` takes the instructor's own words, as a string or ``{"en": ..., "ja": ...}``.
A plain ``assert`` works too; its failure is reported with pytest's explanation.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NoReturn

import numpy as np

from grader.outcome import Message

Text = str | dict[str, str]


class CheckFailure(AssertionError):
    """A custom check failed; ``message`` says what was expected, what was found, how to fix it."""

    def __init__(self, message: Message) -> None:
        super().__init__(message.key)
        self.message = message


__all__ = [
    "fail",
    "assert_shape",
    "assert_dtype",
    "assert_one_hot",
    "assert_layers",
    "assert_params",
    "assert_at_least",
]


def fail(expected: Text, found: Text, fix: Text) -> NoReturn:
    """Fail with the instructor's own expected / found / fix (each a string or ``{lang: text}``)."""
    raise CheckFailure(Message("custom.free", {"expected": expected, "found": found, "fix": fix}))


def _shape_of(value: Any) -> tuple[int, ...]:
    return tuple(int(d) for d in (value.shape if hasattr(value, "shape") else value))


def _shape_text(shape: Sequence[int | None]) -> str:
    return (
        "("
        + ", ".join("N" if d is None else str(d) for d in shape)
        + ("," if len(shape) == 1 else "")
        + ")"
    )


def assert_shape(array: Any, shape: Sequence[int | None], name: str = "array") -> None:
    """``array`` (or a shape) has ``shape``; ``None`` in ``shape`` matches any size."""
    found = _shape_of(array)
    if len(found) != len(shape) or any(
        want is not None and have != want for have, want in zip(found, shape)
    ):
        raise CheckFailure(
            Message(
                "assert.shape",
                {"name": name, "found": _shape_text(found), "expected": _shape_text(shape)},
            )
        )


def assert_dtype(array: Any, dtype: str, name: str = "array") -> None:
    if str(array.dtype) != str(np.dtype(dtype)):
        raise CheckFailure(
            Message(
                "assert.dtype",
                {"name": name, "found": str(array.dtype), "expected": str(np.dtype(dtype))},
            )
        )


def assert_one_hot(labels: Any, classes: int, name: str = "labels") -> None:
    """``labels`` is one-hot: shape ``(N, classes)``, values 0 or 1, exactly one 1 per row."""
    array = np.asarray(labels)
    if array.ndim != 2 or array.shape[1] != classes:
        raise CheckFailure(
            Message(
                "assert.one_hot",
                {"name": name, "classes": classes, "found": f"shape {_shape_text(array.shape)}"},
            )
        )
    if (
        array.dtype.kind not in "biuf"
        or not np.isin(array, (0, 1)).all()
        or not np.allclose(array.sum(axis=1), 1)
    ):
        raise CheckFailure(
            Message(
                "assert.one_hot",
                {"name": name, "classes": classes, "found": "values other than a single 1 per row"},
            )
        )


def assert_layers(model: Any, class_names: Sequence[str]) -> None:
    """The model's layer classes are exactly ``class_names``, in order (``model`` fixture)."""
    found = tuple(layer.class_name for layer in model.layers)
    if found != tuple(class_names):
        raise CheckFailure(
            Message(
                "assert.layers",
                {"found": " → ".join(found) or "(none)", "expected": " → ".join(class_names)},
            )
        )


def assert_params(model: Any, total: int) -> None:
    """The model has ``total`` parameters, as counted by the grader's own rebuild."""
    if model.total_params != total:
        found = "unknown" if model.total_params is None else f"{model.total_params:,}"
        raise CheckFailure(Message("assert.params", {"found": found, "expected": f"{total:,}"}))


def assert_at_least(value: float | None, minimum: float, name: str) -> None:
    """``value`` (e.g. the ``accuracy`` fixture) is at least ``minimum``."""
    if value is None or value < minimum:
        raise CheckFailure(
            Message(
                "assert.at_least",
                {
                    "name": name,
                    "found": "none" if value is None else f"{value:.4g}",
                    "expected": f"{minimum:g}",
                },
            )
        )
