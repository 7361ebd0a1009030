"""The sandbox wire format: a JSON header plus raw array bytes. No pickle.

One frame = 4-byte big-endian header length, the header (UTF-8 JSON), then the
raw bytes of every array listed in `header["buffers"]`, in order. Values are
tagged JSON lists, so nothing is ever guessed from a JSON type:

    ["none"]  ["bool", true]  ["int", "123"]  ["float", "1.5"]  ["str", "s"]
    ["array", i]  ["scalar", i]       buffer i = header["buffers"][i] = [dtype, shape]
    ["tuple", [...]]  ["list", [...]]  ["dict", [["key", value], ...]]
    ["handle", id, "TypeName"]        an object that stays in the child

This file is shared: the grader imports it, and so does the sandbox's fork
server, before any student code exists (the child never sees the repository). Decoding is strict
(dtype whitelist, caps on sizes, items and depth) because the grader treats
every byte from the child as hostile: anything else raises WireError.
"""

from __future__ import annotations

import json
import os
import select
import struct
import time
from dataclasses import dataclass

import numpy as np

# Plain numeric dtypes only: no object, str, void/structured, datetime or complex.
DTYPES = frozenset(
    ["bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float16", "float32", "float64"]
)
_LEN = struct.Struct(">I")
WRITEV_MAX = 512  # pieces per writev(2) call (IOV_MAX is 1024 on Linux)
BULK_ALIGN = 64  # arrays in shared memory start on cache-line boundaries
_ITEMSIZE = {name: np.dtype(name).itemsize for name in DTYPES}
_BY_KIND_AND_SIZE = {(np.dtype(name).kind, np.dtype(name).itemsize): name for name in DTYPES}


class WireError(Exception):
    """A frame or value that does not follow the format or breaks a cap."""


@dataclass(frozen=True)
class Caps:
    """Upper bounds a decoder enforces before allocating anything."""

    max_bytes: int = 256 * 2**20  # all arrays of one frame together
    max_header: int = 8 * 2**20  # JSON header bytes
    max_items: int = 200_000  # nodes in the value tree
    max_depth: int = 24  # nesting of tuples/lists/dicts
    max_str: int = 100_000  # characters of one string
    max_ndim: int = 32


TRUSTED = Caps(max_bytes=2**40)  # what the grader sends: it is trusted to mean it


@dataclass(frozen=True)
class Handle:
    """An object living in the sandbox's child process (a student class instance,
    a cache that is not plain data...). Pass it back as an argument; it is only
    valid in the child `generation` it was made in."""

    id: int
    type_name: str
    generation: int = 0

    def __repr__(self) -> str:
        return f"<Handle #{self.id} {self.type_name}>"


# ------------------------------------------------------------------ encoding


def dtype_name(dtype: np.dtype) -> str | None:
    """The wire name of a plain numeric dtype, whatever its byte order; None for anything
    else (object, str, structured, datetime, complex, long double...). A table lookup:
    dtype.name costs microseconds, and a callback round trip asks a dozen times."""
    return _BY_KIND_AND_SIZE.get((dtype.kind, dtype.itemsize))


def _plain_array(v) -> bool:
    return type(v) is np.ndarray and dtype_name(v.dtype) is not None


def _plain_scalar(v) -> bool:
    return isinstance(v, np.generic) and type(v).__module__ == "numpy" and dtype_name(v.dtype) is not None


def encode(value, *, on_other=None, caps: Caps = Caps()):
    """value -> (tagged tree, [arrays]). Exact types only (subclasses are not
    plain data: a float subclass may lie in __eq__). Anything else goes to
    `on_other(obj) -> node` (the child stores it and sends a handle); without
    it, WireError."""
    buffers: list[np.ndarray] = []
    count = [0, 0]  # nodes, array bytes

    def enc(v, depth):
        count[0] += 1
        if count[0] > caps.max_items or depth > caps.max_depth:
            raise WireError("value too large or too deeply nested")
        t = type(v)
        if v is None:
            return ["none"]
        if t is bool:
            return ["bool", v]
        if t is int:
            if abs(v) >= 10**1000:
                raise WireError("integer too large")
            return ["int", str(v)]
        if t is float:
            return ["float", repr(v)]
        if t is str:
            if len(v) > caps.max_str:
                raise WireError(f"string longer than {caps.max_str} characters")
            return ["str", v]
        if t is Handle:
            return ["handle", v.id, v.type_name[:80]]
        if _plain_array(v) or _plain_scalar(v):
            count[1] += v.nbytes  # checked before any copy: a broadcast view may claim terabytes
            if count[1] > caps.max_bytes:
                raise WireError(f"arrays larger than {caps.max_bytes} bytes in total")
            a = np.asarray(v)  # 0-d stays 0-d
            if not (a.dtype.isnative and a.flags.c_contiguous):
                a = np.ascontiguousarray(a, dtype=a.dtype.newbyteorder("="))
            buffers.append(a)
            return ["array" if t is np.ndarray else "scalar", len(buffers) - 1]
        if t in (tuple, list):
            return [t.__name__, [enc(x, depth + 1) for x in v]]
        if t is dict and all(type(k) is str for k in v):
            return ["dict", [[k, enc(x, depth + 1)] for k, x in v.items()]]
        if on_other is None:
            raise WireError(f"cannot send a value of type {t.__name__}")
        return on_other(v)

    return enc(value, 0), buffers


