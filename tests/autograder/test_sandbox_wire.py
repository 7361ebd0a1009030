"""The wire format decodes strictly: anything but plain numbers is refused."""

from __future__ import annotations

import json
import os
import pickle
import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from autograder.sandbox import wire

CAPS = wire.Caps(max_bytes=10_000, max_header=10_000, max_items=100, max_depth=5, max_str=50)


def roundtrip(value, caps=CAPS):
    r, w = os.pipe()
    try:
        tree, buffers = wire.encode(value, caps=caps)
        wire.write_frame(w, wire.frame({"kind": "ok", "value": tree}, buffers))
        header, arrays = wire.read_frame(r, caps)
        return wire.decode(header["value"], arrays, caps=caps)
    finally:
        os.close(r)
        os.close(w)


def read_raw(raw: bytes, caps=CAPS):
    r, w = os.pipe()
    os.write(w, raw)
    os.close(w)
    try:
        header, arrays = wire.read_frame(r, caps)
        return wire.decode(header.get("value"), arrays, caps=caps)
    finally:
        os.close(r)


def nested(depth):
    return ["list", []] if depth == 0 else ["list", [nested(depth - 1)]]


def raw_frame(header: dict, tail: bytes = b"") -> bytes:
    head = json.dumps(header).encode()
    return struct.pack(">I", len(head)) + head + tail


@settings(max_examples=40, deadline=None)
@given(
    hnp.arrays(
        dtype=st.sampled_from(["f8", "f4", "i8", "i4", "u1", "?"]),
        shape=hnp.array_shapes(min_dims=0, max_dims=3, max_side=5),
    )
)
def test_arrays_round_trip_exactly(a):
    got = roundtrip(a)
    assert got.dtype == a.dtype and got.shape == a.shape
    assert np.array_equal(got, a, equal_nan=a.dtype.kind == "f")


@pytest.mark.parametrize(
    "value",
    [
        object(),
        np.array([1, "a"], dtype=object),
        np.zeros(2, complex),
        np.zeros(1, dtype=[("a", "f8")]),
        {1: 2},
        b"bytes",
        type("F", (float,), {})(1.0),
        np.zeros(3).view(type("A", (np.ndarray,), {})),
        "x" * 51,
        [[[[[[1]]]]]],
        list(range(101)),
        np.zeros(2000),
    ],
)
def test_encoder_refuses_what_is_not_plain_or_too_big(value):
    with pytest.raises(wire.WireError):
        wire.encode(value, caps=CAPS)


@pytest.mark.parametrize(
    "raw",
    [
        b"\x00\x00\x00\x05{bad}",
        raw_frame({"value": ["int", "1"]}),  # no buffers list
        raw_frame({"value": ["array", 0], "buffers": [["object", [1]]]}, b"x" * 8),
        raw_frame({"value": ["array", 0], "buffers": [["float64", [10**9, 10**9]]]}),
        raw_frame({"value": ["array", 0], "buffers": [["float64", [-1]]]}),
        raw_frame({"value": ["array", 1], "buffers": []}),
        raw_frame({"value": ["scalar", 0], "buffers": [["float64", [2]]]}, b"\0" * 16),
        raw_frame({"value": ["float", "nan" * 20], "buffers": []}),
        raw_frame({"value": ["pickle", pickle.dumps(1).hex()], "buffers": []}),
        raw_frame({"value": ["handle", 1, "X"], "buffers": []}),  # no handles accepted here
        raw_frame({"value": ["dict", [[1, ["none"]]]], "buffers": []}),
        raw_frame({"value": nested(8), "buffers": []}),  # deeper than max_depth
        b"\x7f\xff\xff\xff",  # 2 GB header announced
        b"\x00\x00\x00\x10NaN",  # truncated
    ],
)
def test_decoder_rejects_malformed_or_oversized_frames(raw):
    with pytest.raises((wire.WireError, EOFError)):
        read_raw(raw)


def test_json_constants_are_rejected():
    head = b'{"buffers": [], "value": ["float", "1"], "x": NaN}'
    with pytest.raises(wire.WireError, match="NaN"):
        read_raw(struct.pack(">I", len(head)) + head)


