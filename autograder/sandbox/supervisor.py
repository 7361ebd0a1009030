"""The sandbox's supervisor: isolates, starts and finally kills the child.

Forked by the fork server (forkserver.py) for each sandbox, in a new session,
and entered at `run(cfg)`. File descriptors: 0 = lifeline (the grader holds
the write end; EOF means "kill everything now"), 1 = status pipe to the grader
(JSON lines), 2 = the capped output log, 3/4 = the request/response pipes,
5 = shared memory for the arrays of callbacks. It
  0. joins the sandbox's cgroups (cfg["cgroup_procs"]; cgroups.py), so that
     everything it starts is limited, measured and killed as one;
  1. tries namespaces (mount + PID + network + IPC; needs root or a user
     namespace), forks the child, which builds a private root holding only
     python, numpy and the submission's code, drops to its own uid and every
     capability, sets rlimits, installs the seccomp filter (seccomp.py) and
     serves requests (child.py), without an exec: python and numpy are
     already loaded;
  2. without namespaces it is a child subreaper instead, so descendants that
     setsid() are re-parented to it and still get killed, and the child
     confines itself with Landlock (landlock.py) where the kernel has it;
  3. waits for the child's exit or the lifeline's EOF, kills every remaining
     descendant and reports the child's wait status.
The child reports the isolation it reached on the status pipe before it serves;
a layer that fails to set up is reported by name ({"setup_failed", "layer"}) and
the grader steps down that layer alone.
"""

import ctypes
import fcntl
import json
import os
import resource
import select
import signal
import stat
import sys
import time

import landlock
import linux
import seccomp
from linux import (
    CLONE_NEWIPC,
    CLONE_NEWNET,
    CLONE_NEWNS,
    CLONE_NEWPID,
    CLONE_NEWUSER,
    LINUX,
    MNT_DETACH,
    MS_BIND,
    MS_NOATIME,
    MS_NODEV,
    MS_NODIRATIME,
    MS_NOEXEC,
    MS_NOSUID,
    MS_PRIVATE,
    MS_RDONLY,
    MS_REC,
    MS_RELATIME,
    MS_REMOUNT,
    PR_SET_CHILD_SUBREAPER,
    PR_SET_NO_NEW_PRIVS,
    PR_SET_PDEATHSIG,
    mount,
    prctl,
)

SETUP_FAILED = 97


class LayerFailed(Exception):
    """An isolation layer that looked available did not set up; the grader steps down."""

    def __init__(self, layer, exc):
        super().__init__(f"{type(exc).__name__}: {exc}")
        self.layer = layer


def status_line(obj):
    os.write(1, (json.dumps(obj) + "\n").encode())


# ------------------------------------------------------------------ private root


