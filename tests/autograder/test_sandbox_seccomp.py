"""The seccomp filter: what it denies, what it leaves, and its syscall table."""

from __future__ import annotations

import ctypes
import ctypes.util

import pytest
from sandbox_helpers import FAST, chunks, slot

from autograder.sandbox import Policy, Sandbox, seccomp

PROBE = chunks(
    '''
def probe():
    """errno of each system call the filter must deny (0: it worked)."""
    import ctypes, errno, os, platform, socket
    libc = ctypes.CDLL(None, use_errno=True)
    nr = {"x86_64": {"add_key": 248, "keyctl": 250, "request_key": 249, "io_uring_setup": 425,
                     "pidfd_getfd": 438, "bpf": 321},
          "aarch64": {"add_key": 217, "keyctl": 219, "request_key": 218, "io_uring_setup": 425,
                      "pidfd_getfd": 438, "bpf": 280}}[platform.machine()]

    def err(ret):
        return 0 if ret >= 0 else ctypes.get_errno()

    out = {
        "add_key": err(libc.syscall(nr["add_key"], b"user", b"k", b"v", 1, ctypes.c_int(-3))),
        "keyctl": err(libc.syscall(nr["keyctl"], 0, ctypes.c_int(-3), 0)),  # KEYCTL_GET_KEYRING_ID
        "request_key": err(libc.syscall(nr["request_key"], b"user", b"k", None, 0)),
        "shmget": err(libc.shmget(1234, 4096, 0o1666)),
        "msgget": err(libc.msgget(1234, 0o1666)),
        "semget": err(libc.semget(1234, 1, 0o1666)),
        "mq_open": err(libc.mq_open(b"/ag-probe", os.O_CREAT | os.O_RDWR, 0o600, None)),
        "ptrace": err(libc.ptrace(16, os.getppid(), None, None)),
        "unshare": err(libc.unshare(0x10000000)),
        "io_uring_setup": err(libc.syscall(nr["io_uring_setup"], 1, None)),
        "bpf": err(libc.syscall(nr["bpf"], 0, None, 0)),
    }
    try:
        socket.socket(socket.AF_UNIX)
        out["socket"] = 0
    except OSError as exc:
        out["socket"] = exc.errno
    # locks and watches on a file every sandbox sees (numpy's own): channels between sandboxes
    import fcntl, struct
    shared = os.open(np.__file__, os.O_RDONLY)
    out["flock"] = err(libc.flock(shared, 1))  # LOCK_SH
    read_lock = struct.pack("hhqqi", fcntl.F_RDLCK, 0, 0, 0, 0)
    for name, cmd in (("fcntl F_SETLK", fcntl.F_SETLK), ("fcntl F_GETLK", fcntl.F_GETLK)):
        try:
            fcntl.fcntl(shared, cmd, read_lock)
            out[name] = 0
        except OSError as exc:
            out[name] = exc.errno
    out["fcntl F_OFD_SETLK"] = err(libc.fcntl(shared, 37, read_lock))
    out["inotify_init1"] = err(libc.inotify_init1(0))
    out["fcntl F_GETFD"] = 0 if fcntl.fcntl(shared, fcntl.F_GETFD) >= 0 else 1  # not a lock: allowed
    os.close(shared)
    return out
''',
    '''
def still_works():
    """What numpy homework (and Python itself) needs must keep working."""
    import os, socket, subprocess, threading
    a, b = socket.socketpair()
    a.sendall(b"x")
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os._exit(7)
    _, status = os.waitpid(pid, 0)
    out = subprocess.run(["/bin/echo", "hi"], capture_output=True, text=True).stdout
    t = threading.Thread(target=lambda: None)
    t.start()
    t.join()
    x = np.linalg.solve(np.eye(3) * 2, np.ones(3))
    return b.recv(1) == b"x", os.WEXITSTATUS(status), out.strip(), float(x.sum())
''',
)


@pytest.mark.parametrize("mode", ["full", "landlock", "basic"])
def test_denied_system_calls_fail_with_eperm(mode):
    with Sandbox(PROBE, limits=FAST, slot=slot() + 10, policy=Policy.named(mode)) as sb:
        assert "system calls: seccomp denies" in sb.isolation
        results = sb.call("probe")
        assert sb.call("still_works") == (True, 7, "hi", 1.5)
    import errno

    assert results.pop("fcntl F_GETFD") == 0  # fcntl without a lock command still works
    assert {k: v for k, v in results.items() if v != errno.EPERM} == {}


def test_without_the_filter_the_same_calls_work():
    """The probe can tell: with seccomp off (a machine without it) a socket is just a socket."""
    with Sandbox(PROBE, limits=FAST, slot=slot() + 11, policy=Policy.named("basic").without("seccomp")) as sb:
        assert "keyrings, SysV/POSIX IPC: NOT isolated (no seccomp filter)" in sb.isolation
        assert sb.call("probe")["socket"] == 0


def test_the_filter_is_well_formed():
    program = seccomp.program()
    assert len(program) < 256  # every jump offset fits a byte
    jumps = [(i, jt, jf) for i, (code, jt, jf, _) in enumerate(program) if code & 0x07 == 0x05]  # BPF_JMP
    assert jumps and all(i + 1 + max(jt, jf) < len(program) for i, jt, jf in jumps)
    assert program[-1][0] == seccomp.BPF_RET_K


LIBSECCOMP = ctypes.util.find_library("seccomp")


@pytest.mark.skipif(LIBSECCOMP is None, reason="libseccomp is not installed: nothing to check the table against")
@pytest.mark.parametrize("machine", sorted(seccomp.SYSCALLS))
def test_the_syscall_table_agrees_with_libseccomp(machine):
    lib = ctypes.CDLL(LIBSECCOMP)
    lib.seccomp_arch_resolve_name.restype = ctypes.c_uint32
    arch = lib.seccomp_arch_resolve_name(machine.encode())
    assert arch == seccomp.AUDIT_ARCH[machine]
    theirs = {name: lib.seccomp_syscall_resolve_name_arch(arch, name.encode()) for name in seccomp.SYSCALLS[machine]}
    assert theirs == seccomp.SYSCALLS[machine]