def frame(header: dict, buffers: list[np.ndarray], bulk: memoryview | None = None) -> list[bytes | memoryview]:
    """Header + buffers -> the byte pieces to write, in order. With `bulk` (shared memory
    the reader maps too) the array bytes are copied there, at bulk_offsets(), and only the
    header travels through the pipe (header["bulk"] says so); arrays that do not fit go
    through the pipe as usual."""
    specs = [[dtype_name(b.dtype), list(b.shape)] for b in buffers]
    # b.data is memoryview(b) (numpy's stubs type the buffer protocol only from Python 3.12 on)
    if bulk is not None and buffers:
        offsets, end = bulk_offsets([b.nbytes for b in buffers])
        if end <= len(bulk):
            for b, start in zip(buffers, offsets):
                if b.nbytes:
                    bulk[start : start + b.nbytes] = b.data.cast("B")
            return _head(dict(header, buffers=specs, bulk=True))
    return _head(dict(header, buffers=specs)) + [b.data.cast("B") for b in buffers if b.nbytes]


def _head(header: dict) -> list[bytes | memoryview]:
    head = _JSON_OUT.encode(header).encode()
    return [_LEN.pack(len(head)), head]


def bulk_offsets(sizes: list[int]) -> tuple[list[int], int]:
    """Where each array of a bulk frame starts in the shared memory (64-byte aligned) -> (offsets, end)."""
    offsets, at = [], 0
    for n in sizes:
        offsets.append(at)
        at += -(-n // BULK_ALIGN) * BULK_ALIGN
    return offsets, at


# ------------------------------------------------------------------ decoding


def _reject_constant(name):
    raise WireError(f"JSON constant {name} is not allowed")


# Made once: json.dumps/loads with options build a new coder per call (microseconds each).
_JSON_OUT = json.JSONEncoder(allow_nan=False, separators=(",", ":"))
_JSON_IN = json.JSONDecoder(parse_constant=_reject_constant)


def parse_header(raw: bytes, caps: Caps) -> tuple[dict, list[tuple[str, tuple]]]:
    """Header bytes -> (header, [(dtype, shape)]), all checked against caps."""
    try:
        header = _JSON_IN.decode(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise WireError(f"header is not valid JSON: {str(exc)[:80]}") from None
    if type(header) is not dict or type(header.get("buffers")) is not list:
        raise WireError("header must be an object with a 'buffers' list")
    specs, total = [], 0
    for spec in header["buffers"]:
        dtype, shape = buffer_spec(spec, caps)
        total += array_bytes(dtype, shape)
        if total > caps.max_bytes:
            raise WireError(f"arrays larger than {caps.max_bytes} bytes in total")
        specs.append((dtype, shape))
    return header, specs


def buffer_spec(spec, caps: Caps) -> tuple[str, tuple]:
    """[dtype, shape] from a header -> (dtype, shape), or WireError. The shape is checked with
    its zero dimensions left out too: an empty array announced as (0, 10**18) is refused here,
    not by numpy in the reader."""
    if not (
        type(spec) is list
        and len(spec) == 2
        and type(spec[0]) is str
        and spec[0] in DTYPES
        and type(spec[1]) is list
        and len(spec[1]) <= caps.max_ndim
        and all(type(n) is int and 0 <= n <= caps.max_bytes for n in spec[1])
    ):
        raise WireError(f"bad buffer description {str(spec)[:80]}")
    extent = _ITEMSIZE[spec[0]]
    for n in spec[1]:
        extent *= max(n, 1)
        if extent > caps.max_bytes:
            raise WireError(f"array shape {str(spec[1])[:60]} is over the {caps.max_bytes}-byte cap")
    return spec[0], tuple(spec[1])


def array_bytes(dtype: str, shape: tuple) -> int:
    size = _ITEMSIZE[dtype]
    for n in shape:
        size *= n
    return size


def decode(tree, arrays: list[np.ndarray], *, on_handle=None, caps: Caps = Caps()):
    """Tagged tree -> value. `on_handle(id, type_name)` maps a handle node."""
    count = [0]

    def dec(node, depth):
        count[0] += 1
        if count[0] > caps.max_items or depth > caps.max_depth:
            raise WireError("value too large or too deeply nested")
        if type(node) is not list or not node or type(node[0]) is not str:
            raise WireError("malformed value node")
        tag, args = node[0], node[1:]
        if tag == "none" and not args:
            return None
        if tag == "bool" and len(args) == 1 and type(args[0]) is bool:
            return args[0]
        if tag == "int" and len(args) == 1 and type(args[0]) is str and len(args[0]) <= 1001:
            return _parse(int, args[0])
        if tag == "float" and len(args) == 1 and type(args[0]) is str and len(args[0]) <= 40:
            return _parse(float, args[0])
        if tag == "str" and len(args) == 1 and type(args[0]) is str and len(args[0]) <= caps.max_str:
            return args[0]
        if tag in ("array", "scalar") and len(args) == 1 and type(args[0]) is int and 0 <= args[0] < len(arrays):
            a = arrays[args[0]]
            return a if tag == "array" else (a[()] if a.ndim == 0 else _bad("scalar must be 0-d"))
        if tag in ("tuple", "list") and len(args) == 1 and type(args[0]) is list:
            items = [dec(x, depth + 1) for x in args[0]]
            return tuple(items) if tag == "tuple" else items
        if tag == "dict" and len(args) == 1 and type(args[0]) is list:
            out = {}
            for pair in args[0]:
                if not (type(pair) is list and len(pair) == 2 and type(pair[0]) is str and len(pair[0]) <= 1000):
                    raise WireError("malformed dict entry")
                out[pair[0]] = dec(pair[1], depth + 1)
            return out
        if (
            tag == "handle"
            and on_handle is not None
            and len(args) == 2
            and type(args[0]) is int
            and type(args[1]) is str
        ):
            return on_handle(args[0], args[1][:80])
        raise WireError(f"unexpected value node {str(node)[:60]}")

    return dec(tree, 0)


def _parse(kind, text):
    try:
        return kind(text)
    except ValueError:
        raise WireError(f"not a valid {kind.__name__}: {text[:40]}") from None


def _bad(msg):
    raise WireError(msg)


# ------------------------------------------------------------------ pipes


def write_frame(fd: int, pieces, deadline: float | None = None) -> None:
    """Write all pieces to fd, as few system calls as the pipe allows (one wake-up of the
    reader per frame, not one per piece). With a deadline, fd must be non-blocking;
    TimeoutError when the reader does not keep up."""
    views = [v for v in (memoryview(p).cast("B") for p in pieces) if v]
    while views:
        try:
            n = os.writev(fd, views[:WRITEV_MAX])
        except BlockingIOError:  # a full pipe: wait for room (poll only then: it costs a syscall)
            _wait(fd, deadline, write=True)
            continue
        while n:  # drop what was written: whole pieces, then the start of the next one
            if n >= len(views[0]):
                n -= len(views.pop(0))
            else:
                views[0], n = views[0][n:], 0


def read_frame(
    fd: int, caps: Caps, deadline: float | None = None, bulk: memoryview | None = None
) -> tuple[dict, list[np.ndarray]]:
    """One frame -> (header, arrays). EOFError when the writer is gone,
    TimeoutError at the deadline, WireError for anything malformed. Arrays of a bulk
    frame are copied out of `bulk` into arrays of their own: the writer may change the
    shared memory at any time, never what the reader has got."""
    (length,) = _LEN.unpack(bytes(_read_exact(fd, _LEN.size, deadline)))
    if length > caps.max_header:
        raise WireError(f"header of {length} bytes is over the {caps.max_header} cap")
    header, specs = parse_header(bytes(_read_exact(fd, length, deadline)), caps)
    if header.get("bulk") is True:
        return header, _copy_bulk(specs, bulk)
    arrays = []
    for dtype, shape in specs:
        a = np.empty(shape, dtype=dtype)
        if a.nbytes:
            _read_into(fd, a.data.cast("B"), deadline)
        arrays.append(a)
    return header, arrays


def _copy_bulk(specs, bulk) -> list[np.ndarray]:
    offsets, end = bulk_offsets([array_bytes(dtype, shape) for dtype, shape in specs])
    if bulk is None or end > len(bulk):
        raise WireError("arrays announced in shared memory that is not there or too small")
    return [np.ndarray(shape, dtype, buffer=bulk, offset=start).copy() for (dtype, shape), start in zip(specs, offsets)]


def _read_exact(fd, n, deadline):
    buf = bytearray(n)
    _read_into(fd, memoryview(buf), deadline)
    return buf


def _read_into(fd, view, deadline):
    """Fill view from fd. A blocking fd simply blocks; a non-blocking one (deadline given)
    is polled only when it has nothing to give, not before every read."""
    pos = 0
    while pos < len(view):
        try:
            n = os.readv(fd, [view[pos:]])
        except BlockingIOError:
            wait_readable(fd, deadline)
            continue
        if n == 0:
            raise EOFError("the other side closed the pipe")
        pos += n


def wait_readable(fd: int, deadline: float, raise_timeout: bool = True) -> bool:
    """Wait until fd has data (or its writer is gone) -> True; at the deadline, TimeoutError
    (or False with raise_timeout=False)."""
    return _wait(fd, deadline, raise_timeout=raise_timeout)


def _wait(fd, deadline, write=False, raise_timeout=True):
    left = deadline - time.monotonic()
    poller = select.poll()  # not select.select: it fails for fds >= 1024
    poller.register(fd, select.POLLOUT if write else select.POLLIN)
    if poller.poll(max(left, 0) * 1000):
        return True
    if raise_timeout:
        raise TimeoutError
    return False