def bind(src, target, readonly=True, flags=MS_NOSUID | MS_NODEV):
    if os.path.isdir(src):
        os.makedirs(target, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        open(target, "a").close()
    mount(src, target, None, MS_BIND | MS_REC)
    mount(None, target, None, MS_BIND | MS_REMOUNT | flags | locked_flags(src) | (MS_RDONLY if readonly else 0))


def locked_flags(path):
    """The source mount's nosuid/nodev/noexec/atime flags: inside a user namespace a
    remount may not clear them (EPERM), so carry them over."""
    f = os.statvfs(path).f_flag
    pairs = [
        (os.ST_NOSUID, MS_NOSUID),
        (os.ST_NODEV, MS_NODEV),
        (os.ST_NOEXEC, MS_NOEXEC),
        (os.ST_NOATIME, MS_NOATIME),
        (os.ST_NODIRATIME, MS_NODIRATIME),
        (os.ST_RELATIME, MS_RELATIME),
    ]
    return sum(ms for st, ms in pairs if f & st)


def enter_user_namespace(uid, gid):
    """Not root: a user namespace gives the capabilities to build the private root.
    The uid maps to itself, so files keep their owners; clear_capabilities() drops
    the capabilities before student code runs."""
    with open("/proc/self/setgroups", "w") as f:
        f.write("deny")
    with open("/proc/self/uid_map", "w") as f:
        f.write(f"{uid} {uid} 1")
    with open("/proc/self/gid_map", "w") as f:
        f.write(f"{gid} {gid} 1")


def build_root(cfg):
    """Populate cfg root with read-only binds of what python needs, then pivot into it."""
    root, d = cfg["root"], cfg["dirs"]
    mount(None, "/", None, MS_REC | MS_PRIVATE)  # nothing we mount leaks to the host
    mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=0755")
    # /tmp first: the binds below may live under it (a checkout in /tmp/...),
    # and then they must sit on top of this tmpfs, not under it.
    os.makedirs(root + "/tmp")
    mount("tmpfs", root + "/tmp", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, f"size={cfg['tmp_mb']}m,mode=1777")
    os.makedirs(root + "/tmp/work", mode=0o700)
    if cfg["uid"] is not None:
        os.chown(root + "/tmp/work", cfg["uid"], cfg["uid"])
    covered = []
    for top in ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"] + cfg["binds"]:
        if any(top == c or top.startswith(c + "/") for c in covered) or not os.path.lexists(top):
            continue
        if os.path.islink(top) and os.path.dirname(top) == "/":
            os.symlink(os.readlink(top), root + top)  # merged /usr: /lib -> usr/lib
            continue
        bind(top, root + top)
        covered.append(top)
    for name in ("ld.so.cache", "localtime"):
        path = "/etc/" + name
        if os.path.islink(path):
            os.makedirs(root + "/etc", exist_ok=True)
            os.symlink(os.readlink(path), root + path)
        elif os.path.isfile(path):
            bind(path, root + path)
    os.makedirs(root + "/dev")
    mount("tmpfs", root + "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "size=64k,mode=0755")
    for dev in ("null", "zero", "full", "random", "urandom"):
        bind("/dev/" + dev, root + "/dev/" + dev, readonly=False, flags=MS_NOSUID | MS_NOEXEC)
    for i, name in enumerate(("stdin", "stdout", "stderr")):
        os.symlink(f"/proc/self/fd/{i}", f"{root}/dev/{name}")
    os.symlink("/proc/self/fd", root + "/dev/fd")
    os.makedirs(root + "/dev/shm")
    mount("tmpfs", root + "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=16m,mode=1777")
    os.makedirs(root + "/proc")
    mount("proc", root + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)  # this PID namespace only
    bind(d["code"], root + "/sandbox/code")
    for path in cfg["hide"]:  # e.g. the autograder package, if it lives inside a bound prefix
        if os.path.isdir(root + path):
            mount("tmpfs", root + path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV, "size=4k,mode=0555")
    pivot(root)
    mount(None, "/", None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, "size=1m,mode=0755")


def pivot(root):
    """Make `root` the filesystem root and detach the old one entirely."""
    os.chdir(root)
    number = linux.SYS_PIVOT_ROOT.get(linux.MACHINE)
    if number is None:  # another architecture: chroot is enough once we lose root below
        os.chroot(".")
    else:
        linux.check(linux.libc.syscall(number, b".", b"."), "pivot_root")
        linux.check(linux.libc.umount2(b".", MNT_DETACH), "umount old root")
    os.chdir("/")


def drop_root_capabilities():
    """Stay uid 0 (python is unreachable by other uids) but with no capability:
    empty bounding set, no ambient ones, and securebits so that a program the
    student execs does not get root's capabilities back (clear_capabilities()
    empties this process's own sets just before student code runs)."""
    try:
        for cap in range(linux.CAP_LAST_POSSIBLE + 1):
            if linux.libc.prctl(linux.PR_CAPBSET_DROP, ctypes.c_ulong(cap), 0, 0, 0) != 0:
                break  # EINVAL: past the last capability this kernel knows
        prctl(linux.PR_CAP_AMBIENT, linux.PR_CAP_AMBIENT_CLEAR_ALL)
        prctl(linux.PR_SET_SECUREBITS, linux.SECBITS_ROOT_WITHOUT_POWERS)
    except OSError as exc:
        return f"user: root WITH capabilities (WARNING: could not drop them: {exc.strerror})"
    return "user: root without capabilities (no uid switch possible)"


# ------------------------------------------------------------------ Landlock


def landlock_paths(cfg):
    system = [
        "/usr",
        "/bin",
        "/sbin",
        "/lib",
        "/lib32",
        "/lib64",
        "/libx32",
        "/etc/ld.so.cache",
        "/etc/localtime",
        "/dev/urandom",
        "/dev/random",
        "/dev/zero",
    ]
    read_only = [os.path.realpath(p) for p in system] + cfg["binds"] + [cfg["dirs"]["code"]]
    return read_only, [cfg["dirs"]["work"], "/dev/null"]


# ------------------------------------------------------------------ the child


def world_usable(path):
    """True when another uid can reach and run `path` (every parent dir o+x)."""
    path = os.path.realpath(path)
    while path != "/":
        if not os.stat(path).st_mode & stat.S_IXOTH:
            return False
        path = os.path.dirname(path)
    return True


def set_limits(cfg, uid, running):
    lim = cfg["limits"]
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_CPU, (lim["cpu_seconds"], lim["cpu_seconds"] + 1))
    resource.setrlimit(resource.RLIMIT_FSIZE, (lim["max_output_bytes"],) * 2)
    resource.setrlimit(resource.RLIMIT_NOFILE, (lim["max_open_files"],) * 2)
    if LINUX:  # macOS does not enforce RLIMIT_AS
        resource.setrlimit(resource.RLIMIT_AS, (lim["memory_mb"] * 2**20,) * 2)
    processes = cfg["processes"]
    if os.getuid() == 0:
        return "process count: NOT limited by rlimits (RLIMIT_NPROC does not apply to root)"
    # RLIMIT_NPROC counts every process of the uid: with a shared uid, allow what already runs.
    base = 0 if uid is not None else running
    resource.setrlimit(resource.RLIMIT_NPROC, (base + processes,) * 2)
    return f"process count: at most {processes} (RLIMIT_NPROC)" + (
        "" if uid is not None else " more than the user already runs"
    )


def count_processes(uid):
    n = 0
    for pid in os.listdir("/proc") if os.path.isdir("/proc") else []:
        try:
            n += pid.isdigit() and os.stat(f"/proc/{pid}").st_uid == uid
        except OSError:
            pass
    return n


def plumb(fds):
    """log -> 1, 2; requests -> 3; responses -> 4; callbacks' shared memory -> 5;
    /dev/null -> 0; nothing else open."""
    high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (fds["log"], fds["req"], fds["resp"], fds["bulk"])]
    null = os.open("/dev/null", os.O_RDONLY)
    os.dup2(null, 0)
    for target, src in ((1, high[0]), (2, high[0]), (3, high[1]), (4, high[2]), (5, high[3])):
        os.dup2(src, target)
    os.closerange(6, 65536)


