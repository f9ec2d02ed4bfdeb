"""Kernel side: the seal, the first thing the kernel installs (its log: ``boundary/seals``).

An audit hook cannot be removed.  This one is made before the kernel imports anything of the
student's, with globals and builtins of its own (nothing the student's code can reach names
them), and it only calls C functions it captured then: the key it made lives in an OpenSSL HMAC
object that only moves forward.  It writes every event line itself (``Recorder.event`` hands it
plain data) and seals it, with every array, file and cell the kernel records; an event is written
only when the calls that led to it are the kernel's own hooks, entered from Keras, matplotlib or
the notebook (a recorder called, wrapped or replaced by student code is sealed as tampering, and
its event dropped).  Once student code may run (``arm``, the end of ``boot.main``), each seal also
compares the kernel's modules, classes, hook objects and wrappers with what they were then, and
the hook seals, as it happens, what lets code change the recording out of sight: replacing a hook
function's code or defaults, another audit hook, tracing or profiling, searching the garbage
collector, another thread's frames, native calls (``ctypes``), reading the process's memory.
"""

from __future__ import annotations

import _hashlib
import builtins
import os
import sys
import types
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from grader.boundary import seals
from grader.boundary.artifacts import EVENTS_FILE
from grader.boundary.seals import array_digest, array_label, clean_field
from grader.sandbox.kernel import seal_hook

KERNEL_MODULES = ("grader.sandbox.kernel", "grader.boundary")
# Where the kernel's hooks install wrappers: their closures are watched too.
HOOKED = ("keras", "matplotlib", "tensorflow.keras")
_OPEN_FLAGS = (
    os.O_WRONLY
    | os.O_APPEND
    | os.O_CREAT
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_NOFOLLOW", 0)
)


def _rebound(function: Any, namespace: dict[str, Any]) -> Any:
    """``function`` with ``namespace`` as its globals (and builtins): the same code, nothing the
    student's code can reach."""
    return types.FunctionType(
        function.__code__, namespace, function.__name__, function.__defaults__
    )


def install(artifacts: Path) -> None:
    """Make the key, open the log and the events file, hand the key over and add the hook."""
    key = os.urandom(32)
    private: dict[str, Any] = {"__builtins__": dict(vars(builtins)), "__name__": "grader-seal"}
    private.update({name: vars(seal_hook)[name] for name in seal_hook.PRIVATE})
    private.update({name: vars(seals)[name] for name in seals.CONSTANTS})
    for function in (array_digest, array_label, clean_field):
        private[function.__name__] = _rebound(function, private)
    private["encode"] = seal_hook.encoder(_rebound(seal_hook._unserialisable, private))
    artifacts.mkdir(parents=True, exist_ok=True)
    hook = _rebound(seal_hook.make_hook, private)(
        _hashlib.hmac_new(key, b"", "sha256"),
        _hashlib.hmac_digest(key, seals.SAMPLE_LABEL, "sha256"),
        os.open(artifacts / seals.SEALS_FILE, _OPEN_FLAGS, 0o600),
        os.open(artifacts / EVENTS_FILE, _OPEN_FLAGS, 0o600),
    )
    descriptor = os.open(artifacts / seals.KEY_FILE, _OPEN_FLAGS, 0o600)
    try:
        os.write(descriptor, key.hex().encode())
    finally:
        os.close(descriptor)
    del key
    sys.addaudithook(hook)
    sys.audit("grader.start", os.getpid())


def _codes(code: types.CodeType) -> Iterable[types.CodeType]:
    yield code
    for constant in code.co_consts:
        if isinstance(constant, types.CodeType):
            yield from _codes(constant)


def _functions(namespace: Any) -> Iterable[Any]:
    for value in list(namespace.values()):
        for function in (value, getattr(value, "__func__", None), getattr(value, "fget", None)):
            if isinstance(function, types.FunctionType):
                yield function


def _kernel_modules() -> list[types.ModuleType]:
    return [
        module
        for name, module in sorted(sys.modules.items())
        if isinstance(module, types.ModuleType) and name.startswith(KERNEL_MODULES)
    ]


def arm(instances: Iterable[Any], final_dump: Any, cell_started: Any) -> None:
    """Tell the seal that student code may run from now on: what the kernel's code is, and what
    its modules, classes, hook objects and installed wrappers hold now."""
    modules = _kernel_modules()
    classes = [
        value
        for module in modules
        for value in list(vars(module).values())
        if isinstance(value, type) and str(value.__module__).startswith(KERNEL_MODULES)
    ]
    functions = [f for namespace in map(vars, [*modules, *classes]) for f in _functions(namespace)]
    kernel_codes = {id(c): c for f in functions for c in _codes(f.__code__)}
    recorder = next(c for c in classes if c.__name__ == "Recorder")
    recorder_codes = {id(c) for f in _functions(vars(recorder)) for c in _codes(f.__code__)}
    wrappers = [
        (vars(owner), name, value, _where(owner))
        for owner in _hooked_namespaces()
        for name, value in list(vars(owner).items())
        if isinstance(value, types.FunctionType) and id(value.__code__) in kernel_codes
    ]
    instances = list(instances)
    kinds = tuple(classes)
    watched = [
        (vars(owner), str(name), value, _where(owner))
        for owner in [*modules, *classes, *instances]
        for name, value in list(vars(owner).items())
        if not any(owner is i for i in instances)
        or isinstance(value, (*kinds, types.FunctionType, types.MethodType, types.ModuleType))
    ]
    cells = [
        (cell, cell.cell_contents, f"{function.__qualname__} (closure)")
        for function in [*functions, *(value for _, _, value, _ in wrappers)]
        for cell in function.__closure__ or ()
        if _filled(cell)
    ]
    shadowed = [
        (vars(instance), _method_names(type(instance)), _where(instance)) for instance in instances
    ]
    keys = [(vars(cls), frozenset(vars(cls)), _where(cls)) for cls in classes]
    guarded = {id(f): f"{f.__module__}.{f.__qualname__}" for f in functions}
    guarded.update({id(i): _where(i) for i in instances})
    sys.audit(
        "grader.arm",
        (tuple(kernel_codes.values()), frozenset(kernel_codes), frozenset(recorder_codes)),
        (tuple([*watched, *wrappers]), tuple(cells), tuple(shadowed), tuple(keys)),
        (id(final_dump.__code__), id(cell_started.__code__)),
        guarded,
    )


def _method_names(cls: type) -> frozenset[str]:
    return frozenset(
        name
        for name, value in vars(cls).items()
        if isinstance(value, (types.FunctionType, property, staticmethod, classmethod))
    )


def _filled(cell: Any) -> bool:
    try:
        cell.cell_contents
    except ValueError:
        return False
    return True


def _where(owner: Any) -> str:
    if isinstance(owner, (types.ModuleType, type)):
        return str(owner.__name__)
    return f"the {type(owner).__name__} object"


def _hooked_namespaces() -> list[Any]:
    found: list[Any] = []
    for name, module in list(sys.modules.items()):
        if not isinstance(module, types.ModuleType) or not name.startswith(HOOKED):
            continue
        found.append(module)
        found += [
            value
            for value in list(vars(module).values())
            if isinstance(value, type) and getattr(value, "__module__", None) == name
        ]
    return found
