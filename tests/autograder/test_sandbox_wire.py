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
@given(hnp.arrays(dtype=st.sampled_from(["f8", "f4", "i8", "i4", "u1", "?"]),
                  shape=hnp.array_shapes(min_dims=0, max_dims=3, max_side=5)))
def test_arrays_round_trip_exactly(a):
    got = roundtrip(a)
    assert got.dtype == a.dtype and got.shape == a.shape
    assert np.array_equal(got, a, equal_nan=a.dtype.kind == "f")


@pytest.mark.parametrize("value", [object(), np.array([1, "a"], dtype=object), np.zeros(2, complex),
                                   np.zeros(1, dtype=[("a", "f8")]), {1: 2}, b"bytes",
                                   type("F", (float,), {})(1.0), np.zeros(3).view(type("A", (np.ndarray,), {})),
                                   "x" * 51, [[[[[[1]]]]]], list(range(101)), np.zeros(2000)])
def test_encoder_refuses_what_is_not_plain_or_too_big(value):
    with pytest.raises(wire.WireError):
        wire.encode(value, caps=CAPS)


@pytest.mark.parametrize("raw", [
    b"\x00\x00\x00\x05{bad}",
    raw_frame({"value": ["int", "1"]}),                                   # no buffers list
    raw_frame({"value": ["array", 0], "buffers": [["object", [1]]]}, b"x" * 8),
    raw_frame({"value": ["array", 0], "buffers": [["float64", [10**9, 10**9]]]}),
    raw_frame({"value": ["array", 0], "buffers": [["float64", [-1]]]}),
    raw_frame({"value": ["array", 1], "buffers": []}),
    raw_frame({"value": ["scalar", 0], "buffers": [["float64", [2]]]}, b"\0" * 16),
    raw_frame({"value": ["float", "nan" * 20], "buffers": []}),
    raw_frame({"value": ["pickle", pickle.dumps(1).hex()], "buffers": []}),
    raw_frame({"value": ["handle", 1, "X"], "buffers": []}),              # no handles accepted here
    raw_frame({"value": ["dict", [[1, ["none"]]]], "buffers": []}),
    raw_frame({"value": nested(8), "buffers": []}),                     # deeper than max_depth
    b"\x7f\xff\xff\xff",                                                  # 2 GB header announced
    b"\x00\x00\x00\x10NaN",                                               # truncated
])
def test_decoder_rejects_malformed_or_oversized_frames(raw):
    with pytest.raises((wire.WireError, EOFError)):
        read_raw(raw)


def test_json_constants_are_rejected():
    head = b'{"buffers": [], "value": ["float", "1"], "x": NaN}'
    with pytest.raises(wire.WireError, match="NaN"):
        read_raw(struct.pack(">I", len(head)) + head)
