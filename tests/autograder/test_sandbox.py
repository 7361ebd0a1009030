"""The Sandbox API as engineer B's runner uses it: values, handles, errors, restarts."""

from __future__ import annotations

import os
import time

import numpy as np
import pytest
from sandbox_helpers import FAST, chunks, slot

from autograder.sandbox import (
    BadOutput,
    Handle,
    Policy,
    Sandbox,
    StudentCrash,
    StudentException,
    StudentTimeout,
    Support,
    runtime,
)

HELPERS = chunks(
    """
def ident(v):
    return v
""",
    """
def zero_in_place(a, b):
    a[...] = 0
    return a.sum()
""",
    """
def rand():
    import random
    return np.random.rand(3), random.random()
""",
    """
def stub(x):
    raise NotImplementedError("write me")
""",
    """
def obj_and_cache(x):
    return object(), (x, {1: "int key"}), {"ok": x}
""",
    """
def env():
    import os
    return dict(os.environ)
""",
    """
def talk(n):
    print("[4-byte frame] {'kind': 'ok', 'value': ['int', '999']}", flush=True)
    return n
""",
    """
def hang():
    while True:
        pass
""",
    """
def die():
    import os
    os._exit(1)
""",
    """
class Counter:
    def __init__(self, start):
        self.n = start

    def add(self, k=1):
        self.n += k
        return self.n
""",
)


@pytest.fixture(scope="module")
def sb():
    with Sandbox(HELPERS, limits=FAST, slot=slot() + 1) as box:
        yield box


VALUES = [
    None,
    True,
    False,
    0,
    -7,
    10**30,
    1.5,
    float("inf"),
    "naïve",
    (),
    [],
    {},
    (1, [2.0, {"a": None}]),
    np.float64(2.5),
    np.int32(-3),
    np.bool_(True),
    np.arange(6, dtype=np.int64).reshape(2, 3),
    np.zeros((0, 4)),
    np.array(3.0),
    np.ones(5, dtype=np.uint8),
    np.linspace(0, 1, 7, dtype=np.float32),
]


@pytest.mark.parametrize("value", VALUES, ids=lambda v: type(v).__name__)
def test_plain_values_round_trip_with_their_types(sb, value):
    got = sb.call("ident", value)
    assert type(got) is type(value)
    if isinstance(value, np.ndarray):
        assert got.dtype == value.dtype and got.shape == value.shape and np.array_equal(got, value)
    else:
        assert got == value


def test_odd_arrays_come_back_native_and_contiguous(sb):
    big_endian = np.arange(4, dtype=">f8")
    strided = np.arange(12.0).reshape(3, 4)[:, ::2]
    got = sb.call("ident", (big_endian, strided))
    assert got[0].dtype == np.float64 and np.array_equal(got[0], big_endian)
    assert np.array_equal(got[1], strided)
    assert np.isnan(sb.call("ident", float("nan")))


def test_echo_args_shows_in_place_changes(sb):
    a = np.ones(3)
    result, (a_after, b_after) = sb.call("zero_in_place", a, 5, echo_args=True)
    assert result == 0 and np.array_equal(a_after, np.zeros(3)) and b_after == 5
    assert np.array_equal(a, np.ones(3))  # the grader's copy is untouched


def test_objects_come_back_as_handles_and_can_be_passed_back(sb):
    obj, (x, odd_dict), plain = sb.call("obj_and_cache", np.ones(2))
    assert type(obj) is Handle and type(odd_dict) is Handle and plain["ok"].shape == (2,)
    assert sb.call("ident", odd_dict) == odd_dict  # the same object in the child


def test_classes_methods_and_attributes(sb):
    h = sb.new("Counter", 10)
    assert type(h) is Handle and h.type_name == "Counter"
    assert sb.method(h, "add", k=5) == 15
    sb.setattr(h, "n", np.arange(3))
    assert np.array_equal(sb.getattr(h, "n"), np.arange(3))
    assert np.array_equal(sb.method(h, "add", timeout=5), np.arange(1, 4))


def test_store_keeps_big_arrays_in_the_child(sb):
    ref = sb.store(np.arange(10**6, dtype=np.float64))
    assert type(ref) is Handle
    start = time.perf_counter()
    assert sb.call("zero_in_place", ref, 0) == 0
    assert sb.last_call_seconds <= time.perf_counter() - start


def test_seed_makes_the_child_deterministic(sb):
    sb.seed(3)
    first = sb.call("rand")
    sb.seed(3)
    second = sb.call("rand")
    assert np.array_equal(first[0], second[0]) and first[1] == second[1]


def test_student_exceptions_say_what_and_where(sb):
    with pytest.raises(StudentException) as info:
        sb.call("stub", 1)
    assert info.value.exc_type == "NotImplementedError" and info.value.message == "write me"
    assert info.value.where == "stub, line 2"
    with pytest.raises(StudentException, match="NameError"):
        sb.call("no_such_function")


def test_printing_is_never_read_as_a_result(sb):
    assert sb.call("talk", 4) == 4
    assert "[4-byte frame]" in sb.output()  # kept for the instructor's log, never decoded


