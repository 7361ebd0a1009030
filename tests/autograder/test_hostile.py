"""Every hostile submission of hostile.py is contained at the Sandbox level.

For each attack: the right error (or a harmless value), the submission's other
function still works in the same sandbox, nothing survives the sandbox, the
grader process is untouched, a fresh sandbox works, all within seconds.
"""
from __future__ import annotations

import os
import socket
import time
import uuid

import numpy as np
import pytest

from autograder.sandbox import Handle, Policy, Sandbox, StudentException
from autograder.sandbox import procs
from hostile import ATTACKS, GOOD_AFFINE
from sandbox_helpers import FAST, affine_ok, chunks, my_children, processes_with, slot

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SECONDS = 20  # per attack, start to finish, on a loaded 2-core machine (typically 1-4 s)


def _isolation(mode="full") -> str:
    with Sandbox(chunks(numpy=False), limits=FAST, slot=slot(), policy=Policy.named(mode)) as sb:
        return sb.isolation


FULL = "own PID namespace" in _isolation() and "private read-only root" in _isolation()
LANDLOCK = _isolation("landlock")
# Without namespaces the sandbox claims less; these are what each weaker mode must still contain
# (attacks that do not depend on the isolation mode at all run in "full" only).
BASIC_ATTACKS = ["os_exit", "exit_at_load", "hang", "segfault", "output_flood", "setsid_sleeper",
                 "ignore_signals", "raise_limits", "hijack_fork_server"]
if os.geteuid() != 0:  # RLIMIT_NPROC only binds a non-root grader
    BASIC_ATTACKS.append("fork_bomb")
LANDLOCK_ATTACKS = ["write_results", "read_hidden_files", "read_grader_proc", "setsid_sleeper"]
if "TCP connect/bind denied" in LANDLOCK:
    LANDLOCK_ATTACKS.append("network")
if "signals and abstract unix sockets: cannot reach" in LANDLOCK:
    LANDLOCK_ATTACKS.append("kill_supervisor")


@pytest.fixture
def grader_state():
    """Snapshot of the grader's own process: it must be exactly as before the attack."""
    def state():
        env = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
        return os.getcwd(), env, np.allclose, np.testing.assert_allclose

    before, kids_before = state(), set(my_children())
    yield
    assert state() == before
    # Compared with before the test: other tests in this worker may have left
    # long-lived children of their own (multiprocessing's resource tracker).
    assert set(my_children()) - kids_before == set(), "a sandbox process outlived its Sandbox"


def _run(attack, sb, tmp_path):
    """Run one attack; return what the call gave back (attacks that must fail are checked here)."""
    arg = {"setsid_sleeper": f"{uuid.uuid4().int % 10**6}.{os.getpid()}",
           "write_results": str(tmp_path / "out"),
           "read_hidden_files": os.path.join(REPO, "autograder")}.get(attack.name, np.ones(3))
    if attack.at_load:
        error = sb.load_errors.get(attack.replaces, "")
        assert error.startswith(tuple(e.__name__ for e in attack.expect) + (attack.exc_type or "?",)), error
        with pytest.raises(StudentException, match="NameError"):
            sb.call(attack.replaces)
        return None, arg
    if attack.expect:
        with pytest.raises(attack.expect) as info:
            sb.call(attack.replaces, arg)
        if attack.exc_type and isinstance(info.value, StudentException):
            assert info.value.exc_type == attack.exc_type
        return info.value, arg
    return sb.call(attack.replaces, arg), arg


def _check_value(attack, got, arg, tmp_path):
    """Attacks that 'succeed' as calls must have gained nothing."""
    if attack.name == "setsid_sleeper":
        assert got == arg
    elif attack.name == "patch_numpy_pytest":
        out, _ = got
        assert not np.allclose(out, np.maximum(arg, 0))  # our numpy is the real one
    elif attack.name == "lying_objects":
        assert all(type(v) is Handle for v in got), got
    elif attack.name == "read_grader_proc":
        assert os.environ["AG_FAKE_CI_TOKEN"] not in got and "pytest" not in got
    elif attack.name == "write_results":
        assert str(tmp_path / "out") not in got and not (tmp_path / "out" / "grades.csv").exists()
    elif attack.name == "read_hidden_files":
        assert got == []
    elif attack.name == "hijack_fork_server":
        assert got == []  # fds 0-4 only: the log, /dev/null and its two pipes


HAVE_LANDLOCK = "filesystem: Landlock" in LANDLOCK
# Only the modes this machine offers are collected (no skipped cases): which
# ones that is gets asserted by test_a_strong_isolation_mode_is_available.
CASES = (([(name, "full") for name in sorted(ATTACKS)] if FULL else [])
         + [(name, "basic") for name in BASIC_ATTACKS]
         + ([(name, "landlock") for name in LANDLOCK_ATTACKS] if HAVE_LANDLOCK else []))


def test_a_strong_isolation_mode_is_available():
    """The kit's machines (Linux, root) offer namespaces; an instructor's may
    offer only Landlock. Losing both would silently weaken every run."""
    assert FULL or HAVE_LANDLOCK, (
        f"neither namespaces nor Landlock on this machine: full={_isolation()!r}, landlock={LANDLOCK!r}")


@pytest.mark.parametrize("name, mode", CASES)
def test_attack_is_contained(name, mode, tmp_path, grader_state, monkeypatch):
    attack = ATTACKS[name]
    monkeypatch.setenv("AG_FAKE_CI_TOKEN", "ci-token-" + uuid.uuid4().hex)
    (tmp_path / "out").mkdir()
    listener = socket.create_server(("127.0.0.1", 0))
    listener.setblocking(False)
    start = time.monotonic()
    with Sandbox(chunks(attack.source, GOOD_AFFINE), limits=FAST, slot=slot(), policy=Policy.named(mode)) as sb:
        if name == "network":
            with pytest.raises(StudentException):
                sb.call("relu_forward", str(listener.getsockname()[1]))
            got, arg = None, None
        else:
            got, arg = _run(attack, sb, tmp_path)
        _check_value(attack, got, arg, tmp_path)
        affine_ok(sb)  # the rest of the submission is graded as if nothing happened
        uid = sb._runtime.uid
    with pytest.raises(BlockingIOError):
        listener.accept()  # nobody got through
    listener.close()
    if name == "setsid_sleeper":
        time.sleep(0.05)
        assert processes_with(f"sleep\0{arg}") == [], "the setsid() grandchild survived"
    if uid is not None:
        assert procs.pids_of_uid(uid) == []
    with Sandbox(chunks(GOOD_AFFINE), limits=FAST, slot=slot(), policy=Policy.named(mode)) as fresh:
        affine_ok(fresh)
    assert time.monotonic() - start < SECONDS


def test_at_least_twelve_attacks():
    assert len(ATTACKS) >= 12 and all(a.source.lstrip().startswith(("def ", "class ")) for a in ATTACKS.values())
