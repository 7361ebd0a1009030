"""Where a sandbox's processes come from, and how they end.

`Sandbox` (sandbox.py) speaks the wire protocol to a child; a *runtime* makes
that child and takes it down. The one runtime here, `LocalRuntime`, is
grader -> fork server (forkserver.py) -> supervisor (supervisor.py) -> child
(child.py), with the isolation layers of policy.py. A container runtime would
implement the same methods (see `Runtime`) and leave Sandbox unchanged.

Per sandbox (across restarts of its child) the local runtime holds a scratch
dir (code/, work/, root/, output logs), a sandbox uid when the grader is root,
and a cgroup when the machine offers one; per child, a supervisor in its own
session with five pipes (lifeline, status, log, requests, responses).
"""

from __future__ import annotations

import fcntl
import itertools
import json
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Protocol

from . import cgroups, forkserver, linux, procs, wire
from .limits import Limits, SandboxError
from .policy import SUPPORT, Policy, Support

HERE = Path(__file__).resolve().parent
AUTOGRADER_DIR = HERE.parent
# What the child's environment holds: nothing of the grader's (no tokens, no HOME).
CHILD_ENV = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "LC_ALL": "C.UTF-8",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "VECLIB_MAXIMUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1",
    "MPLBACKEND": "Agg",
}
PIPE_BYTES = 2**20  # 1 MB pipe buffers where Linux allows (64 KB default: slow for arrays)
KILL_WAIT = 2.0  # seconds to wait for the supervisor's last word when stopping
_GENERATIONS = itertools.count(1)  # unique per child process, across all sandboxes
_NAMES = itertools.count(1)  # per sandbox cgroup in this process
_FORK_SERVERS: dict[int, forkserver.ForkServer] = {}  # grading process id -> its fork server
_FORK_LOCK = threading.Lock()


# A child that stays root (python not reachable by the sandbox uid) with neither
# namespaces nor Landlock could read and change every hand-in and signal the
# grader: refused, unless the caller grades a single hand-in on a throwaway
# machine (a Gradescope container sets the variable; see autograder/platforms/gradescope.py).
ALLOW_UNCONFINED_ROOT = "AUTOGRADE_ALLOW_UNCONFINED_ROOT"
UNCONFINED_ROOT = (
    "refusing to run student code as root with neither namespaces nor Landlock: it could read and "
    "change every hand-in and stop the grader. Run the grader as an ordinary user (with python "
    "readable by other users), or on a kernel with user namespaces or Landlock; to grade one hand-in on "
    f"a throwaway machine (a Gradescope container), set {ALLOW_UNCONFINED_ROOT}=1"
)


def unconfined_root_allowed(policy: Policy) -> bool:
    return policy.allow_unconfined_root or os.environ.get(ALLOW_UNCONFINED_ROOT) == "1"


class Runtime(Protocol):
    """What Sandbox needs from whatever runs the child (fork server here; a container runtime later)."""

    isolation: str

    def open(self, chunks) -> None: ...  # per-sandbox resources, the code written
    def spawn(self, deadline: float) -> Child: ...  # a fresh child with a hello sent; SandboxError
    def stop(self) -> int | None: ...  # kill the child's whole tree -> wait status
    def cpu_seconds(self) -> float: ...  # CPU of every process of the sandbox so far
    def starved_seconds(self) -> float | None: ...  # time it waited for a CPU (None: unknown)
    def describe_death(self, status: int | None) -> str: ...
    def output(self, limit: int) -> str: ...
    def close(self) -> None: ...


class Child:
    """One child process: the pipes to talk to it, the memory it shares with the grader for
    the arrays of callbacks (None without callbacks), and its generation number."""

    def __init__(self, requests: int, responses: int, generation: int, code_dir: str, bulk: memoryview | None = None):
        self.requests, self.responses, self.generation, self.code_dir = requests, responses, generation, code_dir
        self.bulk = bulk


# ------------------------------------------------------------------ the fork server


def fork_server(restart: bool = False) -> forkserver.ForkServer:
    """This process's fork server, started on first use or when it died (a forked
    batch worker starts its own: the parent's socket is not its to share)."""
    with _FORK_LOCK:
        server = _FORK_SERVERS.get(os.getpid())
        if server is not None and (restart or not server.alive()):
            server.close()
            server = None
        if server is None:
            protect_grader()
            try:
                server = forkserver.ForkServer(_site_dirs(), CHILD_ENV, scratch=tempfile.gettempdir())
            except (OSError, RuntimeError) as exc:
                raise SandboxError(str(exc)) from None
            _FORK_SERVERS[os.getpid()] = server
        return server