def test_environment_is_cleared_and_blas_single_threaded(monkeypatch):
    monkeypatch.setenv("CI_JOB_TOKEN", "glpat-fake-secret")
    with Sandbox(HELPERS, limits=FAST, slot=slot() + 2) as box:
        env = box.call("env")
    assert "glpat-fake-secret" not in repr(env) and "CI_JOB_TOKEN" not in env
    assert env["OPENBLAS_NUM_THREADS"] == env["OMP_NUM_THREADS"] == env["MKL_NUM_THREADS"] == "1"
    assert not env["HOME"].startswith("/root")


def test_load_errors_cost_only_their_chunk():
    parts = chunks(
        """
def fine(x):
    return x + 1
""",
        """
def later(x=undefined_name):
    return x
""",
    ) + chunks("from google.colab import drive", numpy=False)
    with Sandbox(parts, limits=FAST, slot=slot() + 3) as box:
        assert set(box.load_errors) == {"later", "from google.colab import drive"}
        assert box.load_errors["later"].startswith("NameError")
        assert box.call("fine", 1) == 2


def test_restart_after_timeout_and_crash_invalidates_old_handles():
    with Sandbox(HELPERS, limits=FAST, slot=slot() + 4) as box:
        h = box.new("Counter", 0)
        with pytest.raises(StudentTimeout):
            box.call("hang")
        assert box.call("ident", 5) == 5 and box.restarts == 1
        with pytest.raises(StudentCrash, match="lost when the sandbox restarted"):
            box.method(h, "add")
        with pytest.raises(StudentCrash, match="exited with code 1"):
            box.call("die")
        assert box.call("ident", 6) == 6 and box.restarts == 2


def test_a_function_that_keeps_crashing_is_not_run_again():
    with Sandbox(HELPERS, limits=FAST, slot=slot() + 9) as box:
        for _ in range(2):
            with pytest.raises(StudentCrash, match="exited with code 1"):
                box.call("die")
        restarts = box.restarts
        with pytest.raises(StudentCrash, match="not run again: it failed 2 times"):
            box.call("die")
        assert box.restarts == restarts and box.call("ident", 2) == 2


def test_restarts_are_capped():
    limits = FAST.__class__(**{**FAST.as_dict(), "max_restarts": 1, "max_failures_per_call": 9})
    with Sandbox(HELPERS, limits=limits, slot=slot() + 5) as box:
        for _ in range(2):
            with pytest.raises(StudentCrash):
                box.call("die")
        with pytest.raises(StudentCrash, match="gave up"):
            box.call("ident", 1)


def test_wall_budget_covers_the_whole_sandbox():
    limits = FAST.__class__(**{**FAST.as_dict(), "wall_seconds": 3.0, "call_seconds": 30})
    with Sandbox(HELPERS, limits=limits, slot=slot() + 6) as box:
        with pytest.raises(StudentTimeout, match="whole time budget"):
            box.call("hang")
        with pytest.raises(StudentTimeout, match="budget"):
            box.call("ident", 1)


def test_isolation_is_described():
    with Sandbox(chunks(numpy=False), limits=FAST, slot=slot() + 7, policy=Policy.named("basic")) as box:
        basic = box.isolation
    assert basic.startswith("basic isolation only; no namespaces (disabled") and "NOT private" in basic
    if os.geteuid() == 0:
        with Sandbox(chunks(numpy=False), limits=FAST, slot=slot() + 7) as box:
            assert "private read-only root" in box.isolation and "no network" in box.isolation.replace(
                "network: none", "no network"
            )


def test_too_big_results_are_refused_not_sent(sb):
    with pytest.raises(BadOutput, match="larger than"):
        sb.call("ident", np.zeros(3 * 2**20))  # 24 MB: over FAST's 16 MB
    assert sb.call("ident", 1) == 1  # no restart needed


class BrokenRoot(runtime.LocalRuntime):
    """As when mounting is forbidden on a hardened machine: the private root cannot be built."""

    def _config(self, policy, generation):
        return dict(super()._config(policy, generation), root="/nonexistent/sandbox-root")


def test_failed_namespace_setup_falls_back_to_basic_and_says_why():
    support = Support()  # this test's own record of what works, not the process's
    box = Sandbox(HELPERS, limits=FAST, slot=slot() + 8, runtime=BrokenRoot(FAST, slot() + 8, Policy(), support))
    with box:
        assert "no namespaces (FileNotFoundError" in box.isolation
        assert box.call("ident", 3) == 3
    assert not support.usable("namespaces") and support.usable("landlock")


def test_scratch_dirs_of_dead_graders_are_swept():
    import subprocess
    import sys
    import tempfile
    from pathlib import Path

    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    ).stdout.strip()
    stale = Path(tempfile.gettempdir()) / f"ag-sandbox-{dead}-stale"
    (stale / "work").mkdir(parents=True)
    with Sandbox(HELPERS, limits=FAST, slot=slot() + 10) as box:
        assert box.call("ident", 1) == 1
        assert not stale.exists()
    assert box._runtime.tmp is None  # its own scratch dir is gone too


