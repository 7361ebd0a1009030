"""Hostile submissions: one attack each, written as a contract definition.

ATTACKS maps a name to an Attack whose `source` is a whole `def`/`class` of the
contract name in `replaces`, so it drops straight into a submission:

    make_submission(root, "evil", replace={a.replaces: a.source})   # tests/autograder/variants.py

`expect` is what the Sandbox must raise when the attack runs (at load time for
`at_load` attacks: then it is recorded in `load_errors` and the name is
missing). Attacks that take a path read it from their argument when it is a
string (Sandbox-level tests pass targets that way) and otherwise look for the
grader's files themselves, as a real student would.
"""
from __future__ import annotations

from dataclasses import dataclass

from autograder.sandbox import BadOutput, StudentCrash, StudentException, StudentTimeout


@dataclass(frozen=True)
class Attack:
    name: str
    replaces: str           # the contract function/class this source defines
    source: str
    expect: tuple           # error classes the sandbox may raise for it
    exc_type: str = ""      # for StudentException: the student's exception class name
    at_load: bool = False   # the damage happens while the definition is executed
    needs_namespaces: bool = False  # only contained with full isolation (root + namespaces)
    what: str = ""


def _attack(name, replaces, source, expect, **kw) -> Attack:
    return Attack(name, replaces, source.strip() + "\n", expect if isinstance(expect, tuple) else (expect,), **kw)


ATTACKS = {a.name: a for a in [
    _attack("sys_exit", "relu_forward", '''
def relu_forward(x):
    import sys
    sys.exit(3)
''', StudentException, exc_type="SystemExit", what="sys.exit in a graded function"),

    _attack("os_exit", "relu_forward", '''
def relu_forward(x):
    import os
    os._exit(0)
''', StudentCrash, what="os._exit(0) in a graded function: a 'successful' exit mid-call"),

    _attack("exit_at_load", "LinearSoftmax", '''
class LinearSoftmax:
    import os
    os._exit(7)    # a class body runs when the definition is executed
''', StudentCrash, at_load=True, what="os._exit while the definitions are loaded"),

    _attack("sys_exit_at_load", "LinearSoftmax", '''
class LinearSoftmax:
    raise SystemExit("bye")
''', StudentException, exc_type="SystemExit", at_load=True, what="SystemExit at load"),

    _attack("hang", "relu_forward", '''
def relu_forward(x):
    while True:
        pass
''', StudentTimeout, what="infinite loop"),

    _attack("hang_at_load", "TwoLayerNet", '''
class TwoLayerNet:
    while True:
        pass
''', StudentTimeout, at_load=True, what="infinite loop in a class body"),

    _attack("segfault", "relu_forward", '''
def relu_forward(x):
    import ctypes
    return ctypes.string_at(0)
''', StudentCrash, what="segmentation fault through ctypes"),

    _attack("output_flood", "relu_forward", '''
def relu_forward(x):
    line = "spam " * 2000
    while True:
        print(line)
''', (StudentCrash, StudentException), what="prints without end (GBs)"),

    _attack("fork_bomb", "relu_forward", '''
def relu_forward(x):
    import os
    while True:
        try:
            os.fork()
        except OSError:
            pass
''', (StudentTimeout, StudentCrash), needs_namespaces=True, what="fork bomb"),

    _attack("setsid_sleeper", "relu_forward", '''
def relu_forward(x):
    import os
    marker = x if isinstance(x, str) else "4242.4242"
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            os.execv("/bin/sleep", ["sleep", marker])
        os._exit(0)
    return x
''', (), what="leaves a grandchild in its own session (setsid) sleeping after the call"),

    _attack("ignore_signals", "relu_forward", '''
def relu_forward(x):
    import signal
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGXCPU, signal.SIGXFSZ):
        signal.signal(sig, signal.SIG_IGN)
    while True:
        pass
''', (StudentTimeout, StudentCrash), what="ignores every catchable signal, then hangs"),

    _attack("patch_numpy_pytest", "relu_forward", '''
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
''', (), what="monkeypatches numpy and pytest, returns wrong values"),

    _attack("lying_objects", "relu_forward", '''
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
''', (), what="returns objects whose __eq__/__array__/__float__ lie"),

    _attack("read_grader_proc", "relu_forward", '''
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
''', (), needs_namespaces=True,
       what="reads the grader's /proc entries (environ, cmdline, fds) and its own environment"),

    _attack("write_results", "relu_forward", '''
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
''', (), needs_namespaces=True, what="writes a forged grades.csv where the results go"),

    _attack("read_hidden_files", "relu_forward", '''
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
''', (), needs_namespaces=True, what="reads the hidden tests and solution notebooks"),

    _attack("huge_memory", "relu_forward", '''
def relu_forward(x):
    import numpy as np
    return np.ones((200_000, 100_000))   # 160 GB
''', StudentException, exc_type="MemoryError", what="allocates 160 GB"),

    _attack("memory_creep", "relu_forward", '''
def relu_forward(x):
    hoard = []
    while True:
        hoard.append(bytearray(50_000_000))
''', (StudentException, StudentCrash, StudentTimeout), exc_type="MemoryError",
       what="allocates until memory runs out (touching every page: slow on a loaded machine)"),

    _attack("network", "relu_forward", '''
def relu_forward(x):
    import socket
    port = int(x) if isinstance(x, str) and x.isdigit() else 80
    s = socket.create_connection(("127.0.0.1", port), timeout=1)
    s.sendall(b"stolen data")
    return "connected"
''', StudentException, exc_type="", needs_namespaces=True, what="opens a network connection"),

    _attack("forged_answer", "relu_forward", '''
def relu_forward(x):
    import json, os, struct
    head = json.dumps({"kind": "ok", "value": ["array", 0],
                       "buffers": [["float64", [10**9, 10**9]]]}).encode()
    os.write(4, struct.pack(">I", len(head)) + head)
    import time
    time.sleep(60)
''', BadOutput, what="writes a forged answer claiming an 8 EB array on the answer pipe"),

    _attack("huge_result", "relu_forward", '''
def relu_forward(x):
    import numpy as np
    return np.broadcast_to(np.zeros(1), (40_000_000,))   # 320 MB once copied: over the result cap
''', BadOutput, what="returns an array larger than the result cap"),

    _attack("kill_supervisor", "relu_forward", '''
def relu_forward(x):
    import os, signal
    for pid in [os.getppid()] + list(range(2, 60)):
        try:
            if pid != os.getpid():
                os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    return x
''', (), needs_namespaces=True, what="tries to kill its parent and every process it can see"),

    _attack("hijack_fork_server", "relu_forward", '''
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
''', (), what="looks for the fork server's socket to order an unconfined process"),

    _attack("raise_limits", "relu_forward", '''
def relu_forward(x):
    import resource
    resource.setrlimit(resource.RLIMIT_CPU, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    return x
''', StudentException, exc_type="ValueError", what="tries to lift its CPU limit"),
]}

GOOD_AFFINE = '''
def affine_forward(x, w, b):
    out = x.reshape(x.shape[0], -1) @ w + b
    return out, (x, w, b)
'''