def layer(name, fn, *args):
    """Run one isolation layer's set-up; a failure names the layer, so the grader steps down it alone."""
    try:
        return fn(*args)
    except Exception as exc:
        raise LayerFailed(name, exc) from None


NAMESPACE_NOTES = [
    "filesystem: private read-only root (python, numpy, the submission's code; tmpfs /tmp and "
    "/dev/shm of its own); hidden tests, solutions and OUT are not visible",
    "network: none (empty network namespace; abstract unix sockets are private to it)",
    "processes: own PID namespace (the grader's /proc is not visible; everything dies with the child)",
    "IPC: own IPC namespace (SysV objects die with it)",
]


def confine_files(cfg, ns):
    """Namespaces, else Landlock, else nothing -> (notes, the child's working directory)."""
    if ns:
        os.setsid()  # kill(0, ...) from the student must not reach the supervisor (same uid in a user ns)
        layer("namespaces", build_root, cfg)
        return list(NAMESPACE_NOTES), "/tmp/work"
    version = landlock.abi() if cfg["landlock"] else 0
    notes = (
        layer("landlock", landlock.restrict, *landlock_paths(cfg), version)
        if version
        else [
            "filesystem: NOT private (the child can read whatever its uid can; it may leave files in "
            "world-writable directories, which the grader removes afterwards only for a sandbox uid)"
        ]
    )
    notes.append("processes: process group" + (" + subreaper" if LINUX else "") + " killed at the end")
    return notes, cfg["dirs"]["work"]


def switch_user(cfg, ns, uid, cwd):
    """The sandbox's own uid when there is one, else no capabilities -> (note, uid in force)."""
    if uid is not None and not (ns or world_usable(cfg["python"])):
        return f"uid: stayed {os.getuid()} ({cfg['python']} is not reachable by another uid)", None
    if uid is not None:
        if not ns:
            os.chown(cwd, uid, uid)
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)  # from root: drops every capability
        return f"user: uid {uid}, no capabilities, no_new_privs", uid
    if os.getuid() == 0:
        return drop_root_capabilities(), None
    return (
        f"user: the grader's own uid {os.getuid()}" + (" in a user namespace, every capability cleared" if ns else "")
    ), None


def channel_notes(notes, ns, filtered):
    """What stands between this sandbox and the others: network, IPC, keyrings."""
    out = []
    if not ns and not filtered and not any(n.startswith("network:") for n in notes):
        out.append("network: NOT isolated")
    if not filtered:
        out.append("keyrings" + ("" if ns else ", SysV/POSIX IPC") + ": NOT isolated (no seccomp filter)")
    return out