def protect_grader() -> None:
    """Make the grading process non-dumpable: a process of the same uid (a sandbox's child
    in a mode without namespaces or a sandbox uid) can then read neither its memory nor its
    environment nor its fds through /proc, nor ptrace it."""
    if linux.LINUX:
        linux.prctl(linux.PR_SET_DUMPABLE, 0)


def _site_dirs() -> list[str]:
    """The grader's site-packages (numpy's first): the child runs without `site`."""
    import site

    import numpy

    dirs = [str(Path(numpy.__file__).parent.parent)] + site.getsitepackages()
    return list(dict.fromkeys(d for d in dirs if os.path.isdir(d)))


def _pipe(big: bool = False) -> tuple[int, int]:
    r, w = os.pipe()
    if big:
        try:
            import fcntl

            fcntl.fcntl(w, fcntl.F_SETPIPE_SZ, PIPE_BYTES)
        except OSError:
            pass
    return r, w


def sweep_stale() -> None:
    """Remove the scratch dirs and cgroups of graders that died without closing
    (SIGKILL-ed batch workers whose fork server died too)."""
    for path in Path(tempfile.gettempdir()).glob(f"{cgroups.PREFIX}-*-*"):
        pid = cgroups.owner(path.name)
        if pid is not None and pid != os.getpid() and not cgroups.alive(pid):
            shutil.rmtree(path, ignore_errors=True)
    cgroups.sweep(hierarchies=hierarchies())


_HIERARCHIES: dict[int, list[cgroups.Hierarchy]] = {}


def hierarchies() -> list[cgroups.Hierarchy]:
    """This process's cgroup hierarchies (looked up once per process)."""
    if os.getpid() not in _HIERARCHIES:
        _HIERARCHIES[os.getpid()] = cgroups.discover() if linux.LINUX else []
    return _HIERARCHIES[os.getpid()]


# /proc/<pid>/stat fields 14-17 (proc(5)), counted after the ")" that ends the command name
STAT_UTIME, STAT_STIME, STAT_CUTIME, STAT_CSTIME = 11, 12, 13, 14


def _proc_cpu(pid: int | None, first: int, last: int) -> float:
    """Seconds in /proc/<pid>/stat's fields first..last (utime, stime, cutime, cstime); 0 if gone."""
    if pid is None:
        return 0.0
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()  # the name may hold spaces and ")"
    except OSError:
        return 0.0
    return sum(int(v) for v in fields[first : last + 1]) / os.sysconf("SC_CLK_TCK")


# ------------------------------------------------------------------ the local runtime


