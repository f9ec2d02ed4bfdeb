"""Kernel side: Keras 1's argument names, and an optimizer's ``lr=``, read as today's.

``Dense(output_dim=)``, ``border_mode=``, ``init=``, ``subsample=``, ``nb_filter=`` (each on the
layers that take the new name and not the old: ``Embedding``'s own ``output_dim`` stays),
``fit(nb_epoch=)``, ``to_categorical(nb_classes=)``, ``Adam(lr=)``: renamed, each use recorded.
A call that gives an old name and its new one both, by keyword or position, is refused (which one
was meant is not certain). ``Convolution2D(32, 3, 3)`` is Keras 1's filters, rows, columns.
Installed by ``legacy_apis``.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable
from typing import Any

from grader.boundary.legacy_apis import LAYER_ARGUMENTS, TWICE_MESSAGE

Record = Callable[..., None]
OPTIMIZER_ARGUMENTS = {"lr": "learning_rate"}
FIT_ARGUMENTS = {"nb_epoch": "epochs"}
TO_CATEGORICAL_ARGUMENTS = {"nb_classes": "num_classes"}


def used(record: Record, name: str) -> None:
    """Record one use of the old API ``name`` (``boundary.legacy_apis.LEGACY_APIS``)."""
    record("legacy_api", name=name)


def _positional(function: Callable[..., Any]) -> list[str]:
    """The names ``function``'s positional arguments fill, in order."""
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return [p.name for p in inspect.signature(function).parameters.values() if p.kind in kinds]


def _renamer(
    call: str, function: Callable[..., Any], renames: dict[str, str], record: Record
) -> Callable[[tuple[Any, ...], dict[str, Any]], dict[str, Any]]:
    """What renames the keyword arguments of a call to ``function`` (its positional arguments
    ``args`` fill the first names): each old name given becomes its new one, recorded; an old name
    given with its new one (by keyword or position) is refused."""
    names = _positional(function)

    def rename(args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        filled = set(names[: len(args)])
        for old, new in renames.items():
            if old not in kwargs:
                continue
            if new in kwargs or new in filled:
                raise TypeError(TWICE_MESSAGE.format(call=call, old=old, new=new))
            kwargs[new] = kwargs.pop(old)
            used(record, old)
        return kwargs

    return rename


def _renaming_init(cls: type, renames: dict[str, str], record: Record) -> None:
    """``cls.__init__`` taking the old names too.  Not ``functools.wraps``: Keras reads
    ``__init__``'s own signature to record a layer's arguments, and this one takes them all."""
    original = vars(cls).get("__init__") or getattr(cls, "__init__")
    rename = _renamer(cls.__name__, original, renames, record)

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **rename((self, *args), kwargs))

    __init__.__doc__, __init__.__qualname__ = original.__doc__, original.__qualname__
    cls.__init__ = __init__  # type: ignore[misc]


def _renaming_function(
    function: Callable[..., Any], renames: dict[str, str], record: Record
) -> Callable[..., Any]:
    rename = _renamer(function.__name__, function, renames, record)

    def renaming(*args: Any, **kwargs: Any) -> Any:
        return function(*args, **rename(args, kwargs))

    renaming.__name__, renaming.__doc__ = function.__name__, function.__doc__
    return renaming


def _takes(cls: type, name: str) -> bool:
    try:
        return name in inspect.signature(getattr(cls, "__init__")).parameters
    except (TypeError, ValueError):
        return False


def rename_layer_arguments(keras: Any, record: Record) -> None:
    """Layers that take a Keras 1 argument's new name and not the old one accept the old one."""
    for value in vars(keras.layers).values():
        if not (isinstance(value, type) and issubclass(value, keras.layers.Layer)):
            continue
        renames = {
            old: new
            for old, new in LAYER_ARGUMENTS.items()
            if _takes(value, new) and not _takes(value, old)
        }
        if renames:
            _renaming_init(value, renames, record)
    for value in vars(keras.optimizers).values():
        if isinstance(value, type) and issubclass(value, keras.optimizers.Optimizer):
            if _takes(value, "learning_rate") and value is not keras.optimizers.Optimizer:
                _renaming_init(value, OPTIMIZER_ARGUMENTS, record)


def keras1_convolution(conv2d: type, record: Record) -> Callable[..., Any]:
    """``Convolution2D(filters, rows, columns, ...)``, Keras 1's form, as ``Conv2D``."""

    def Convolution2D(*args: Any, **kwargs: Any) -> Any:  # noqa: N802 - Keras's name
        rows, columns = kwargs.pop("nb_row", None), kwargs.pop("nb_col", None)
        if rows is not None and columns is not None and "kernel_size" not in kwargs:
            kwargs["kernel_size"] = (rows, columns)
            used(record, "convolution2d_rows_cols")
        elif (
            len(args) == 3 and all(isinstance(a, int) for a in args) and "kernel_size" not in kwargs
        ):
            args = (args[0], (args[1], args[2]))
            used(record, "convolution2d_rows_cols")
        return conv2d(*args, **kwargs)

    Convolution2D.__doc__ = "Keras 1's Convolution2D(filters, rows, columns), as Conv2D."
    return Convolution2D


def _replace_everywhere(original: Any, replacement: Any, name: str) -> None:
    """``replacement`` wherever Keras exposes ``original`` under ``name``: its own source module
    too, so a public module imported later (``tensorflow.keras.utils``) takes it from there."""
    for module_name, module in list(sys.modules.items()):
        if (
            module_name.split(".")[0] == "keras" or module_name.startswith("tensorflow.keras")
        ) and getattr(module, name, None) is original:
            setattr(module, name, replacement)


def rename_fit_and_to_categorical(keras: Any, record: Record) -> None:
    model = keras.Model
    model.fit = _renaming_function(model.fit, FIT_ARGUMENTS, record)
    original = keras.utils.to_categorical
    _replace_everywhere(
        original, _renaming_function(original, TO_CATEGORICAL_ARGUMENTS, record), "to_categorical"
    )
