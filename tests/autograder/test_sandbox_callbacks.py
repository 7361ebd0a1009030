"""Grader callbacks: student code calls functions it cannot read, with plain data only."""

from __future__ import annotations

import time

import numpy as np
import pytest
from sandbox_helpers import FAST, chunks, slot

from autograder.sandbox import CALLBACK_FAILED, BadOutput, Policy, Sandbox, StudentTimeout

SECRET = "REFERENCE-SOURCE-7f3a"  # stands for the reference's code: it must never reach the child


def reference_affine(x, w, b):
    """The 'reference' layer; its source holds SECRET: REFERENCE-SOURCE-7f3a."""
    out = x.reshape(x.shape[0], -1) @ w + b
    return out, (x, w, b)


def failing(x):
    raise ValueError(f"{SECRET}: internal detail of the grader")


def slow(x):
    end = time.thread_time() + 0.02  # 20 ms of the grader's CPU per call
    while time.thread_time() < end:
        pass
    return x


def odd_result(x):
    return object()


CALLBACKS = {"affine_forward": reference_affine, "failing": failing, "slow": slow, "odd_result": odd_result}

STUDENT = chunks(
    """
def affine_forward(x, w, b):
    return "the student's own (wrong) layer", None
""",
    """
class Net:
    def __init__(self, d, h):
        self.w = np.ones((d, h))
        self.b = np.zeros(h)

    def forward(self, x):
        out, cache = affine_forward(x, self.w, b=self.b)
        return out, type(cache).__name__, len(cache)
""",
    """
def use(name, *args, **kwargs):
    return globals()[name](*args, **kwargs)
""",
    """
def catch(name, *args):
    try:
        globals()[name](*args)
    except Exception as exc:
        return type(exc).__name__, str(exc)
""",
    """
def pass_an_object(name):
    return catch(name, object(), 1, 2)
""",
    """
def loop(n, a):
    for _ in range(n):
        a = slow(a)
    return a
""",
    """
def snoop():
    import gc, inspect, sys
    fn = affine_forward
    found = [repr(fn), str(getattr(fn, "__doc__", "")), str(getattr(fn, "__module__", ""))]
    try:
        found.append(inspect.getsource(fn))
    except Exception as exc:
        found.append(type(exc).__name__)
    found += [repr(c.cell_contents) for c in (fn.__closure__ or ())]
    found += [repr(k) for k in fn.__code__.co_consts]
    for obj in gc.get_objects():
        if isinstance(obj, str) and "REFERENCE" in obj and "snoop" not in obj:
            found.append(obj)
    import os
    for root in ("/sandbox/code", "."):
        for dirpath, _, files in os.walk(root):
            for name in files:
                with open(os.path.join(dirpath, name), errors="replace") as f:
                    found.append(f.read())
    for mod in list(sys.modules.values()):
        found.append(str(getattr(mod, "__file__", "")))
    return "\\n".join(found)
""",
)


@pytest.fixture(scope="module", params=["full", "basic"])
def sb(request):
    with Sandbox(
        STUDENT, limits=FAST, slot=slot() + 17, policy=Policy.named(request.param), callbacks=CALLBACKS
    ) as box:
        yield box


def test_student_code_calls_the_graders_function_not_its_own(sb):
    net = sb.new("Net", 3, 2)
    x = np.arange(6.0).reshape(2, 3)
    out, cache_type, cache_len = sb.method(net, "forward", x)
    np.testing.assert_allclose(out, x @ np.ones((3, 2)))
    assert (cache_type, cache_len) == ("tuple", 3)  # the reference's (x, w, b), as plain data


def test_arguments_and_results_are_plain_data(sb):
    out, (x, w, b) = sb.call("use", "affine_forward", np.ones((2, 2)), np.eye(2), b=np.array([1.0, 2.0]))
    np.testing.assert_allclose(out, [[2, 3], [2, 3]])
    assert type(x) is np.ndarray and x.shape == (2, 2)
    kind, message = sb.call("pass_an_object", "affine_forward")
    assert kind == "TypeError" and "plain data only" in message


def test_an_exception_in_the_graders_function_says_nothing_of_it(sb):
    kind, message = sb.call("catch", "failing", 1.0)
    assert kind == "GraderFunctionError" and message == CALLBACK_FAILED.format(name="failing")
    assert SECRET not in message
    assert any(SECRET in line for line in sb.callback_errors)  # the instructor's log has it
    kind, _ = sb.call("catch", "odd_result", 1.0)  # a result that is not plain data: the same
    assert kind == "GraderFunctionError"


