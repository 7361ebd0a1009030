"""The sandbox's child: runs student code on the grader's request. Untrusted.

Loaded by the fork server (forkserver.py) before any sandbox exists; each
sandbox's child process calls `main(MAX_RESULT_BYTES, BULK_BYTES)` after isolating
itself (supervisor.py), with requests on fd 3 and responses on fd 4 (stdout/stderr
go to a capped log nobody parses), and on fd 5 a memfd shared with the grader
through which the arrays of callbacks travel. It holds the student's namespace (chunks
executed one at a time) and a table of objects that cannot cross the wire.
Nothing here is trusted by the grader: the student can patch this very module,
so the grader decodes every response strictly.
"""

import ast
import builtins
import importlib
import importlib.util
import os
import random
import sys
import threading
import traceback
import types

import numpy as np  # numpy first: the student's chunks then import it for free
import wire  # the fork server puts this directory on sys.path while it imports us

REQUESTS, RESPONSES, BULK = 3, 4, 5
SHARED: dict[str, memoryview | None] = {"bulk": None}  # the shared memory for callbacks' arrays, mapped in main()
# "__main__", as in a notebook: code that checks __name__ runs as it did for the student
NAMESPACE = {"__name__": "__main__", "__builtins__": builtins}
OBJECTS: dict[int, object] = {}
# what a private chunk (the grader's own helpers) defined: called by the grader by name, not
# in the namespace student code runs in, so student code cannot rebind it between two calls
PRIVATE: dict[str, object] = {}
KEPT: dict[int, int] = {}  # id(object) -> handle number
LABELS: dict[str, str] = {}  # chunk file -> label, for error locations


def keep(obj):
    """Store a value that cannot cross the wire; send a handle instead (the same
    handle each time for the same object)."""
    number = KEPT.get(id(obj))
    if number is None:
        number = KEPT[id(obj)] = len(OBJECTS) + 1
        OBJECTS[number] = obj  # kept alive, so id(obj) stays unique
    return ["handle", number, type(obj).__name__[:80]]


class LazyModule(types.ModuleType):
    """Stands for `import matplotlib.pyplot as plt` until the student's code first
    uses it: notebooks import plotting libraries their graded functions never
    touch, and importing pyplot costs ~1 s of CPU per submission."""

    def __init__(self, bind, load):
        super().__init__(bind)
        self.__dict__["_lazy_load"] = load

    def __getattr__(self, attr):
        load = self.__dict__["_lazy_load"]
        importlib.import_module(load)
        return getattr(sys.modules[self.__name__], attr)


def lazy_import(source) -> bool:
    """Bind the names of a plain third-party `import a.b [as c]` chunk lazily -> done?"""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return False
    if len(tree.body) != 1 or type(tree.body[0]) is not ast.Import:
        return False
    aliases = tree.body[0].names
    tops = [a.name.split(".")[0] for a in aliases]
    if any(t in sys.modules or t in sys.stdlib_module_names for t in tops):
        return False  # already loaded or cheap: import for real
    for alias, top in zip(aliases, tops):
        if importlib.util.find_spec(top) is None:  # fail now, as the real import would
            raise ModuleNotFoundError(f"No module named '{top}'")
        bind = alias.name if alias.asname else top
        NAMESPACE[alias.asname or top] = LazyModule(bind, alias.name)
    return True


class GraderFunctionError(Exception):
    """A function the grader provides (see bind_callbacks) failed on the arguments it was given."""


GRADER_CALL = threading.Lock()  # one callback at a time: the frames of two threads must not interleave
IN_CAPS = wire.TRUSTED  # the grader is trusted to send what it means to


def grader_function(name, max_bytes):
    """A stand-in for the grader's function `name`: the call goes to the grader over the
    wire, with plain data only (arrays up to max_bytes); the function's code never comes here."""
    caps = wire.Caps(max_bytes=max_bytes)

    def call(*args, **kwargs):
        try:
            tree, buffers = wire.encode((list(args), kwargs), caps=caps)
        except wire.WireError as exc:
            raise TypeError(
                f"{name}() takes plain data only (numbers, strings, numpy arrays of numbers, "
                f"tuples, lists, dicts with str keys): {exc}"
            ) from None
        with GRADER_CALL:
            bulk = SHARED["bulk"]
            wire.write_frame(RESPONSES, wire.frame({"kind": "callback", "name": name, "value": tree}, buffers, bulk))
            header, arrays = wire.read_frame(REQUESTS, IN_CAPS, bulk=bulk)
        if header.get("kind") == "return":
            return wire.decode(header["value"], arrays, caps=IN_CAPS)
        raise GraderFunctionError(header.get("message", f"{name}() failed"))

    call.__name__ = call.__qualname__ = name
    call.__module__ = "__grader__"
    return call