class LocalRuntime:
    def __init__(
        self, limits: Limits, slot: int, policy: Policy, support: Support | None = None, hide=(), bulk_bytes: int = 0
    ):
        self.limits, self.slot, self.policy = limits, slot, policy
        self.bulk_bytes = bulk_bytes if hasattr(os, "memfd_create") else 0  # shared memory per child
        self.support = SUPPORT if support is None else support
        self.hide = [str(AUTOGRADER_DIR)] + [str(p) for p in hide]
        self.isolation = "not started"
        self.in_namespaces = False
        self.tmp: Path | None = None
        self.uid: int | None = None
        self._uid_lock: int | None = None  # the fd whose flock holds `uid` for this sandbox
        self.cgroup: cgroups.SandboxCgroup | None = None
        self._cgroup_note = ""
        self._pid: int | None = None  # the supervisor's (also its process group's)
        self._child_pid: int | None = None  # the child's, as the grader sees it
        self._cpu_done = 0.0  # CPU of finished children (fallback measure only)
        self._bulk: memoryview | None = None  # the current child's shared memory (callbacks' arrays)
        self._ran_outside_namespaces = False

    # ------------------------------------------------------------ per sandbox

    def _scratch(self) -> Path:
        """The sandbox's scratch dir, which open() makes and close() removes."""
        assert self.tmp is not None, "LocalRuntime.open() comes first"
        return self.tmp

    def open(self, chunks) -> None:
        sweep_stale()
        self.tmp = Path(tempfile.mkdtemp(prefix=f"{cgroups.PREFIX}-{os.getpid()}-"))
        claimed = procs.claim_uid(self.slot)
        self.uid, self._uid_lock = claimed if claimed else (None, None)
        for sub in ("code", "work", "root"):
            (self.tmp / sub).mkdir()
        for i, chunk in enumerate(chunks):
            (self.tmp / "code" / f"{i:03d}.py").write_text(chunk.source, encoding="utf-8")
        os.chmod(self.tmp, 0o711)  # a sandbox uid without namespaces must reach code/ and work/
        os.chmod(self.tmp / "code", 0o755)
        self._open_cgroup()

    def _open_cgroup(self) -> None:
        if not (self.policy.cgroup and self.support.usable("cgroup")):
            self._cgroup_note = "cgroup: " + (self.support.why("cgroup") or "disabled by the caller")
            return
        if not hierarchies():
            self._cgroup_note = "cgroup: none this process may create (needs root or a delegated cgroup)"
            return
        lim = self.limits
        try:
            name = f"{self._scratch().name}-{next(_NAMES)}"
            self.cgroup = cgroups.SandboxCgroup.create(
                name, lim.sandbox_memory_mb, lim.max_processes + 1, lim.cpus, hierarchies()
            )
        except OSError as exc:
            self.support.step_down("cgroup", f"could not be set up ({exc})")
            self._cgroup_note = f"cgroup: could not be set up ({exc})"

    def close(self) -> None:
        self.stop()
        if self.cgroup is not None:
            self.cgroup.remove()
            self.cgroup = None
        if self.uid is not None:
            procs.kill_uid(self.uid)
            if self._ran_outside_namespaces:
                procs.remove_files_of_uid(self.uid)
            assert self._uid_lock is not None  # claimed with the uid
            os.close(self._uid_lock)
            self.uid = None
        if self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None

    def output(self, limit: int = 4000) -> str:
        logs = sorted(self.tmp.glob("output-*.log")) if self.tmp else []
        text = b"".join(p.read_bytes()[:limit] for p in logs)[:limit]
        return text.decode("utf-8", "replace")

    # ------------------------------------------------------------ per child

    def spawn(self, deadline: float) -> Child:
        """A fresh child (stepping down a layer that fails to set up) that has said hello."""
        while True:
            policy = self.support.effective(self.policy)
            if self.cgroup is None:
                policy = policy.without("cgroup")
            generation = next(_GENERATIONS)
            cfg = self._config(policy, generation)
            pipes = self._start(cfg, generation)
            setup = self._status(deadline)
            if "setup_failed" not in setup:
                break
            self.stop()
            layer = self._failed_layer(setup, policy)
            self.support.step_down(layer, setup["setup_failed"])
            if layer == "cgroup" and self.cgroup is not None:
                self.cgroup.remove()
                self.cgroup, self._cgroup_note = None, f"cgroup: could not be joined ({setup['setup_failed']})"
        self.in_namespaces = setup.get("namespaces") is True
        self._ran_outside_namespaces |= not self.in_namespaces
        self.isolation = self._describe(setup, policy)
        if self._unconfined_root(setup) and not unconfined_root_allowed(self.policy):
            self.stop()
            raise SandboxError(UNCONFINED_ROOT)
        code = "/sandbox/code" if self.in_namespaces else str(self._scratch() / "code")
        child = Child(pipes[0], pipes[1], generation, code, self._bulk)
        try:
            header, _ = wire.read_frame(child.responses, wire.Caps(max_bytes=0), deadline)
            if header.get("kind") != "hello":
                raise wire.WireError("no hello")
        except (EOFError, TimeoutError, wire.WireError) as exc:
            self.stop()
            raise SandboxError(
                f"the sandbox's python did not start ({type(exc).__name__}); its output: {self.output()[-2000:]}"
            ) from None
        return child

    def _failed_layer(self, setup: dict, policy: Policy) -> str:
        """The layer to switch off after a failed set-up; without one, the sandbox cannot run."""
        layer = setup.get("layer") or next(
            (name for name in ("namespaces", "landlock", "seccomp") if getattr(policy, name)), ""
        )
        if layer not in ("namespaces", "landlock", "seccomp", "cgroup") or not getattr(policy, layer, False):
            raise SandboxError(f"the sandbox could not be set up: {setup['setup_failed']}")
        return layer

    def _start(self, cfg: dict, generation: int) -> tuple[int, int]:
        work = self._scratch() / "work"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir()
        life_r, self._life_w = os.pipe()
        self._status_r, status_w = os.pipe()
        req_r, req_w = _pipe(big=True)
        resp_r, resp_w = _pipe(big=True)
        log = os.open(self._scratch() / f"output-{generation:06d}.log", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        bulk_fd = self._open_bulk()
        try:
            self._pid = self._fork(cfg, [life_r, status_w, log, req_r, resp_w, bulk_fd])
        except (OSError, EOFError, SandboxError) as exc:
            for fd in (self._life_w, self._status_r, req_w, resp_r):
                os.close(fd)
            self._bulk = None
            raise SandboxError(f"cannot start the sandbox supervisor: {exc}") from None
        finally:
            for fd in (life_r, status_w, req_r, resp_w, log, bulk_fd):
                os.close(fd)
        os.set_blocking(req_w, False)  # the grader never blocks on the child: it polls with deadlines
        os.set_blocking(resp_r, False)
        self._pipes = (req_w, resp_r)
        self._status_buf = b""
        self._child_pid = None
        return req_w, resp_r

    def _open_bulk(self) -> int:
        """A fresh memfd for this child's callbacks (mapped here as self._bulk), or /dev/null."""
        self._bulk = None
        if not self.bulk_bytes:
            return os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC)
        import mmap

        fd = os.memfd_create("ag-sandbox-callbacks", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
        os.ftruncate(fd, self.bulk_bytes)  # sparse: pages exist once written
        # its size is fixed for good: a child that truncated it would make the grader's
        # next read or write of the mapping a SIGBUS that kills the grading process
        fcntl.fcntl(fd, fcntl.F_ADD_SEALS, fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW | fcntl.F_SEAL_SEAL)
        self._bulk = memoryview(mmap.mmap(fd, self.bulk_bytes))
        return fd

    @staticmethod
    def _fork(cfg: dict, fds: list[int]) -> int:
        """A supervisor forked by this process's fork server (restarted once if it died)."""
        try:
            return fork_server().spawn(cfg, fds)
        except (OSError, EOFError):
            return fork_server(restart=True).spawn(cfg, fds)

    def _config(self, policy: Policy, generation: int) -> dict:
        import numpy

        prefixes = {sys.prefix, sys.base_prefix, str(Path(numpy.__file__).parent.parent)}
        tmp = self._scratch()
        return {
            "namespaces": policy.namespaces and linux.LINUX,
            "landlock": policy.landlock,
            "seccomp": policy.seccomp,
            "cgroup_procs": self._cgroup_procs(policy),
            "python": sys.executable,
            "uid": self.uid,
            "root": str(tmp / "root"),
            "dirs": {k: str(tmp / k) for k in ("code", "work")},
            "binds": sorted(os.path.realpath(p) for p in prefixes) + sorted(prefixes),
            "hide": self.hide,
            "tmp_mb": self.limits.tmp_mb,
            "limits": self.limits.as_dict(),
            "processes": self._process_cap(policy),
            "bulk_bytes": self.bulk_bytes,
            "max_result_bytes": self.limits.max_result_mb * 2**20,
            "env": CHILD_ENV,
        }

    def _cgroup_procs(self, policy: Policy) -> list[str]:
        """The cgroup.procs files the supervisor joins ([] when the policy uses no cgroup)."""
        if not policy.cgroup:
            return []
        assert self.cgroup is not None  # spawn() drops the cgroup layer from the policy when there is none
        return self.cgroup.procs_files()

    def _process_cap(self, policy: Policy) -> int:
        """Processes the child may run at once. Without a memory cgroup, rlimits bind one
        process at a time: cap the count so that processes x memory_mb stays within the
        sandbox's memory (sandbox_memory_mb)."""
        lim = self.limits
        if policy.cgroup and self.cgroup is not None and self.cgroup.roles.get("memory") is not None:
            return lim.max_processes
        return max(1, min(lim.max_processes, lim.sandbox_memory_mb // lim.memory_mb))

    def _unconfined_root(self, setup: dict) -> bool:
        """The child runs as root with neither namespaces nor Landlock around its files."""
        notes = setup.get("isolation", [])
        return (
            os.geteuid() == 0
            and not self.in_namespaces
            and setup.get("uid") is None
            and not any("Landlock" in n for n in notes)
        )

    def _describe(self, setup: dict, policy: Policy) -> str:
        notes = list(setup.get("isolation", []))
        if not self.in_namespaces:
            why = self.support.why("namespaces") or (
                "disabled by the caller" if not self.policy.namespaces else "not root / not Linux"
            )
            notes.insert(0, f"no namespaces ({why})")
            if not any("Landlock" in n for n in notes):
                failed = self.support.why("landlock")
                notes.insert(0, "basic isolation only" + (f" (Landlock failed: {failed})" if failed else ""))
        if self.cgroup is not None and policy.cgroup:
            notes += self.cgroup.notes + ["every process of the sandbox killed at the end (cgroup)"]
        else:
            notes.append(self._cgroup_note or "cgroup: not used")
            unbound = setup.get("uid") is None and os.geteuid() == 0 and not self.in_namespaces
            notes.append(
                f"memory: no cgroup, so at most {self._process_cap(policy)} process(es) of "
                f"{self.limits.memory_mb} MB each"
                + (" (NOT enforced: the child stayed root, which RLIMIT_NPROC does not bind)" if unbound else "")
            )
        if not policy.seccomp and self.support.why("seccomp"):
            notes.append(f"seccomp failed: {self.support.why('seccomp')}")
        lim = self.limits
        notes.append(
            f"limits: cpu {lim.cpu_seconds} s per process, memory {lim.memory_mb} MB per process, output "
            f"{lim.max_output_bytes} bytes, {lim.max_open_files} files, call {lim.call_seconds:g} s of CPU "
            f"(wall clock {lim.call_seconds * lim.wall_factor:g} s"
            f"{' + time spent waiting for a CPU (PSI)' if self._measures_starvation() else ''}), "
            f"sandbox {lim.wall_seconds:g} s; "
            f"CPU time measured {'by the cgroup' if self._cgroup_cpu() else 'from /proc (no cgroup)'}; "
            "environment cleared; python -I -S"
        )
        return "; ".join(notes)

    def _status(self, deadline: float) -> dict:
        """Next JSON line from the supervisor ({} when it is gone); notes the child's pid."""
        while True:
            while b"\n" not in self._status_buf:
                try:
                    wire.wait_readable(self._status_r, deadline)
                except TimeoutError:
                    return {}
                chunk = os.read(self._status_r, 65536)
                if not chunk:
                    return {}
                self._status_buf += chunk
            line, self._status_buf = self._status_buf.split(b"\n", 1)
            msg = json.loads(line)  # the supervisor's, not the child's: trusted
            if "child" in msg:
                self._child_pid = msg["child"]
            elif "note" in msg:  # e.g. "namespaces unavailable: Operation not permitted"
                self.support.step_down(msg.get("layer", "namespaces"), msg["note"])
            else:
                return msg

    def stop(self) -> int | None:
        """Stop the child and its whole tree -> its wait status when it had already died."""
        if self._pid is None:
            return None
        self._cpu_done = self._fallback_cpu()
        os.close(self._life_w)  # the supervisor kills the tree when its lifeline closes
        status = None
        msg = self._status(time.monotonic() + KILL_WAIT)
        while msg and "exit" not in msg:
            msg = self._status(time.monotonic() + KILL_WAIT)
        if msg:
            status = msg["exit"]
        try:  # the whole session, whatever happened above; the supervisor's pid stays
            os.killpg(self._pid, signal.SIGKILL)  # reserved (a zombie) until reaped below
        except (ProcessLookupError, PermissionError):
            pass
        try:
            fork_server().reap(self._pid)
        except (OSError, EOFError, SandboxError):
            pass  # the fork server died: its zombies went to init, which reaps them
        if self.cgroup is not None:
            self.cgroup.kill()  # anything that left the process tree (a double-forked daemon)
        if self.uid is not None:
            procs.kill_uid(self.uid)
        for fd in (self._status_r, *self._pipes):
            os.close(fd)
        self._pid = self._child_pid = self._bulk = None  # the mapping goes with its last reference
        return status

    # ------------------------------------------------------------ measures

    def _measures_starvation(self) -> bool:
        return self.cgroup is not None and self.cgroup.starved_seconds() is not None

    def _cgroup_cpu(self) -> bool:
        return self.cgroup is not None and self.cgroup.cpu_seconds() is not None

    def cpu_seconds(self) -> float:
        """CPU seconds used so far by every process of the sandbox, all its children included,
        read from outside the child: the cgroup's counter when there is one, else /proc."""
        measured = self.cgroup.cpu_seconds() if self.cgroup is not None else None
        if measured is not None:
            return measured
        return self._fallback_cpu() if self._pid is not None else self._cpu_done

    def starved_seconds(self) -> float | None:
        """Time the sandbox's processes were ready to run but got no CPU (None: not measured)."""
        return self.cgroup.starved_seconds() if self.cgroup is not None else None

    def _fallback_cpu(self) -> float:
        """Without a cgroup: the child's CPU (its threads, and the children it waited for) plus
        the orphans its supervisor reaped; 10 ms resolution. Blind to descendants still running
        or never waited for: a student who forks workers can hide their CPU time from it."""
        return (
            self._cpu_done
            + _proc_cpu(self._child_pid, STAT_UTIME, STAT_CSTIME)
            + _proc_cpu(self._pid, STAT_CUTIME, STAT_CSTIME)
        )

    def describe_death(self, status: int | None) -> str:
        text = procs.describe_status(status, self.limits)
        if self.cgroup is not None and self.cgroup.oom_kills():
            text += f" (the sandbox ran out of its {self.limits.sandbox_memory_mb} MB of memory)"
        return text