class BrokenLandlock(runtime.LocalRuntime):
    """A Landlock rule the supervisor cannot apply."""

    def _config(self, policy, generation):
        cfg = super()._config(policy, generation)
        return dict(cfg, binds=cfg["binds"] + [{"not": "a path"}]) if cfg["landlock"] else cfg


def test_failed_landlock_steps_down_to_basic():
    support, policy = Support(), Policy.named("landlock")
    with Sandbox(HELPERS, limits=FAST, runtime=BrokenLandlock(FAST, slot() + 11, policy, support)) as box:
        assert box.isolation.startswith("basic isolation only (Landlock failed")
        assert box.call("ident", 4) == 4
    assert not support.usable("landlock")


FRESH = chunks(
    """
def plant(tag):
    import sys
    np.planted = tag
    sys.modules["child"].NAMESPACE["planted"] = tag
    return tag
""",
    """
def look():
    import sys
    return getattr(np, "planted", None), sys.modules["child"].NAMESPACE.get("planted"), float(np.random.rand())
""",
    """
def grader_modules():
    import sys
    return sorted(m for m in sys.modules if m.split(".")[0] in ("autograder", "course", "pytest", "_pytest", "sklearn"))
""",
    """
def capabilities():
    with open("/proc/self/status") as f:
        return {k: v.strip() for k, v in (line.split(":", 1) for line in f) if k in ("CapInh", "CapPrm", "CapEff")}
""",
)


def test_each_sandbox_is_a_fresh_process_with_nothing_of_the_grader():
    """Sandboxes are forked from one server: nothing a student changes there may reach the next one."""
    with Sandbox(FRESH, limits=FAST, slot=slot() + 12) as a:
        assert a.call("plant", "from A") == "from A"
        with Sandbox(FRESH, limits=FAST, slot=slot() + 13) as b:
            planted_np, planted_ns, r_b = b.call("look")
            assert b.call("grader_modules") == []
        assert (planted_np, planted_ns) == (None, None)
        assert a.call("look")[:2] == ("from A", "from A")
        assert a.call("look")[2] != r_b  # fresh entropy, not the server's random state


@pytest.mark.parametrize("mode", ["full", "basic", "bare"])
def test_the_child_has_no_capabilities(mode):
    with Sandbox(FRESH, limits=FAST, slot=slot() + 14, policy=Policy.named(mode)) as box:
        caps = box.call("capabilities")
    assert caps == {"CapInh": "0" * 16, "CapPrm": "0" * 16, "CapEff": "0" * 16}


def test_the_fork_server_never_has_the_graders_environment(monkeypatch):
    monkeypatch.setenv("CI_JOB_TOKEN", "glpat-fake-secret")
    server = runtime.fork_server(restart=True)  # started while the grader holds a secret
    with open(f"/proc/{server.proc.pid}/environ", "rb") as f:
        environ = f.read()
    assert b"glpat-fake-secret" not in environ and b"CI_JOB_TOKEN" not in environ
    with Sandbox(HELPERS, limits=FAST, slot=slot() + 15) as box:
        assert "CI_JOB_TOKEN" not in box.call("env")


def test_a_dead_fork_server_is_replaced():
    server = runtime.fork_server()
    server.proc.kill()
    server.proc.wait()
    with Sandbox(HELPERS, limits=FAST, slot=slot() + 16) as box:
        assert box.call("ident", 7) == 7
    assert runtime.fork_server() is not server


def test_code_that_kills_the_child_at_load_until_the_deadline_costs_only_this_sandbox():
    """Each restart after a kill at load time needs its full start-up time; one that cannot
    have it, or cannot start, is the student's timeout, never a grader error (SandboxError
    stops the whole batch). The chunks sleep until just before the sandbox's wall deadline,
    read off their own code file's time, then kill the child."""
    wall = 3.0
    killer = f"""
import os, sys, time
born = os.stat(sys._getframe().f_code.co_filename).st_mtime
time.sleep(max(0.0, born + {wall} - 0.05 - time.time()))
os._exit(3)
"""
    limits = FAST.__class__(**{**FAST.as_dict(), "wall_seconds": wall, "call_seconds": 30})
    with pytest.raises(StudentTimeout, match="budget"):
        with Sandbox(chunks(killer, killer.replace("(3)", "(4)"), numpy=False), limits=limits, slot=slot() + 21):
            pass


def test_the_graders_private_helpers_are_out_of_reach_of_student_code():
    """A private chunk's names (the kit's helpers) are called by the grader by name but are not
    in the namespace student code runs in: rebinding the name does not change what runs."""
    from autograder.extract import Chunk

    student = chunks(
        """
def rebind():
    was_there = "__kit_helper" in globals()
    globals()["__kit_helper"] = lambda: "the student's"
    return was_there
""",
        numpy=False,
    )
    kit = Chunk("the grader's helpers", 'def __kit_helper():\n    return "the grader\'s"\n', private=True)
    with Sandbox([kit, *student], limits=FAST, slot=slot() + 22) as box:
        assert box.call("__kit_helper") == "the grader's"
        assert box.call("rebind") is False  # student code does not see the grader's helper
        assert box.call("__kit_helper") == "the grader's"
