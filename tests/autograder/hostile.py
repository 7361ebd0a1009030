"""Hostile submissions: one attack each, written as a contract definition.

ATTACKS maps a name to an Attack whose `source` is a whole `def`/`class` of the
contract name in `replaces`, so it drops straight into a submission:

    make_submission(root, "evil", replace={a.replaces: a.source})   # tests/autograder/variants.py

`expect` is what the Sandbox must raise when the attack runs (at load time for
`at_load` attacks: then it is recorded in `load_errors` and the name is
missing). Attacks that take a path read it from their argument when it is a
string (Sandbox-level tests pass targets that way) and otherwise look for the
grader's files themselves, as a real student would. The second round (keyrings,
IPC, shared files, sockets, escaping daemons, memory across processes, the
grader's memory, spinning neighbours) takes a marker string and names what it
plants after it, so the tests can look for anything of it left on the machine.
"""

from __future__ import annotations

from dataclasses import dataclass

from autograder.sandbox import BadOutput, StudentCrash, StudentException, StudentTimeout


@dataclass(frozen=True)
class Attack:
    name: str
    replaces: str  # the contract function/class this source defines
    source: str
    expect: tuple  # error classes the sandbox may raise for it
    exc_type: str = ""  # for StudentException: the student's exception class name
    at_load: bool = False  # the damage happens while the definition is executed
    needs_namespaces: bool = False  # only contained with full isolation (root + namespaces)
    what: str = ""


def _attack(name, replaces, source, expect, **kw) -> Attack:
    return Attack(name, replaces, source.strip() + "\n", expect if isinstance(expect, tuple) else (expect,), **kw)


