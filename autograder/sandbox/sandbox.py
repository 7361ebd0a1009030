"""The grader's side of a sandbox: start the child, talk to it, kill it.

One Sandbox = one submission. Processes: grader -> fork server (forkserver.py,
one per grading process, python + numpy loaded) -> supervisor (supervisor.py,
root when the grader is) -> child (child.py, student code). The grader never
trusts the child: answers are decoded strictly (wire.py), and every failure
becomes one of StudentException / StudentTimeout / StudentCrash / BadOutput.
After a timeout or crash, the next request restarts the child (chunks
reloaded, old handles invalid), at most `limits.max_restarts` times; a function
that crashed or timed out `limits.max_failures_per_call` times is not run
again (its later calls fail at once with the same error class).
"""
from __future__ import annotations

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

from . import forkserver, procs, wire
from .limits import (BadOutput, Limits, SandboxError, StudentCrash, StudentException,
                     StudentTimeout)

HERE = Path(__file__).resolve().parent
AUTOGRADER_DIR = HERE.parent
# What the child's environment holds: nothing of the grader's (no tokens, no HOME).
CHILD_ENV = {
    "PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
    "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
    "VECLIB_MAXIMUM_THREADS": "1", "NUMEXPR_NUM_THREADS": "1", "MPLBACKEND": "Agg",
}
LOAD_SECONDS = 10.0                 # longest one chunk may take to execute at load time
_GENERATIONS = itertools.count(1)   # unique per child process, across all sandboxes
_NAMESPACES = {"ok": True, "why": ""}  # turned off for the process after one failed setup
_LANDLOCK = {"ok": True, "why": ""}    # idem
_FORK_SERVERS: dict[int, forkserver.ForkServer] = {}  # grading process id -> its fork server
_FORK_LOCK = threading.Lock()


def _pipe() -> tuple[int, int]:
    """A pipe with a 1 MB buffer where Linux allows it (64 KB default: slow for arrays)."""
    r, w = os.pipe()
    try:
        import fcntl
        fcntl.fcntl(w, getattr(fcntl, "F_SETPIPE_SZ", 1031), 2**20)
    except OSError:
        pass
    return r, w


def _sweep_stale_dirs() -> None:
    """Remove the scratch dirs of graders that died without closing (SIGKILL-ed batch workers)."""
    for path in Path(tempfile.gettempdir()).glob("ag-sandbox-*-*"):
        pid = path.name.split("-")[2]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(path, ignore_errors=True)
        except PermissionError:
            pass  # alive, another user's


def fork_server(restart: bool = False) -> forkserver.ForkServer:
    """This process's fork server, started on first use or when it died (a forked
    batch worker starts its own: the parent's socket is not its to share)."""
    with _FORK_LOCK:
        server = _FORK_SERVERS.get(os.getpid())
        if server is not None and (restart or not server.alive()):
            server.close()
            server = None
        if server is None:
            try:
                server = forkserver.ForkServer(_site_dirs(), CHILD_ENV)
            except (OSError, RuntimeError) as exc:
                raise SandboxError(str(exc)) from None
            _FORK_SERVERS[os.getpid()] = server
        return server


def _site_dirs() -> list[str]:
    """The grader's site-packages (numpy's first): the child runs without `site`."""
    import site

    import numpy
    dirs = [str(Path(numpy.__file__).parent.parent)] + site.getsitepackages()
    return list(dict.fromkeys(d for d in dirs if os.path.isdir(d)))


