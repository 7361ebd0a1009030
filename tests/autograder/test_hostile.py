"""Every hostile submission of hostile.py is contained at the Sandbox level.

For each attack: the right error (or a harmless value), the submission's other
function still works in the same sandbox, nothing survives the sandbox, the
grader process is untouched, a fresh sandbox works, all within seconds.
"""

from __future__ import annotations

import dataclasses
import os
import socket
import time
import uuid

import numpy as np
import pytest
from hostile import ATTACKS, GOOD_AFFINE
from sandbox_helpers import FAST, affine_ok, chunks, leftovers, my_children, processes_with, sandbox_cgroups, slot

from autograder.sandbox import Handle, Policy, Sandbox, StudentException, procs

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SECONDS = 20  # per attack, start to finish, on a loaded 2-core machine (typically 1-4 s)


def _isolation(mode="full") -> str:
    """At collection (before any fixture): weak modes allowed as in conftest.py."""
    policy = dataclasses.replace(Policy.named(mode), allow_unconfined_root=True)
    with Sandbox(chunks(numpy=False), limits=FAST, slot=slot(), policy=policy) as sb:
        return sb.isolation


FULL = "own PID namespace" in _isolation() and "private read-only root" in _isolation()
LANDLOCK = _isolation("landlock")
# Without namespaces the sandbox claims less; these are what each weaker mode must still contain
# (attacks that do not depend on the isolation mode at all run in "full" only).
BASIC_ATTACKS = [
    "os_exit",
    "exit_at_load",
    "hang",
    "segfault",
    "output_flood",
    "setsid_sleeper",
    "ignore_signals",
    "raise_limits",
    "hijack_fork_server",
]
if os.geteuid() != 0:  # RLIMIT_NPROC only binds a non-root grader
    BASIC_ATTACKS.append("fork_bomb")
# Second round: what each mode must contain wherever seccomp and (as root) cgroups are on.
CHANNEL_ATTACKS = [
    "keyring_plant",
    "sysv_ipc_plant",
    "abstract_socket",
    "daemon_escape",
    "memory_across_processes",
    "read_grader_memory",
    "spinning_neighbour",
]
BASIC_ATTACKS += CHANNEL_ATTACKS
if "user: uid" in _isolation("basic"):  # files left in /tmp are removed by the sandbox uid's sweep
    BASIC_ATTACKS.append("shared_files_plant")
if os.geteuid() == 0:  # the pids cgroup binds root too
    BASIC_ATTACKS.append("fork_bomb")
LANDLOCK_ATTACKS = [
    "write_results",
    "read_hidden_files",
    "read_grader_proc",
    "setsid_sleeper",
    "shared_files_plant",
] + CHANNEL_ATTACKS
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


def _run(attack, sb, tmp_path, marker):
    """Run one attack; return what the call gave back (attacks that must fail are checked here)."""
    arg = {
        "setsid_sleeper": f"{uuid.uuid4().int % 10**6}.{os.getpid()}",
        "write_results": str(tmp_path / "out"),
        "read_hidden_files": os.path.join(REPO, "autograder"),
    }.get(attack.name, np.ones(3))
    if attack.name in MARKED:
        arg = marker
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
        assert got == []  # fds 0-5 only: the log, /dev/null, its two pipes and the callbacks' memfd
    elif attack.name in ("keyring_plant", "sysv_ipc_plant"):
        assert got == [], f"created {got}"  # seccomp: EPERM
    elif attack.name == "memory_across_processes":
        assert got <= 2, f"{got} processes held 250 MB each; the sandbox may hold {FAST.sandbox_memory_mb} MB"
    elif attack.name == "read_grader_memory":
        assert not [g for g in got if g.split(":")[0] in ("environ", "maps", "mem", "fd", "cwd")], got
        assert "ptrace attached" not in got and "process_vm_readv read" not in got
        assert not any(os.environ["AG_FAKE_CI_TOKEN"] in g for g in got)


# Attacks that take a marker (the name of what they plant) as their argument.
MARKED = {
    "keyring_plant",
    "sysv_ipc_plant",
    "shared_files_plant",
    "abstract_socket",
    "daemon_escape",
    "memory_across_processes",
    "read_grader_memory",
    "spinning_neighbour",
}


HAVE_LANDLOCK = "filesystem: Landlock" in LANDLOCK
# Only the modes this machine offers are collected (no skipped cases): which
# ones that is gets asserted by test_a_strong_isolation_mode_is_available.
CASES = (
    ([(name, "full") for name in sorted(ATTACKS)] if FULL else [])
    + [(name, "basic") for name in BASIC_ATTACKS]
    + ([(name, "landlock") for name in LANDLOCK_ATTACKS] if HAVE_LANDLOCK else [])
)


def test_a_strong_isolation_mode_is_available():
    """The kit's machines (Linux, root) offer namespaces; an instructor's may
    offer only Landlock. Losing both would silently weaken every run."""
    assert FULL or HAVE_LANDLOCK, (
        f"neither namespaces nor Landlock on this machine: full={_isolation()!r}, landlock={LANDLOCK!r}"
    )