ATTACKS = {
    a.name: a
    for a in [
        _attack(
            "sys_exit",
            "relu_forward",
            """
def relu_forward(x):
    import sys
    sys.exit(3)
""",
            StudentException,
            exc_type="SystemExit",
            what="sys.exit in a graded function",
        ),
        _attack(
            "os_exit",
            "relu_forward",
            """
def relu_forward(x):
    import os
    os._exit(0)
""",
            StudentCrash,
            what="os._exit(0) in a graded function: a 'successful' exit mid-call",
        ),
        _attack(
            "exit_at_load",
            "LinearSoftmax",
            """
class LinearSoftmax:
    import os
    os._exit(7)    # a class body runs when the definition is executed
""",
            StudentCrash,
            at_load=True,
            what="os._exit while the definitions are loaded",
        ),
        _attack(
            "sys_exit_at_load",
            "LinearSoftmax",
            """
class LinearSoftmax:
    raise SystemExit("bye")
""",
            StudentException,
            exc_type="SystemExit",
            at_load=True,
            what="SystemExit at load",
        ),
        _attack(
            "hang",
            "relu_forward",
            """
def relu_forward(x):
    while True:
        pass
""",
            StudentTimeout,
            what="infinite loop",
        ),
        _attack(
            "hang_at_load",
            "TwoLayerNet",
            """
class TwoLayerNet:
    while True:
        pass
""",
            StudentTimeout,
            at_load=True,
            what="infinite loop in a class body",
        ),
        _attack(
            "segfault",
            "relu_forward",
            """
def relu_forward(x):
    import ctypes
    return ctypes.string_at(0)
""",
            StudentCrash,
            what="segmentation fault through ctypes",
        ),
        _attack(
            "output_flood",
            "relu_forward",
            """
def relu_forward(x):
    line = "spam " * 2000
    while True:
        print(line)
""",
            (StudentCrash, StudentException),
            what="prints without end (GBs)",
        ),
        _attack(
            "fork_bomb",
            "relu_forward",
            """
def relu_forward(x):
    import os
    while True:
        try:
            os.fork()
        except OSError:
            pass
""",
            (StudentTimeout, StudentCrash),
            needs_namespaces=True,
            what="fork bomb",
        ),
        _attack(
            "setsid_sleeper",
            "relu_forward",
            """
def relu_forward(x):
    import os
    marker = x if isinstance(x, str) else "4242.4242"
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            os.execv("/bin/sleep", ["sleep", marker])
        os._exit(0)
    return x
""",
            (),
            what="leaves a grandchild in its own session (setsid) sleeping after the call",
        ),
        _attack(
            "ignore_signals",
            "relu_forward",
            """
def relu_forward(x):
    import signal
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGXCPU, signal.SIGXFSZ):
        signal.signal(sig, signal.SIG_IGN)
    while True:
        pass
""",
            (StudentTimeout, StudentCrash),
            what="ignores every catchable signal, then hangs",
        ),
        _attack(
            "patch_numpy_pytest",
            "relu_forward",
            """
def relu_forward(x):
    import numpy as np
    np.allclose = lambda *a, **k: True
    np.array_equal = lambda *a, **k: True
    np.testing.assert_allclose = lambda *a, **k: None
    try:
        import pytest
        pytest.approx = lambda expected, *a, **k: expected
    except ImportError:
        pass
    return x * 0 - 1.0, None     # wrong on purpose
""",
            (),
            what="monkeypatches numpy and pytest, returns wrong values",
        ),
        _attack(
            "lying_objects",
            "relu_forward",
            """
def relu_forward(x):
    import numpy as np
    class Liar:
        def __eq__(self, other): return True
        def __ne__(self, other): return False
        def __array__(self, *a, **k): return np.zeros(3)
        def __float__(self): return 0.0
        def __len__(self): return 0
    class LyingFloat(float):
        def __eq__(self, other): return True
    class LyingArray(np.ndarray):
        def __eq__(self, other): return np.ones(np.shape(other), bool)
    return Liar(), LyingFloat(1.0), np.zeros(3).view(LyingArray)
""",
            (),
            what="returns objects whose __eq__/__array__/__float__ lie",
        ),
        _attack(
            "read_grader_proc",
            "relu_forward",
            """
def relu_forward(x):
    import os
    found = []
    try:
        pids = [p for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        pids = []
    for pid in [os.getppid(), 1] + pids:
        for leaf in ("environ", "cmdline"):
            try:
                with open(f"/proc/{pid}/{leaf}", "rb") as f:
                    found.append(f.read().decode("latin-1"))
            except OSError:
                pass
        try:
            found.append(" ".join(os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")))
        except OSError:
            pass
    found.append(repr(dict(os.environ)))
    return "\\n".join(found)
""",
            (),
            needs_namespaces=True,
            what="reads the grader's /proc entries (environ, cmdline, fds) and its own environment",
        ),
        _attack(
            "write_results",
            "relu_forward",
            """
def relu_forward(x):
    import glob, os
    targets = [x] if isinstance(x, str) else []
    for cmd in glob.glob("/proc/*/cmdline"):
        try:
            args = open(cmd, "rb").read().decode("latin-1").split("\\0")
            targets += [args[i + 1] for i, a in enumerate(args[:-1]) if a == "--out"]
            targets.append(os.readlink(cmd.replace("cmdline", "cwd")))
        except OSError:
            pass
    written = []
    for t in targets:
        try:
            with open(os.path.join(t, "grades.csv"), "w") as f:
                f.write("student_id,total\\nevil,9999\\n")
            written.append(t)
        except OSError:
            pass
    return written
""",
            (),
            needs_namespaces=True,
            what="writes a forged grades.csv where the results go",
        ),
        _attack(
            "read_hidden_files",
            "relu_forward",
            """
def relu_forward(x):
    import os
    paths = [x] if isinstance(x, str) else []
    paths += ["/work/main/autograder/hidden_tests", "/work/main/solutions", "/root/.ssh", "/home"]
    seen = []
    for p in paths:
        for dirpath, dirs, files in os.walk(p):
            for name in files:
                try:
                    with open(os.path.join(dirpath, name), "rb") as f:
                        f.read(1)
                    seen.append(os.path.join(dirpath, name))
                except OSError:
                    pass
    return seen
""",
            (),
            needs_namespaces=True,
            what="reads the hidden tests and solution notebooks",
        ),
        _attack(
            "huge_memory",
            "relu_forward",
            """
def relu_forward(x):
    import numpy as np
    return np.ones((200_000, 100_000))   # 160 GB
""",
            StudentException,
            exc_type="MemoryError",
            what="allocates 160 GB",
        ),
        _attack(
            "memory_creep",
            "relu_forward",
            """
def relu_forward(x):
    hoard = []
    while True:
        hoard.append(bytearray(50_000_000))
""",
            (StudentException, StudentCrash, StudentTimeout),
            exc_type="MemoryError",
            what="allocates until memory runs out (touching every page: slow on a loaded machine)",
        ),
        _attack(
            "network",
            "relu_forward",
            """
def relu_forward(x):
    import socket
    port = int(x) if isinstance(x, str) and x.isdigit() else 80
    s = socket.create_connection(("127.0.0.1", port), timeout=1)
    s.sendall(b"stolen data")
    return "connected"
""",
            StudentException,
            exc_type="",
            needs_namespaces=True,
            what="opens a network connection",
        ),
        _attack(
            "forged_answer",
            "relu_forward",
            """
def relu_forward(x):
    import json, os, struct
    head = json.dumps({"kind": "ok", "value": ["array", 0],
                       "buffers": [["float64", [10**9, 10**9]]]}).encode()
    os.write(4, struct.pack(">I", len(head)) + head)
    import time
    time.sleep(60)
""",
            BadOutput,
            what="writes a forged answer claiming an 8 EB array on the answer pipe",
        ),
        _attack(
            "huge_result",
            "relu_forward",
            """
def relu_forward(x):
    import numpy as np
    return np.broadcast_to(np.zeros(1), (40_000_000,))   # 320 MB once copied: over the result cap
""",
            BadOutput,
            what="returns an array larger than the result cap",
        ),
        _attack(
            "kill_supervisor",
            "relu_forward",
            """
def relu_forward(x):
    import os, signal
    for pid in [os.getppid()] + list(range(2, 60)):
        try:
            if pid != os.getpid():
                os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    return x
""",
            (),
            needs_namespaces=True,
            what="tries to kill its parent and every process it can see",
        ),
        _attack(
            "hijack_fork_server",
            "relu_forward",
            """
def relu_forward(x):
    import json, os, socket, struct
    found = []   # every socket it holds: the fork server's control channel would be one
    for fd in range(5, 1024):
        try:
            s = socket.socket(fileno=os.dup(fd))
        except OSError:
            continue
        found.append(fd)
        try:   # ask for a sandbox of its own, with a config of its choosing
            msg = json.dumps({"op": "spawn", "cfg": {"namespaces": False, "uid": None}}).encode()
            socket.send_fds(s, [struct.pack(">I", len(msg)) + msg], [0, 1, 2, 3, 4])
        except OSError:
            pass
    return found
""",
            (),
            what="looks for the fork server's socket to order an unconfined process",
        ),
        _attack(
            "raise_limits",
            "relu_forward",
            """
def relu_forward(x):
    import resource
    resource.setrlimit(resource.RLIMIT_CPU, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    return x
""",
            StudentException,
            exc_type="ValueError",
            what="tries to lift its CPU limit",
        ),
    ]
}

