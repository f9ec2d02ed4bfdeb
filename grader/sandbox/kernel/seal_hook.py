"""Kernel side: the seal's audit hook itself (installed by ``sealing.install``).

It is made in globals of its own: the names below are copied into them when the kernel starts, so
what the hook calls is what was captured then, whatever the notebook later does to this module.
It calls nothing but C functions: the notebook's code never runs inside it, and a frame of it is
never left where the notebook could reach it.
"""

from __future__ import annotations

import _hashlib
import _json
import _thread
import os
import sys
from typing import Any

import numpy

from grader.boundary import seals
from grader.boundary.seals import array_digest, array_label, clean_field

# Audit events that let code change the recording out of sight (once student code may run).
WATCHED_EVENTS = frozenset(
    (
        "sys.addaudithook sys.settrace sys.setprofile gc.get_objects gc.get_referrers "
        "gc.get_referents sys._current_frames ctypes.dlopen ctypes.dlsym ctypes.dlsym/handle "
        "ctypes.call_function ctypes.cdata ctypes.cdata/buffer ctypes.addressof ctypes.string_at "
        "ctypes.wstring_at ctypes.PyObj_FromPtr"
    ).split()
)


def _unserialisable(value: Any) -> Any:
    raise TypeError("not plain data")


def encoder(unserialisable: Any) -> Any:
    """``json.dumps(value, allow_nan=False)`` in C: nothing of the json module is looked up."""
    return _json.make_encoder(
        {}, unserialisable, _json.encode_basestring_ascii, None, ": ", ", ", False, False, False
    )


# What the hook calls, captured when the kernel starts; the hook sees them in globals of its own.
SEP = seals.FIELD_SEPARATOR
MARKER = seals.FINAL_MARKER
WATCHED = WATCHED_EVENTS
MISSING = object()
write = os.write
getframe = sys._getframe
thread_id = _thread.get_ident
lock = _thread.allocate_lock()
sha256 = _hashlib.openssl_sha256
hmac_digest = _hashlib.hmac_digest
encode: Any = (
    None  # made by ``encoder`` when the seal is installed, with its own ``_unserialisable``
)
ndarray = numpy.ndarray
as_bytes = numpy.ndarray.tobytes
flags_of = numpy.ndarray.flags.__get__
dtype_of = numpy.ndarray.dtype.__get__
shape_of = numpy.ndarray.shape.__get__
str_find = str.find
code_type = type(_unserialisable.__code__)
str_repr = str.__repr__
PRIVATE = (
    "SEP MARKER WATCHED MISSING write getframe thread_id lock sha256 hmac_digest encode ndarray "
    "as_bytes flags_of dtype_of shape_of str_find str_repr code_type"
).split()