@pytest.mark.parametrize("name, mode", CASES)
def test_attack_is_contained(name, mode, tmp_path, grader_state, monkeypatch):
    attack = ATTACKS[name]
    monkeypatch.setenv("AG_FAKE_CI_TOKEN", "ci-token-" + uuid.uuid4().hex)
    (tmp_path / "out").mkdir()
    listener = socket.create_server(("127.0.0.1", 0))
    listener.setblocking(False)
    marker = f"ag-mark-{uuid.uuid4().hex[:12]}-{os.getpid()}"  # ends with the grader's pid
    start = time.monotonic()
    with Sandbox(chunks(attack.source, GOOD_AFFINE), limits=FAST, slot=slot(), policy=Policy.named(mode)) as sb:
        if name == "network":
            with pytest.raises(StudentException):
                sb.call("relu_forward", str(listener.getsockname()[1]))
            got, arg = None, None
        else:
            got, arg = _run(attack, sb, tmp_path, marker)
        _check_value(attack, got, arg, tmp_path)
        affine_ok(sb)  # the rest of the submission is graded as if nothing happened
        uid = sb._runtime.uid
        groups, members = sandbox_cgroups(sb), sb._runtime.cgroup.pids() if sb._runtime.cgroup else []
    with pytest.raises(BlockingIOError):
        listener.accept()  # nobody got through
    listener.close()
    if name == "setsid_sleeper":
        time.sleep(0.05)
        assert processes_with(f"sleep\0{arg}") == [], "the setsid() grandchild survived"
    if uid is not None:
        assert procs.pids_of_uid(uid) == []
    assert leftovers(marker) == [], "something of the sandbox outlived it"
    assert [g for g in groups if os.path.exists(g)] == [], "its cgroups outlived it"
    assert [p for p in members if _alive(p)] == [], "a process of its cgroup outlived it"
    with Sandbox(chunks(GOOD_AFFINE), limits=FAST, slot=slot(), policy=Policy.named(mode)) as fresh:
        affine_ok(fresh)
    assert time.monotonic() - start < SECONDS


def _alive(pid: int) -> bool:
    """A live process (not a zombie waiting for its parent)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


def test_at_least_twelve_attacks():
    assert len(ATTACKS) >= 12 and all(a.source.lstrip().startswith(("def ", "class ")) for a in ATTACKS.values())


LOOK = '''
def look(x):
    """What the other sandbox of the same student can find of `x` (see keyring_plant & co)."""
    import ctypes, os, platform, socket, zlib
    libc = ctypes.CDLL(None, use_errno=True)
    found = []
    try:
        with open("/proc/keys") as f:
            found += [line for line in f if x in line]
    except OSError:
        pass
    request_key = {"x86_64": 249, "aarch64": 218}[platform.machine()]
    if libc.syscall(request_key, b"user", x.encode(), None, 0) > 0:
        found.append("key found by request_key")
    key = zlib.crc32(x.encode()) & 0x7FFFFFFF
    for name, ret in (("shm", libc.shmget(key, 0, 0)), ("msg", libc.msgget(key, 0)), ("sem", libc.semget(key, 0, 0))):
        if ret >= 0:
            found.append(f"SysV {name}")
    for top in ("/tmp", "/var/tmp", "/dev/shm"):
        try:
            with open(f"{top}/{x}") as f:
                found.append(f"{top}: {f.read()}")
        except OSError:
            pass
    if libc.mq_open(("/" + x).encode(), os.O_RDWR, 0, None) >= 0:
        found.append("mqueue")
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect("\\0" + x)
        found.append("abstract socket")
    except OSError:
        pass
    return found
'''


def _plant(sb, marker):
    """Everything sandbox A can leave for B: each attack of the channel class, in turn."""
    for name in ("keyring_plant", "sysv_ipc_plant", "shared_files_plant"):
        sb.call(name, marker)
    with pytest.raises(StudentException):
        sb.call("abstract_socket", marker)


TWO_SANDBOX_MODES = (["full"] if FULL else []) + (["landlock"] if HAVE_LANDLOCK else []) + ["basic"]


@pytest.mark.parametrize("mode", TWO_SANDBOX_MODES)
def test_the_two_sandboxes_of_one_student_cannot_talk(mode):
    """The runner opens a student's "classes" sandbox while the "functions" one is in use:
    what one plants (keys, IPC, shared files, sockets), the other must not find. Basic mode
    (neither namespaces nor Landlock) does not isolate files: /tmp and /dev/shm are the
    machine's, and a file the student makes world-readable there is found (the README says so)."""
    marker = f"ag-mark-{uuid.uuid4().hex[:12]}-{os.getpid()}"
    planter = chunks(
        *(
            ATTACKS[n].source.replace("def relu_forward(", f"def {n}(")
            for n in ("keyring_plant", "sysv_ipc_plant", "shared_files_plant", "abstract_socket")
        )
    )
    with Sandbox(planter, limits=FAST, slot=slot(), policy=Policy.named(mode)) as a:
        _plant(a, marker)
        with Sandbox(chunks(LOOK), limits=FAST, slot=slot(), policy=Policy.named(mode)) as b:
            found = b.call("look", marker)
    left = leftovers(marker)
    if mode == "basic":  # the known hole, and the test's own clean-up of it
        found = [f for f in found if not f.startswith(("/tmp:", "/var/tmp:", "/dev/shm:"))]
        for entry in [f for f in left if f.startswith("file: ")]:
            os.unlink(entry.removeprefix("file: "))
        left = [f for f in left if not f.startswith("file: ")]
    assert found == [] and left == []
