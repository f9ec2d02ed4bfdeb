"""``alike``: an exercise's copy of the shared functions of ``reference.common``.

    compile_model, train, evaluate = alike(globals(), "compile_model", "train", "evaluate")

Each copy runs the shared code with the exercise module's globals, so ``LOSS`` or
``BATCH_SIZE`` in it are the exercise's own.  ``reference.notebooks`` writes such a line
as the shared functions' text, each under the name it is bound to.
"""

import types
from collections.abc import Callable
from typing import Any

from reference import common

MODULE = common.__name__


def alike(namespace: dict[str, Any], *names: str) -> tuple[Callable[..., Any], ...]:
    """The functions ``names`` of ``reference.common``, reading their constants from ``namespace``."""
    functions = []
    for name in names:
        shared = getattr(common, name)
        bound = types.FunctionType(shared.__code__, namespace, shared.__name__, shared.__defaults__, shared.__closure__)
        bound.__annotations__, bound.__doc__, bound.__module__ = shared.__annotations__, shared.__doc__, namespace["__name__"]
        functions.append(bound)
    return tuple(functions)