def make_hook(state: Any, sample_key: bytes, log_fd: int, events_fd: int) -> Any:
    """The hook, to be called with the seal's own globals (``sealing.install``)."""
    armed: list[Any] = []
    said: set[str] = set()
    # The hook's own code: the frame out of it is the caller of ``sys.audit``.
    own_code: list[Any] = []
    busy: set[int] = set()
    own_frames: set[int] = set()
    # The final cell: its nonce, the file names its source was parsed under, and the code IPython
    # then runs (the first code of one of those names to be run: the one the final dump must be
    # called from).
    final: dict[str, Any] = {"nonce": "", "code": None}
    marked: set[str] = set()

    def emit(*fields: str, before: bytes = b"") -> None:
        """Seal one line; ``before``: an event line, written first under the same lock (so the
        events file and the log keep one order)."""
        body = SEP.join(fields)
        data = (body + "\n").encode("utf-8", "backslashreplace")
        with lock:
            if before:
                try:
                    write(events_fd, before)
                except OSError:
                    pass
            state.update(data)
            line = (body + SEP + state.hexdigest() + "\n").encode("utf-8", "backslashreplace")
            try:
                write(log_fd, line)
            except OSError:
                pass

    def tamper(what: str) -> None:
        if what not in said:
            said.add(what)
            emit("tamper", clean_field(what))

    def check_bindings() -> None:
        watched, cells, shadowed, keys = armed[1]
        for mapping, name, value, where in watched:
            if mapping.get(name, MISSING) is not value:
                tamper("replaced " + where + "." + name)
        for cell, value, where in cells:
            try:
                now = cell.cell_contents
            except ValueError:
                now = MISSING
            if now is not value:
                tamper("replaced a name in " + where)
        for mapping, names, where in shadowed:
            for name in mapping:
                if type(name) is str and name in names:
                    tamper("replaced " + where + "." + name)
        for mapping, names, where in keys:
            for name in mapping:
                if not (type(name) is str and name in names):
                    tamper("added " + where + "." + str_repr(str(name)))

    def chain() -> tuple[list[Any], Any]:
        """The kernel's own frames from the caller of ``sys.audit`` outwards (the frame out of the
        hook's), and the first other one."""
        me = thread_id()
        own_frames.add(me)
        try:
            frame: Any = getframe(1)
        finally:
            own_frames.discard(me)
        while frame is not None and frame.f_code is not own_code[0]:
            frame = frame.f_back
        frame = frame.f_back if frame is not None else None
        run = []
        while frame is not None and id(frame.f_code) in armed[0][1]:
            run.append(frame.f_code)
            frame = frame.f_back
        return run, frame

    def from_hooks(what: str) -> bool:
        """Whether the record being sealed comes from the kernel's hooks (else sealed as
        tampering)."""
        if not armed:
            return True
        run, caller = chain()
        if not run or id(run[0]) not in armed[0][2] or id(run[-1]) in armed[0][2]:
            tamper("recorded by other code: " + what)
            return False
        if id(run[-1]) == armed[2][0] and not final_cell(caller):
            tamper("the final dump called by other code")
            return False
        check_bindings()
        return True

    def final_cell(frame: Any) -> bool:
        return frame is not None and final["code"] is not None and frame.f_code is final["code"]

    def on_event(args: tuple[Any, ...]) -> None:
        if len(args) != 2 or type(args[0]) is not str or type(args[1]) is not dict:
            tamper("an event of the wrong shape")
            return
        if not from_hooks("event " + clean_field(args[0], 40)):
            return
        try:
            line = "".join(encode(args[1], 0)) + "\n"
        except (TypeError, ValueError, RecursionError):
            tamper("an event that is not plain data")
            return
        data = line.encode("utf-8", "backslashreplace")
        emit("event", sha256(data[:-1]).hexdigest(), before=data)

    def on_array(args: tuple[Any, ...]) -> None:
        if len(args) != 2 or type(args[0]) is not str or not isinstance(args[1], ndarray):
            tamper("an array of the wrong shape")
            return
        name, data = args
        if not from_hooks("array"):
            return
        label = array_label(dtype_of(data).str, shape_of(data))
        try:
            flat = memoryview(data).cast("B") if flags_of(data).c_contiguous else as_bytes(data)
        except (TypeError, ValueError):
            flat = as_bytes(data)
        digest = array_digest(flat, label, sample_key, hmac_digest, sha256)
        emit("array", clean_field(name), label, digest)

    def on_file(args: tuple[Any, ...]) -> None:
        if len(args) != 2 or type(args[0]) is not str or type(args[1]) is not bytes:
            tamper("a file of the wrong shape")
            return
        if from_hooks("file"):
            emit("file", clean_field(args[0]), sha256(args[1]).hexdigest())

    def on_compile(args: tuple[Any, ...]) -> None:
        if not armed or len(args) != 2 or type(args[1]) is not str or len(marked) >= 8:
            return
        source = args[0]
        if type(source) is bytes:
            source = source.decode("utf-8", "replace")
        if type(source) is str and str_find(source, MARKER) >= 0:
            marked.add(args[1])
            if not final["nonce"]:
                at = str_find(source, MARKER) + len(MARKER)
                final["nonce"] = clean_field(source[at:].strip(), 80)

    def on_exec(args: tuple[Any, ...]) -> None:
        code = args[0] if len(args) == 1 else None
        if final["code"] is None and type(code) is code_type and code.co_filename in marked:
            final["code"] = code

    def on_end(args: tuple[Any, ...]) -> None:
        if not armed:
            return
        run, caller = chain()
        if len(run) != 1 or id(run[0]) != armed[2][0] or not final_cell(caller):
            tamper("the end of the final dump sealed by other code")
            return
        check_bindings()
        emit("end", final["nonce"], "ok" if args and args[0] is True else "error")

    def on_cell(args: tuple[Any, ...]) -> None:
        if not armed:
            return
        run, _ = chain()
        if len(args) == 1 and type(args[0]) is str and run and id(run[0]) == armed[2][1]:
            emit("cell", sha256(args[0].encode("utf-8", "backslashreplace")).hexdigest())

    def on_arm(args: tuple[Any, ...]) -> None:
        if not armed:
            armed.extend(args)

    handlers = {
        "grader.event": on_event,
        "grader.array": on_array,
        "grader.file": on_file,
        "grader.end": on_end,
        "grader.cell": on_cell,
        "grader.arm": on_arm,
        "compile": on_compile,
        "exec": on_exec,
    }

    def hook(event: str, args: tuple[Any, ...]) -> None:
        """Never raises: a hook that raises makes the audited call fail."""
        try:
            react(event, args)
        except Exception as exc:  # noqa: BLE001
            try:
                emit("fault", clean_field(event + ": " + type(exc).__name__, 120))
            except Exception:  # noqa: BLE001 - out of memory, out of stack
                pass

    def react(event: str, args: tuple[Any, ...]) -> None:
        me = thread_id()
        if event == "sys._getframe" and me in own_frames:
            return
        if me in busy:
            # What the seal's own work raises (its ``id``s, a frame's code) is no news; anything
            # else means the notebook's code ran while the seal was at work, and asked for it.
            if event != "builtins.id" and not (
                event == "object.__getattr__" and len(args) == 2 and args[1] == "f_code"
            ):
                tamper("code ran inside the seal: " + clean_field(event, 60))
            return
        handler = handlers.get(event)
        if handler is None:
            if armed and event in WATCHED:
                tamper(event)
            elif armed and event in ("object.__setattr__", "object.__delattr__"):
                label = armed[3].get(id(args[0])) if len(args) > 1 else None
                if label is not None:
                    name = args[1] if type(args[1]) is str else "an attribute"
                    tamper("changed " + name + " of " + label)
            elif armed and event == "open" and args and type(args[0]) is str:
                if args[0].startswith("/proc/") and args[0].endswith("/mem"):
                    tamper("opened " + clean_field(args[0], 60))
            elif event == "grader.start" and not said:
                said.add("start")
                emit("start", str(args[0]) if args else "")
            return
        busy.add(me)
        try:
            handler(args)
        finally:
            busy.discard(me)

    own_code.append(hook.__code__)
    return hook