def test_nothing_of_the_graders_function_is_readable_in_the_child(sb):
    seen = sb.call("snoop")
    assert SECRET not in seen and "reference_affine" not in seen and "x.reshape" not in seen
    assert "__grader__" in seen  # the stub is what the student sees


def test_callback_arguments_are_capped(sb):
    too_big = np.zeros((FAST.callback_max_mb * 2**20) // 8 + 1)
    kind, message = sb.call("catch", "affine_forward", too_big, 1, 2)
    assert kind == "TypeError" and "larger than" in message
    assert sb.call("use", "affine_forward", np.ones((1, 1)), np.ones((1, 1)), np.zeros(1))[0][0, 0] == 1.0


def test_time_in_callbacks_counts_against_the_call_and_cpu_seconds(sb):
    before = sb.cpu_seconds()
    assert sb.call("loop", 10, 1.5) == 1.5
    assert sb.cpu_seconds() - before >= 10 * 0.02 * 0.9  # the grader's 20 ms per callback, counted
    with pytest.raises(StudentTimeout, match="CPU time"):
        sb.call("loop", 10**6, 1.0, timeout=0.5)  # it would burn the grader's CPU for hours


FORGED = chunks(
    '''
def forge(kind):
    """Writes its own callback frames on the answer pipe, as the kit's source shows them."""
    import json, os, struct
    frames = {
        "unknown": {"kind": "callback", "name": "open_sesame", "value": ["tuple", [["list", []], ["dict", []]]]},
        "bad_args": {"kind": "callback", "name": "affine_forward", "value": ["list", []]},
        "handle": {"kind": "callback", "name": "affine_forward",
                   "value": ["tuple", [["list", [["handle", 1, "X"]]], ["dict", []]]]},
        "bulk_lie": {"kind": "callback", "name": "affine_forward", "bulk": True,
                     "value": ["tuple", [["list", [["array", 0]]], ["dict", []]]]},
        "over_cap": {"kind": "callback", "name": "affine_forward",   # through the pipe, not the memfd
                     "value": ["tuple", [["list", [["array", 0]]], ["dict", []]]]},
    }
    sizes = {"bulk_lie": 10**9, "over_cap": 5 * 2**17}   # 5 MB: over the 4 MB callback cap
    header = dict(frames[kind], buffers=[["float64", [sizes[kind]]]] if kind in sizes else [])
    head = json.dumps(header).encode()
    os.write(4, struct.pack(">I", len(head)) + head)
    if kind == "over_cap":
        os.write(4, bytes(8 * sizes[kind]))
    import time
    time.sleep(5)
''',
    """
def ok():
    return 1
""",
)


@pytest.mark.parametrize("kind", ["unknown", "bad_args", "handle", "bulk_lie", "over_cap"])
def test_the_channel_serves_only_registered_names_with_plain_data(kind):
    with Sandbox(FORGED, limits=FAST, slot=slot() + 18, callbacks={"affine_forward": reference_affine}) as box:
        with pytest.raises(BadOutput):
            box.call("forge", kind)
        assert box.call("ok") == 1 and box.restarts == 1  # the child was killed; the next one is fine


def test_callback_names_must_be_identifiers():
    with pytest.raises(ValueError, match="identifier"):
        Sandbox([], callbacks={"not a name": print})


def test_a_sandbox_without_callbacks_binds_nothing():
    with Sandbox(STUDENT, limits=FAST, slot=slot() + 19) as box:
        assert box.call("use", "affine_forward", 1, 2, 3) == ("the student's own (wrong) layer", None)


def test_the_callbacks_shared_memory_cannot_be_resized():
    """A child that truncates the memory callbacks share would make the grader's next write
    into it a SIGBUS that kills the grading process: its size is sealed."""
    resize = chunks(
        """
def shrink_then_call(n):
    import os
    for fd in range(3, 64):
        try:
            os.ftruncate(fd, 4096)
        except OSError:
            pass
    return affine_forward(np.ones((n, 1)), np.ones((1, n)), np.ones(n))[0].shape
"""
    )
    with Sandbox(resize, limits=FAST, slot=slot() + 20, callbacks={"affine_forward": reference_affine}) as box:
        assert box.call("shrink_then_call", 1000) == (1000, 1000)  # an 8 MB reply into the shared memory