def isolate_and_serve(cfg, ns):
    """In the fork: isolate, drop privileges, serve the student's code. Never returns."""
    running = count_processes(os.getuid())  # before /proc becomes the new PID namespace's
    try:
        notes, cwd = confine_files(cfg, ns)
        note, uid = switch_user(cfg, ns, cfg["uid"], cwd)
        notes.append(note)
        os.chdir(cwd)
        prctl(PR_SET_NO_NEW_PRIVS, 1)
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        notes.append(set_limits(cfg, uid, running))
        filtered = cfg["seccomp"] and seccomp.available()
        if filtered:
            notes.append(layer("seccomp", seccomp.install))
        notes += channel_notes(notes, ns, filtered)
    except LayerFailed as exc:
        status_line({"setup_failed": str(exc), "layer": exc.layer})
        os._exit(SETUP_FAILED)
    except Exception as exc:
        status_line({"setup_failed": f"{type(exc).__name__}: {exc}", "layer": ""})
        os._exit(SETUP_FAILED)
    status_line({"isolation": notes, "uid": uid, "namespaces": ns})
    plumb(cfg["fds"])
    serve_student_code(cfg, dict(cfg["env"], HOME=cwd, TMPDIR="/tmp" if ns else cwd))


def serve_student_code(cfg, env):
    """What an exec of a fresh python would give, then child.py's request loop. Never returns."""
    try:
        clear_capabilities()  # the uid switch dropped them; in a user namespace only this does
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGCHLD):
            signal.signal(sig, signal.SIG_DFL)
        os.environ.clear()
        os.environ.update(env)
        sys.argv = ["child.py"]
        import random

        import child
        import numpy

        numpy.random.seed()  # fresh entropy, as in a new interpreter (not the fork server's state)
        random.seed()
    except BaseException:
        os._exit(127)
    try:
        child.main(int(cfg["max_result_bytes"]), int(cfg["bulk_bytes"]))
    finally:
        os._exit(0)


def clear_capabilities():
    """Empty effective, permitted and inheritable capability sets (capset(2), v3)."""
    if not LINUX:
        return
    header = (ctypes.c_uint32 * 2)(linux.LINUX_CAPABILITY_VERSION_3, 0)  # 0: this process
    data = (ctypes.c_uint32 * 6)()  # 2 x {effective, permitted, inheritable}, all 0
    linux.check(linux.libc.capset(header, data), "capset")


# ------------------------------------------------------------------ supervision


def children_of(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


def kill_tree(pid):
    """SIGKILL the child and every descendant (they are re-parented to us)."""
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    end = time.monotonic() + 5
    while time.monotonic() < end:
        for kid in children_of(os.getpid()):
            try:
                os.kill(kid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass
        except ChildProcessError:
            return
        time.sleep(0.001)


def supervise(pid):
    """Wait for the child to exit or the lifeline to close; return the wait status."""
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    poller = select.poll()
    poller.register(0, select.POLLIN)
    poller.register(wake_r, select.POLLIN)
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            kill_tree(pid)
            return status
        for fd, _ in poller.poll(1000):
            if fd == 0 and not os.read(0, 4096):  # lifeline closed: the grader wants it dead
                kill_tree(pid)
                return None
            if fd == wake_r:
                os.read(wake_r, 4096)


def join_cgroup(procs_files):
    """Move this process into the sandbox's cgroups (before it forks anything)."""
    for path in procs_files:
        with open(path, "w") as f:
            f.write(str(os.getpid()))


def run(cfg):
    """The supervisor's whole life (called in the process the fork server forked)."""
    try:
        join_cgroup(cfg["cgroup_procs"])
    except OSError as exc:
        status_line({"setup_failed": f"cgroup: {exc}", "layer": "cgroup"})
        return
    ns = False
    if cfg["namespaces"] and LINUX:
        uid, gid = os.getuid(), os.getgid()
        user_ns = CLONE_NEWUSER if uid != 0 else 0
        try:
            linux.check(
                linux.libc.unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | user_ns), "unshare"
            )
            ns = True
        except OSError as exc:
            status_line({"note": f"namespaces unavailable: {exc.strerror}", "layer": "namespaces"})
        if ns and user_ns:
            try:
                enter_user_namespace(uid, gid)
            except OSError as exc:  # half-made user namespace: let the grader start over without
                status_line({"setup_failed": f"user namespace: {exc}", "layer": "namespaces"})
                return
    if LINUX and not ns:
        prctl(PR_SET_CHILD_SUBREAPER, 1)
    pid = os.fork()
    if pid == 0:
        isolate_and_serve(cfg, ns)
    status_line({"child": pid})  # its pid here, outside its PID namespace: the grader reads its CPU time
    status = supervise(pid)
    status_line({"exit": status})