@pytest.mark.parametrize(
    "shape",
    [
        [0, 10**18],
        [0, 2**28, 2**28, 2**28],
        [10**18, 0],
        [0] * 33,
        [0, -1],
        [0, 2**63],
        [1, 10**4, 10**4],
        [0.0, 1],
        [True, 2],
    ],
)
def test_absurd_shapes_are_wire_errors_even_when_empty(shape):
    head = {"value": ["array", 0], "buffers": [["float64", shape]]}
    with pytest.raises(wire.WireError):
        read_raw(raw_frame(head))


def test_an_empty_array_of_a_sane_shape_still_decodes():
    got = read_raw(raw_frame({"value": ["array", 0], "buffers": [["float64", [0, 7]]]}))
    assert got.shape == (0, 7)


@pytest.mark.parametrize("spec", [[["float64"], [1]], [{"a": 1}, [1]], ["float64", [[1]]], ["float64"], "f8", None])
def test_malformed_buffer_descriptions_are_wire_errors(spec):
    with pytest.raises(wire.WireError):
        read_raw(raw_frame({"value": ["none"], "buffers": [spec]}))


def _read_any(raw: bytes):
    """Decode hostile bytes: only WireError or EOFError may come out."""
    try:
        read_raw(raw)
    except (wire.WireError, EOFError):
        pass


def _valid_frame(value) -> bytes:
    tree, buffers = wire.encode(value, caps=CAPS)
    return b"".join(bytes(p) for p in wire.frame({"kind": "ok", "value": tree}, buffers))


PLAIN = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=10)
    | hnp.arrays(dtype=st.sampled_from(["f8", "i4", "u1"]), shape=hnp.array_shapes(min_dims=0, max_dims=2, max_side=3)),
    lambda inner: (
        st.lists(inner, max_size=3) | st.tuples(inner, inner) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_raise_only_wire_errors(raw):
    _read_any(raw)


@settings(max_examples=300, deadline=None)
@given(PLAIN, st.data())
def test_mutated_frames_raise_only_wire_errors(value, data):
    raw = bytearray(_valid_frame(value))
    for _ in range(data.draw(st.integers(1, 4))):
        op = data.draw(st.sampled_from(["flip", "cut", "insert"]))
        at = data.draw(st.integers(0, max(len(raw) - 1, 0)))
        if op == "flip" and raw:
            raw[at] ^= 1 << data.draw(st.integers(0, 7))
        elif op == "cut":
            del raw[at:]
        else:
            raw[at:at] = data.draw(st.binary(min_size=1, max_size=8))
    _read_any(bytes(raw))


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(JSON, st.lists(st.lists(JSON, max_size=3), max_size=3), st.binary(max_size=64))
def test_hostile_headers_raise_only_wire_errors(value, buffers, tail):
    """Any JSON where the value tree and the buffer descriptions go: the decoder's type checks hold."""
    head = json.dumps({"kind": "ok", "value": value, "buffers": buffers}).encode()
    _read_any(struct.pack(">I", len(head)) + head + tail)
    _read_any(struct.pack(">I", len(head)) + head.replace(b'"buffers"', b'"bulk": true, "buffers"') + tail)


def test_bulk_frames_need_shared_memory_that_holds_them():
    bulk = memoryview(bytearray(1024))
    pieces = wire.frame({"kind": "ok", "value": ["array", 0]}, [np.arange(16.0)], bulk)
    assert len(pieces) == 2  # the header only: the array went to the shared memory
    raw = b"".join(bytes(p) for p in pieces)
    r, w = os.pipe()
    os.write(w, raw * 3)
    os.close(w)
    try:
        header, arrays = wire.read_frame(r, CAPS, bulk=bulk)
        assert np.array_equal(arrays[0], np.arange(16.0)) and arrays[0].base is None  # a copy, not a view
        with pytest.raises(wire.WireError):
            wire.read_frame(r, CAPS)  # no shared memory here
        with pytest.raises(wire.WireError):
            wire.read_frame(r, CAPS, bulk=bulk[:64])  # too small for what the header announces
    finally:
        os.close(r)