# ---------------------------------------------------------------- second round
# Written by reading the kit's source, as a student would. Each takes a marker string
# (its argument) and names what it plants after it, so that the test can look for
# anything of it left on the machine once the sandbox is closed (sandbox_helpers.leftovers).
ATTACKS.update(
    {
        a.name: a
        for a in [
            _attack(
                "keyring_plant",
                "relu_forward",
                """
def relu_forward(x):
    import ctypes, platform
    add_key, keyctl = {"x86_64": (248, 250), "aarch64": (217, 219)}[platform.machine()]
    libc = ctypes.CDLL(None, use_errno=True)
    planted = []
    for ring in (-3, -4, -5):   # session, user and user-session keyrings: they outlive a process
        serial = libc.syscall(add_key, b"user", x.encode(), b"the hidden W", 12, ctypes.c_int(ring))
        if serial > 0:
            libc.syscall(keyctl, 5, serial, 0x3F3F3F3F)   # KEYCTL_SETPERM: anyone may read it
            planted.append(serial)
    return planted
""",
                (),
                what="adds a world-readable kernel key that would outlive the sandbox",
            ),
            _attack(
                "sysv_ipc_plant",
                "relu_forward",
                """
def relu_forward(x):
    import ctypes, zlib
    libc = ctypes.CDLL(None, use_errno=True)
    key = zlib.crc32(x.encode()) & 0x7FFFFFFF
    IPC_CREAT = 0o1000
    ids = [libc.shmget(key, 4096, IPC_CREAT | 0o666), libc.msgget(key, IPC_CREAT | 0o666),
           libc.semget(key, 1, IPC_CREAT | 0o666)]
    return [i for i in ids if i >= 0]
""",
                (),
                what="creates SysV shared memory, a message queue and a semaphore",
            ),
            _attack(
                "shared_files_plant",
                "relu_forward",
                """
def relu_forward(x):
    import ctypes, os
    made = []
    for top in ("/tmp", "/var/tmp", "/dev/shm"):
        try:
            with open(f"{top}/{x}", "w") as f:
                f.write("the hidden W")
            os.chmod(f"{top}/{x}", 0o666)
            made.append(top)
        except OSError:
            pass
    try:
        from multiprocessing import shared_memory
        shared_memory.SharedMemory(name=x + "-posix", create=True, size=4096)
        made.append("posix shm")
    except Exception:
        pass
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.mq_open(("/" + x).encode(), os.O_CREAT | os.O_RDWR, 0o666, None) >= 0:
        made.append("mqueue")
    return made
""",
                (),
                what="leaves files in /tmp, /var/tmp, /dev/shm, POSIX shared memory and a message queue",
            ),
            _attack(
                "abstract_socket",
                "relu_forward",
                """
def relu_forward(x):
    import socket
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind("\\0" + x)          # abstract: no file, no permission check, visible machine-wide
    s.listen(1)
    return "listening"
""",
                StudentException,
                exc_type="PermissionError",
                what="listens on an abstract unix socket",
            ),
            _attack(
                "daemon_escape",
                "relu_forward",
                """
def relu_forward(x):
    import glob, os
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            for procs in glob.glob("/sys/fs/cgroup/**/cgroup.procs", recursive=True)[:50]:
                try:   # leave the sandbox's cgroup for the root one
                    with open(procs, "w") as f:
                        f.write(str(os.getpid()))
                except OSError:
                    pass
            os.closerange(0, 1024)
            os.execv("/bin/sleep", ["sleep", "3600", x])
        os._exit(0)
    return x
""",
                (),
                what="double-forks a daemon that tries to leave its cgroup, then sleeps with the marker",
            ),
            _attack(
                "memory_across_processes",
                "relu_forward",
                """
def relu_forward(x):
    import os
    kids = []
    for _ in range(4):   # 4 x 250 MB: each under the per-process limit, together over the sandbox's
        try:
            pid = os.fork()
        except OSError:
            break
        if pid == 0:
            hoard = b"\\1" * 250_000_000   # touched, so really resident
            import time
            time.sleep(0.5)
            os._exit(0)
        kids.append(pid)
    held = sum(os.waitpid(k, 0)[1] == 0 for k in kids)
    return held
""",
                (),
                what="holds 4 x 250 MB in four processes, each under the per-process memory limit",
            ),
            _attack(
                "read_grader_memory",
                "relu_forward",
                """
def relu_forward(x):
    import ctypes, os
    pid = int(x.rsplit("-", 1)[1])   # the grader's pid (a real student would scan /proc)
    got = []
    for leaf in ("environ", "maps", "mem", "fd", "cwd", "root/etc/hostname"):
        path = f"/proc/{pid}/{leaf}"
        try:
            if os.path.isdir(path):   # which files the grader holds open (its OUT, the hidden tests...)
                got.append(leaf + ":" + ",".join(os.readlink(f"{path}/{fd}") for fd in os.listdir(path)))
            else:
                with open(path, "rb") as f:
                    got.append(leaf + ":" + f.read(4096).decode("latin-1"))
        except OSError:
            pass
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.ptrace(16, pid, None, None) == 0:   # PTRACE_ATTACH
        got.append("ptrace attached")
    buf = ctypes.create_string_buffer(64)
    local = (ctypes.c_void_p * 2)(ctypes.addressof(buf), 64)
    remote = (ctypes.c_void_p * 2)(0x400000, 64)
    if libc.process_vm_readv(pid, local, 1, remote, 1, 0) > 0:
        got.append("process_vm_readv read")
    return got
""",
                (),
                what="reads the grader's memory, environment and fds through /proc, ptrace and process_vm_readv",
            ),
            _attack(
                "spinning_neighbour",
                "relu_forward",
                """
def relu_forward(x):
    import os
    started = 0
    for _ in range(15):   # 15 busy processes left running after the call returns
        try:
            if os.fork() == 0:
                os.setsid()
                while True:
                    pass
        except OSError:
            break
        started += 1
    return started
""",
                (),
                what="leaves 15 processes spinning on the CPU while the grader goes on",
            ),
        ]
    }
)

GOOD_AFFINE = """
def affine_forward(x, w, b):
    out = x.reshape(x.shape[0], -1) @ w + b
    return out, (x, w, b)
"""