class Sandbox:
    def __init__(self, chunks, limits: Limits | None = None, slot: int = 0, *,
                 namespaces: bool = True, landlock: bool = True, hide=()):
        """chunks: [Chunk(label, source)] from Extraction.chunks_for(names).
        namespaces=False forces the mode of a machine without namespaces:
        Landlock where the kernel has it (landlock=False: not even that, only
        rlimits + process tree kill). `hide`: extra host paths
        that must stay invisible even if they lie inside a bound prefix."""
        self.chunks = list(chunks)
        self.limits = limits or Limits()
        self.slot = slot
        self.load_errors: dict[str, str] = {}
        self.isolation = "not started"
        self.restarts = 0
        self._failures: dict[str, tuple[int, Exception]] = {}  # function -> (crashes + timeouts, last)
        self.last_call_seconds = 0.0
        self._want_namespaces, self._want_landlock = namespaces, landlock
        self._hide = [str(AUTOGRADER_DIR)] + [str(p) for p in hide]
        self._skip: set[int] = set()       # chunks that killed or hung the child at load
        self._pid = None                   # the supervisor's (also its process group's)
        self._gen = 0
        self._tmp = None
        self._uid = None
        self._deadline = None

    # ------------------------------------------------------------ public API

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.close()

    def start(self) -> None:
        _sweep_stale_dirs()
        self._tmp = Path(tempfile.mkdtemp(prefix=f"ag-sandbox-{os.getpid()}-"))
        claimed = procs.claim_uid(self.slot)
        self._uid, self._uid_lock = claimed if claimed else (None, None)
        self._deadline = time.monotonic() + self.limits.wall_seconds
        try:
            self._write_files()
            self._boot()
        except BaseException:  # SandboxError, the wall budget, a SIGTERM-ed batch worker...
            self.close()
            raise

    def close(self) -> None:
        self._kill()
        if self._uid is not None:
            procs.kill_uid(self._uid)
            os.close(self._uid_lock)
            self._uid = None
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    def call(self, name: str, *args, echo_args: bool = False, timeout: float | None = None, **kwargs):
        """Call the student's function `name`. echo_args=True -> (result, [args after the call])."""
        return self._request("call", name, (list(args), kwargs), echo_args, timeout)

    def new(self, cls_name: str, *args, timeout: float | None = None, **kwargs) -> wire.Handle:
        """Instantiate the student's class in the child -> Handle."""
        return self._request("new", cls_name, (list(args), kwargs), False, timeout)

    def method(self, handle: wire.Handle, name: str, *args, echo_args: bool = False,
               timeout: float | None = None, **kwargs):
        return self._request("method", name, (handle, list(args), kwargs), echo_args, timeout)

    def getattr(self, handle: wire.Handle, name: str, timeout: float | None = None):
        return self._request("getattr", name, handle, False, timeout)

    def setattr(self, handle: wire.Handle, name: str, value, timeout: float | None = None) -> None:
        self._request("setattr", name, (handle, value), False, timeout)

    def store(self, value) -> wire.Handle:
        """Keep `value` (a big array, say) in the child; pass the Handle as an argument."""
        return self._request("store", "", value, False, None)

    def seed(self, seed: int) -> None:
        """np.random.seed and random.seed in the child."""
        self._request("seed", "", int(seed), False, None)

    def output(self, limit: int = 4000) -> str:
        """The start of what the child printed (for the instructor's log only; never parsed)."""
        logs = sorted(self._tmp.glob("output-*.log")) if self._tmp else []
        text = b"".join(p.read_bytes()[:limit] for p in logs)[:limit]
        return text.decode("utf-8", "replace")

    # ------------------------------------------------------------ lifecycle

    def _write_files(self) -> None:
        """tmp/code (one file per chunk), tmp/work, tmp/root."""
        for sub in ("code", "work", "root"):
            (self._tmp / sub).mkdir()
        for i, chunk in enumerate(self.chunks):
            (self._tmp / "code" / f"{i:03d}.py").write_text(chunk.source, encoding="utf-8")
        os.chmod(self._tmp, 0o711)  # a sandbox uid without namespaces must reach code/ and work/
        os.chmod(self._tmp / "code", 0o755)

    def _boot(self) -> None:
        """Start the child and load the chunks; a chunk that kills or hangs the
        child at load time is recorded in load_errors and left out on a retry."""
        while True:
            self._spawn()
            failed = self._load()
            if failed is None:
                return
            self._skip.add(failed)

    def _spawn(self) -> None:
        if time.monotonic() >= self._deadline:
            raise StudentTimeout(f"the sandbox's time budget of {self.limits.wall_seconds:g} s is used up")
        self._gen = next(_GENERATIONS)
        work = self._tmp / "work"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir()
        use_ns = self._want_namespaces and _NAMESPACES["ok"] and sys.platform.startswith("linux")
        life_r, self._life_w = os.pipe()
        self._status_r, status_w = os.pipe()
        req_r, self._req_w = _pipe()
        self._resp_r, resp_w = _pipe()
        log = os.open(self._tmp / f"output-{self._gen:06d}.log", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        cfg = self._config(use_ns)
        try:
            self._pid = self._fork(cfg, [life_r, status_w, log, req_r, resp_w])
        except (OSError, EOFError, SandboxError) as exc:
            for fd in (self._life_w, self._status_r, self._req_w, self._resp_r):
                os.close(fd)
            raise SandboxError(f"cannot start the sandbox supervisor: {exc}") from None
        finally:
            for fd in (life_r, status_w, req_r, resp_w, log):
                os.close(fd)
        os.set_blocking(self._req_w, False)
        self._status_buf = b""
        deadline = time.monotonic() + self.limits.start_seconds
        setup = self._status(deadline)
        if "setup_failed" in setup:  # looked available but did not work: say so, step down
            self._kill()
            if use_ns:
                _NAMESPACES.update(ok=False, why=setup["setup_failed"])
            elif cfg["landlock"]:
                _LANDLOCK.update(ok=False, why=setup["setup_failed"])
            else:
                raise SandboxError(f"the sandbox could not be set up: {setup['setup_failed']}")
            return self._spawn()
        self.isolation = self._describe(setup, use_ns)
        self._in_namespaces = setup.get("namespaces") is True
        try:
            header, _ = wire.read_frame(self._resp_r, self._caps(), deadline)
            assert header.get("kind") == "hello"
        except (EOFError, TimeoutError, wire.WireError, AssertionError) as exc:
            self._kill()
            raise SandboxError(f"the sandbox's python did not start ({type(exc).__name__}); "
                               f"its output: {self.output()[-2000:]}") from None

    @staticmethod
    def _fork(cfg: dict, fds: list[int]) -> int:
        """A supervisor forked by this process's fork server (restarted once if it died)."""
        try:
            return fork_server().spawn(cfg, fds)
        except (OSError, EOFError):
            return fork_server(restart=True).spawn(cfg, fds)

    def _config(self, use_ns: bool) -> dict:
        import numpy
        prefixes = {sys.prefix, sys.base_prefix, str(Path(numpy.__file__).parent.parent)}
        return {
            "namespaces": use_ns, "landlock": self._want_landlock and _LANDLOCK["ok"],
            "python": sys.executable, "uid": self._uid,
            "root": str(self._tmp / "root"),
            "dirs": {k: str(self._tmp / k) for k in ("code", "work")},
            "binds": sorted(os.path.realpath(p) for p in prefixes) + sorted(prefixes),
            "hide": self._hide, "tmp_mb": self.limits.tmp_mb, "limits": self.limits.as_dict(),
            "max_result_bytes": self.limits.max_result_mb * 2**20, "env": CHILD_ENV,
        }

    def _describe(self, setup: dict, use_ns: bool) -> str:
        notes = list(setup.get("isolation", []))
        if not use_ns:
            why = _NAMESPACES["why"] or ("disabled by the caller" if not self._want_namespaces
                                         else "not root / not Linux")
            notes.insert(0, f"no namespaces ({why})")
            if not any("Landlock" in n for n in notes):
                notes.insert(0, "basic isolation only" + (f" (Landlock failed: {_LANDLOCK['why']})"
                                                          if _LANDLOCK["why"] else ""))
        lim = self.limits
        notes.append(f"limits: cpu {lim.cpu_seconds} s, memory {lim.memory_mb} MB, output "
                     f"{lim.max_output_bytes} bytes, {lim.max_open_files} files, call {lim.call_seconds:g} s, "
                     f"sandbox {lim.wall_seconds:g} s; environment cleared; python -I -S")
        return "; ".join(notes)

    def _load(self) -> int | None:
        """Execute the chunks in order -> index of a chunk that killed the child, or None."""
        code = "/sandbox/code" if self._in_namespaces else str(self._tmp / "code")
        for i, chunk in enumerate(self.chunks):
            if i in self._skip:
                continue
            self.load_errors.pop(chunk.label, None)
            try:  # definitions run in an instant; a class body that computes gets LOAD_SECONDS
                self._exchange({"op": "exec", "name": f"{code}/{i:03d}.py", "label": chunk.label},
                               None, min(self.limits.call_seconds, LOAD_SECONDS))
            except StudentException as exc:
                self.load_errors[chunk.label] = f"{exc.exc_type}: {exc.message}"
            except (StudentTimeout, StudentCrash, BadOutput) as exc:
                self.load_errors[chunk.label] = f"{type(exc).__name__}: {exc}"
                return i
        return None


    def _status(self, deadline: float) -> dict:
        """Next JSON line from the supervisor ({} when it is gone)."""
        while b"\n" not in self._status_buf:
            try:
                wire._wait(self._status_r, deadline)
            except TimeoutError:
                return {}
            chunk = os.read(self._status_r, 65536)
            if not chunk:
                return {}
            self._status_buf += chunk
        line, self._status_buf = self._status_buf.split(b"\n", 1)
        msg = json.loads(line)
        if "note" in msg:  # e.g. "namespaces unavailable: Operation not permitted"
            _NAMESPACES["why"] = msg["note"]
            return self._status(deadline)
        return msg

    def _kill(self) -> int | None:
        """Stop the child and its whole tree -> its wait status when it had already died."""
        if self._pid is None:
            return None
        os.close(self._life_w)  # the supervisor kills the tree when its lifeline closes
        status = None
        msg = self._status(time.monotonic() + 2.0)
        while msg and "exit" not in msg:
            msg = self._status(time.monotonic() + 2.0)
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
        if self._uid is not None:
            procs.kill_uid(self._uid)
        for fd in (self._status_r, self._req_w, self._resp_r):
            os.close(fd)
        self._pid = None
        return status

    # ------------------------------------------------------------ requests

    def _caps(self) -> wire.Caps:
        return wire.Caps(max_bytes=self.limits.max_result_mb * 2**20)

    def _request(self, op, name, value, echo, timeout):
        what = f"{value[0].type_name}.{name}" if op == "method" and type(value[0]) is wire.Handle else name
        failed = self._failures.get(what)
        if op in ("call", "new", "method") and failed and failed[0] >= self.limits.max_failures_per_call:
            raise type(failed[1])(f"{what} is not run again: it failed {failed[0]} times, last: {failed[1]}")
        if self._pid is None:
            if self._tmp is None:
                raise SandboxError("use the Sandbox in a `with` block (or call start())")
            if self.restarts >= self.limits.max_restarts:
                raise StudentCrash(f"gave up: the submission's code crashed or timed out "
                                   f"{self.restarts + 1} times")
            self.restarts += 1
            self._boot()
        self._check_handles(value)
        header = {"op": op, "name": name, "echo": echo}
        try:
            return self._exchange(header, value, timeout or self.limits.call_seconds)
        except (StudentTimeout, StudentCrash) as exc:  # counted per function: one broken
            count = self._failures.get(what, (0, None))[0] + 1  # function must not use up the
            self._failures[what] = (count, exc)                 # restarts other items need
            raise

    def _exchange(self, header: dict, value, timeout: float):
        """Send one request and decode the answer, turning every failure into a StudentError."""
        now = time.monotonic()
        if now >= self._deadline:
            self._kill()
            raise StudentTimeout(f"the sandbox's time budget of {self.limits.wall_seconds:g} s is used up")
        budget = now + timeout >= self._deadline
        deadline = min(now + timeout, self._deadline)
        tree, buffers = wire.encode(value, caps=wire.Caps(max_bytes=2**40))
        what = header.get("label") or header["name"] or header["op"]
        try:
            wire.write_frame(self._req_w, wire.frame(dict(header, value=tree), buffers), deadline)
            answer, arrays = wire.read_frame(self._resp_r, self._caps(), deadline)
        except TimeoutError:
            self._kill()
            raise StudentTimeout(f"{what}: no answer within {deadline - now:.3g} s" +
                                 (" (the submission's whole time budget)" if budget else "")) from None
        except (EOFError, BrokenPipeError):
            status = self._kill()
            raise StudentCrash(f"{what}: the process running it {procs.describe_status(status, self.limits)}") from None
        except wire.WireError as exc:
            self._kill()
            raise BadOutput(f"{what}: unreadable answer ({exc})") from None
        finally:
            self.last_call_seconds = time.monotonic() - now
        return self._interpret(answer, arrays, what)

    def _interpret(self, answer: dict, arrays, what: str):
        kind = answer.get("kind")
        if kind == "ok":
            try:
                return wire.decode(answer.get("value"), arrays, on_handle=self._handle, caps=self._caps())
            except wire.WireError as exc:
                self._kill()
                raise BadOutput(f"{what}: unreadable answer ({exc})") from None
        if kind == "error":
            text = {k: answer.get(k) if type(answer.get(k)) is str else "" for k in
                    ("type", "message", "where", "traceback")}
            if text["type"] == "MemoryError":
                text["message"] += f" (the sandbox allows {self.limits.memory_mb} MB)"
            if "[Errno 27]" in text["message"]:  # EFBIG: python ignores SIGXFSZ, so print() raises
                text["message"] += f" (output limit: at most {self.limits.max_output_bytes} bytes may be printed)"
            raise StudentException(text["type"][:80] or "Exception", text["message"][:2000],
                                   text["where"][:200], text["traceback"][:4000])
        if kind == "bad" and type(answer.get("message")) is str:
            raise BadOutput(f"{what}: {answer['message'][:300]}")
        self._kill()
        raise BadOutput(f"{what}: answer of unknown kind")

    def _handle(self, handle_id: int, type_name: str) -> wire.Handle:
        return wire.Handle(handle_id, type_name, self._gen)

    def _check_handles(self, value) -> None:
        stack = [value]
        while stack:
            v = stack.pop()
            if type(v) is wire.Handle and v.generation != self._gen:
                raise StudentCrash(f"{v.type_name} object #{v.id} was lost when the sandbox restarted "
                                   "after an earlier crash or timeout")
            if type(v) in (tuple, list):
                stack.extend(v)
            elif type(v) is dict:
                stack.extend(v.values())