def resolve(handle_id, _type_name):
    if handle_id not in OBJECTS:
        raise wire.WireError(f"no object #{handle_id} in this sandbox")
    return OBJECTS[handle_id]


def student_error(exc: BaseException) -> dict:
    """An exception raised by student code -> the error response."""
    try:
        message = str(exc)[:2000]
    except BaseException:  # a student __str__ may itself raise
        message = "<unprintable message>"
    where, frames = "", traceback.extract_tb(exc.__traceback__)
    for fr in frames:
        if fr.filename in LABELS:
            where = f"{LABELS[fr.filename]}, line {fr.lineno}"
    lines = traceback.format_list([f for f in frames if f.filename in LABELS])[-5:]
    return {
        "kind": "error",
        "type": type(exc).__name__[:80],
        "message": message,
        "where": where,
        "traceback": "".join(lines)[-4000:],
    }


def run(header, args):
    op, name = header.get("op"), header.get("name", "")
    if op == "exec":
        LABELS[name] = header.get("label", name)
        with open(name, encoding="utf-8") as f:
            source = f.read()
        before = set(NAMESPACE) if header.get("private") else None
        if not lazy_import(source):
            exec(compile(source, name, "exec", dont_inherit=True), NAMESPACE)
        for key in set(NAMESPACE) - before if before is not None else ():
            PRIVATE[key] = NAMESPACE.pop(key)
        return None
    if op == "call":
        fn = PRIVATE.get(name) or NAMESPACE.get(name)
        if fn is None:
            raise NameError(f"name '{name}' is not defined")
        return fn(*args[0], **args[1])
    if op == "new":
        cls = NAMESPACE.get(name)
        if cls is None:
            raise NameError(f"name '{name}' is not defined")
        return keep(cls(*args[0], **args[1]))
    if op == "method":
        return getattr(args[0], name)(*args[1], **args[2])
    if op == "getattr":
        return getattr(args, name)
    if op == "setattr":
        setattr(args[0], name, args[1])
        return None
    if op == "store":
        return keep(args)
    if op == "bind":  # names whose calls go to the grader
        for callback in args["names"]:
            NAMESPACE[callback] = grader_function(callback, args["max_bytes"])
        return None
    if op == "seed":
        np.random.seed(args)
        random.seed(args)
        return None
    raise wire.WireError(f"unknown op {op!r}")


def respond(header, result, caps):
    try:
        tree, buffers = (
            (result, []) if header.get("op") in ("new", "store") else wire.encode(result, on_other=keep, caps=caps)
        )
        pieces = wire.frame({"kind": "ok", "value": tree}, buffers)
    except wire.WireError as exc:
        pieces = wire.frame({"kind": "bad", "message": str(exc)}, [])
    wire.write_frame(RESPONSES, pieces)


def main(max_result_bytes: int, bulk_bytes: int = 0):
    if bulk_bytes:
        import mmap

        SHARED["bulk"] = memoryview(mmap.mmap(BULK, bulk_bytes))
    caps = wire.Caps(max_bytes=max_result_bytes)
    in_caps = IN_CAPS
    wire.write_frame(RESPONSES, wire.frame({"kind": "hello", "pid": os.getpid()}, []))
    while True:
        try:
            header, arrays = wire.read_frame(REQUESTS, in_caps)
        except EOFError:
            return
        try:
            args = wire.decode(header.get("value", ["none"]), arrays, on_handle=resolve, caps=in_caps)
            result = run(header, args)
            if header.get("echo"):
                result = (result, list(args[0] if header["op"] == "call" else args[1]))
        except BaseException as exc:  # SystemExit and KeyboardInterrupt too: the student's, not ours
            wire.write_frame(RESPONSES, wire.frame(student_error(exc), []))
            continue
        respond(header, result, caps)
