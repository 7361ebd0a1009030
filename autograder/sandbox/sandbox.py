"""The grader's side of a sandbox: requests, answers, callbacks, limits, restarts.

One Sandbox = one submission's code in one child process, which a runtime
(runtime.py) starts and kills. The grader never trusts the child: answers are
decoded strictly (wire.py), and every failure becomes one of StudentException /
StudentTimeout / StudentCrash / BadOutput. After a timeout or crash, the next
request restarts the child (chunks reloaded, old handles invalid), at most
`limits.max_restarts` times; a function that crashed or timed out
`limits.max_failures_per_call` times is not run again (its later calls fail at
once with the same error class).

Time. A call may use `call_seconds` of CPU time, counted over every process of
the sandbox (and the grader's own time in the callbacks it serves), so a
neighbour that loads the machine cannot make an honest call time out; the wall
clock is only a backstop (`call_seconds * wall_factor`, and `wall_seconds` for
the whole sandbox) for code that sleeps or blocks.
"""

from __future__ import annotations

import os
import time

from . import wire
from .limits import BadOutput, Limits, SandboxError, StudentCrash, StudentException, StudentTimeout
from .policy import Policy, Support
from .runtime import Child, LocalRuntime, fork_server  # noqa: F401  (fork_server: re-exported)

LOAD_SECONDS = 10.0  # longest one chunk may take (CPU) to execute at load time
RESTART_MIN_SECONDS = 1.0  # wall budget a restart needs left (a start takes ~0.05 s)
# the most CPU time one wall second can hold (read once: os.cpu_count() reads sysfs each time)
MACHINE_CPUS = max(1, os.cpu_count() or 1)
QUICK_WAIT = 0.05  # an answer within this wall time needs no reading of the CPU time
MIN_WAIT = 0.01  # shortest sleep between two readings of the sandbox's CPU time
CALLBACK_FAILED = "the function {name}() provided by the grader failed on the arguments it was given"


class Sandbox:
    def __init__(
        self,
        chunks,
        limits: Limits | None = None,
        slot: int = 0,
        *,
        policy: Policy | None = None,
        support: Support | None = None,
        hide=(),
        callbacks: dict | None = None,
        runtime=None,
    ):
        """chunks: [Chunk(label, source)] from Extraction.chunks_for(names).

        policy: the isolation layers to use (default: all that the machine offers;
        `Policy.named("basic")` forces a weaker mode). support: the record of layers
        that failed on this machine (default: the grading process's). hide: extra
        host paths that must stay invisible even inside a bound prefix.
        callbacks: {name: fn} - `name` in the child's namespace becomes a stub that
        runs the trusted `fn` here, in the grader, on plain data (see _serve_callback).
        runtime: what runs the child (default: LocalRuntime)."""
        self.chunks = list(chunks)
        self.limits = limits or Limits()
        self.slot = slot
        self.callbacks = dict(callbacks or {})
        for name in self.callbacks:
            if not (isinstance(name, str) and name.isidentifier()):
                raise ValueError(f"callback name {name!r} is not a Python identifier")
        self.load_errors: dict[str, str] = {}
        self.restarts = 0
        self.last_call_seconds = 0.0
        self.callback_errors: list[str] = []  # the grader's exceptions in callbacks (instructor log only)
        self._callback_seconds = 0.0  # grader CPU spent serving callbacks
        self._failures: dict[str, tuple[int, Exception]] = {}  # function -> (crashes + timeouts, last)
        self._answer_caps = wire.Caps(max_bytes=self.limits.max_result_mb * 2**20)
        self._argument_caps = wire.Caps(max_bytes=self.limits.callback_max_mb * 2**20)
        bulk = self.limits.callback_max_mb * 2**20 if self.callbacks else 0
        self._runtime = runtime or LocalRuntime(self.limits, slot, policy or Policy(), support, hide, bulk)
        self._skip: set[int] = set()  # chunks that killed or hung the child at load
        self._started = False  # the child started once: later starts are restarts
        self._child: Child | None = None
        self._opened = False
        self._deadline = 0.0  # the wall-clock end of the sandbox's budget: start() sets it

    # ------------------------------------------------------------ public API

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.close()

    @property
    def isolation(self) -> str:
        """What isolation is in force, in words, for the run log."""
        return self._runtime.isolation

    def start(self) -> None:
        self._deadline = time.monotonic() + self.limits.wall_seconds
        self._opened = True
        try:
            self._runtime.open(self.chunks)
            self._boot()
        except BaseException:  # SandboxError, the wall budget, a SIGTERM-ed batch worker...
            self.close()
            raise

    def close(self) -> None:
        self._child = None
        if self._opened:
            self._runtime.close()
            self._opened = False

    def call(self, name: str, *args, echo_args: bool = False, timeout: float | None = None, **kwargs):
        """Call the student's function `name`. echo_args=True -> (result, [args after the call]).
        timeout: CPU seconds for this call instead of limits.call_seconds."""
        return self._request("call", name, (list(args), kwargs), echo_args, timeout)

    def new(self, cls_name: str, *args, timeout: float | None = None, **kwargs) -> wire.Handle:
        """Instantiate the student's class in the child -> Handle."""
        return self._request("new", cls_name, (list(args), kwargs), False, timeout)

    def method(
        self, handle: wire.Handle, name: str, *args, echo_args: bool = False, timeout: float | None = None, **kwargs
    ):
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
        return self._runtime.output(limit)

    def cpu_seconds(self) -> float:
        """CPU seconds used so far by ALL of the sandbox's processes (every child, restarts
        included, and whatever they started), plus the grader's time serving their callbacks.
        Measured from outside the child (the sandbox's cgroup when the machine has one, else
        /proc: see LocalRuntime.cpu_seconds), so student code cannot change it."""
        return self._runtime.cpu_seconds() + self._callback_seconds

    # ------------------------------------------------------------ lifecycle

    def _boot(self) -> None:
        """Start the child and load the chunks; a chunk that kills or hangs the
        child at load time is recorded in load_errors and left out on a retry."""
        while True:
            if not self._started:  # the first start: a failure here is the machine's (SandboxError)
                if time.monotonic() >= self._deadline:
                    raise StudentTimeout(f"the sandbox's time budget of {self.limits.wall_seconds:g} s is used up")
                self._child = self._runtime.spawn(min(self._deadline, time.monotonic() + self.limits.start_seconds))
                self._started = True
            else:
                self._restart()
            failed = self._load()
            if failed is None:
                return
            self._skip.add(failed)

    def _restart(self) -> None:
        """Start the child again after the student's code killed, hung or crashed it. The
        machine started it once, so a restart without RESTART_MIN_SECONDS of the wall budget
        left, or that fails, is the student's doing (code timed to kill the child just before
        the deadline), never a grader error that would stop the batch."""
        if self._deadline - time.monotonic() < RESTART_MIN_SECONDS:
            raise StudentTimeout(f"the sandbox's time budget of {self.limits.wall_seconds:g} s is used up")
        try:
            self._child = self._runtime.spawn(min(self._deadline, time.monotonic() + self.limits.start_seconds))
        except SandboxError as exc:
            raise StudentTimeout("the sandbox could not start again after the code stopped it") from exc

    def _load(self) -> int | None:
        """Execute the chunks in order -> index of a chunk that killed the child, or None.
        The callbacks' stubs are bound before (for code that runs at load time) and again
        after (so a student's definition of the same name does not replace them)."""
        self._bind_callbacks()
        for i, chunk in enumerate(self.chunks):
            if i in self._skip:
                continue
            self.load_errors.pop(chunk.label, None)
            try:  # definitions run in an instant; a class body that computes gets LOAD_SECONDS
                self._exchange(
                    {
                        "op": "exec",
                        "name": f"{self._live_child().code_dir}/{i:03d}.py",
                        "label": chunk.label,
                        "private": chunk.private,
                    },
                    None,
                    min(self.limits.call_seconds, LOAD_SECONDS),
                )
            except StudentException as exc:
                self.load_errors[chunk.label] = f"{exc.exc_type}: {exc.message}"
            except (StudentTimeout, StudentCrash, BadOutput) as exc:
                self.load_errors[chunk.label] = f"{type(exc).__name__}: {exc}"
                return i
        self._bind_callbacks()
        return None

    def _bind_callbacks(self) -> None:
        if self.callbacks:
            self._exchange(
                {"op": "bind", "name": ""},
                {"names": sorted(self.callbacks), "max_bytes": self._callback_caps().max_bytes},
                LOAD_SECONDS,
            )

    def _kill(self) -> int | None:
        self._child = None
        return self._runtime.stop()

    def _live_child(self) -> Child:
        """The child being talked to: _boot() started it, and only _kill() ends it."""
        assert self._child is not None, "no child: _boot() comes first"
        return self._child

    # ------------------------------------------------------------ requests

    def _caps(self) -> wire.Caps:
        """What an answer from the child may hold."""
        return self._answer_caps

    def _request(self, op, name, value, echo, timeout):
        what = f"{value[0].type_name}.{name}" if op == "method" and type(value[0]) is wire.Handle else name
        failed = self._failures.get(what)
        if op in ("call", "new", "method") and failed and failed[0] >= self.limits.max_failures_per_call:
            raise type(failed[1])(f"{what} is not run again: it failed {failed[0]} times, last: {failed[1]}")
        if self._child is None:
            if not self._opened:
                raise SandboxError("use the Sandbox in a `with` block (or call start())")
            if self.restarts >= self.limits.max_restarts:
                raise StudentCrash(f"gave up: the submission's code crashed or timed out {self.restarts + 1} times")
            self.restarts += 1
            self._boot()
        self._check_handles(value)
        header = {"op": op, "name": name, "echo": echo}
        try:
            return self._exchange(header, value, timeout or self.limits.call_seconds)
        except (StudentTimeout, StudentCrash) as exc:  # counted per function: one broken
            count = self._failures.get(what, (0, None))[0] + 1  # function must not use up the
            self._failures[what] = (count, exc)  # restarts other items need
            raise

    def _exchange(self, header: dict, value, cpu_limit: float):
        """Send one request, serve the callbacks it makes, decode the answer; every failure
        becomes a StudentError (and kills the child unless the child itself reported it)."""
        now = time.monotonic()
        if now >= self._deadline:
            self._kill()
            raise StudentTimeout(f"the sandbox's time budget of {self.limits.wall_seconds:g} s is used up")
        clock = CallClock(self, cpu_limit, now)
        tree, buffers = wire.encode(value, caps=wire.TRUSTED)
        what = header.get("label") or header["name"] or header["op"]
        child = self._live_child()
        try:
            wire.write_frame(child.requests, wire.frame(dict(header, value=tree), buffers), clock.deadline)
            while True:
                clock.wait(child.responses)
                answer, arrays = wire.read_frame(child.responses, self._caps(), clock.deadline, child.bulk)
                if answer.get("kind") != "callback":
                    break
                self._serve_callback(answer, arrays, clock)
        except _CpuExceeded:
            self._kill()
            raise StudentTimeout(f"{what}: used more than {cpu_limit:g} s of CPU time") from None
        except TimeoutError:
            self._kill()
            raise StudentTimeout(
                f"{what}: no answer within {clock.deadline - now:.3g} s of wall-clock time"
                + (
                    " (the submission's whole time budget)"
                    if clock.budget_bound
                    else " (waiting, sleeping, or far too slow)"
                )
            ) from None
        except (EOFError, BrokenPipeError):
            status = self._kill()
            raise StudentCrash(f"{what}: the process running it {self._runtime.describe_death(status)}") from None
        except wire.WireError as exc:
            self._kill()
            raise BadOutput(f"{what}: unreadable answer ({exc})") from None
        finally:
            self.last_call_seconds = time.monotonic() - now
        return self._interpret(answer, arrays, what)

    def _serve_callback(self, request: dict, arrays, clock: CallClock) -> None:
        """Run a grader-provided function for the child and send back its plain-data result.

        Accepted: a registered name and (args list, kwargs dict) of plain data within the
        callback caps; anything else is BadOutput (the child is killed). The function's
        own exceptions reach the child as a fixed message (never its text or traceback).
        Its time counts against the call's CPU limit and cpu_seconds()."""
        started, began = time.thread_time(), time.monotonic()
        clock.meter()  # from the first callback on, the child's CPU between callbacks counts too
        name = request.get("name")
        if type(name) is not str or name not in self.callbacks:
            raise wire.WireError(f"a call to {str(name)[:40]!r}, which the grader does not provide")
        caps = self._callback_caps()
        if sum(a.nbytes for a in arrays) > caps.max_bytes:  # through the pipe, only max_result_mb held them
            raise wire.WireError(f"callback arguments larger than {caps.max_bytes} bytes")
        args = wire.decode(request.get("value"), arrays, caps=caps)
        if not (type(args) is tuple and len(args) == 2 and type(args[0]) is list and type(args[1]) is dict):
            raise wire.WireError("callback arguments must be (list, dict)")
        try:
            result = self.callbacks[name](*args[0], **args[1])
            tree, buffers = wire.encode(result, caps=wire.TRUSTED)
            reply = wire.frame({"kind": "return", "value": tree}, buffers, self._live_child().bulk)
        except Exception as exc:
            self.callback_errors.append(f"{name}: {type(exc).__name__}: {exc}"[:300])
            reply = wire.frame({"kind": "raise", "message": CALLBACK_FAILED.format(name=name)}, [])
        finally:
            spent = time.thread_time() - started
            self._callback_seconds += spent
            clock.callbacks += spent
            clock.callback_wall += time.monotonic() - began
        wire.write_frame(self._live_child().requests, reply, clock.deadline)
        clock.check_cpu(every=QUICK_WAIT)

    def _callback_caps(self) -> wire.Caps:
        """What the arguments of one callback may hold."""
        return self._argument_caps

    def _interpret(self, answer: dict, arrays, what: str):
        kind = answer.get("kind")
        if kind == "ok":
            try:
                return wire.decode(answer.get("value"), arrays, on_handle=self._handle, caps=self._caps())
            except wire.WireError as exc:
                self._kill()
                raise BadOutput(f"{what}: unreadable answer ({exc})") from None
        if kind == "error":
            text = {k: _text_field(answer, k) for k in ("type", "message", "where", "traceback")}
            if text["type"] == "MemoryError":
                text["message"] += f" (the sandbox allows {self.limits.memory_mb} MB per process)"
            if "[Errno 27]" in text["message"]:  # EFBIG: python ignores SIGXFSZ, so print() raises
                text["message"] += f" (output limit: at most {self.limits.max_output_bytes} bytes may be printed)"
            raise StudentException(
                text["type"][:80] or "Exception", text["message"][:2000], text["where"][:200], text["traceback"][:4000]
            )
        if kind == "bad" and type(answer.get("message")) is str:
            raise BadOutput(f"{what}: {answer['message'][:300]}")
        self._kill()
        raise BadOutput(f"{what}: answer of unknown kind")

    def _handle(self, handle_id: int, type_name: str) -> wire.Handle:
        return wire.Handle(handle_id, type_name, self._live_child().generation)

    def _check_handles(self, value) -> None:
        stack = [value]
        while stack:
            v = stack.pop()
            if type(v) is wire.Handle and (self._child is None or v.generation != self._child.generation):
                raise StudentCrash(
                    f"{v.type_name} object #{v.id} was lost when the sandbox restarted "
                    "after an earlier crash or timeout"
                )
            if type(v) in (tuple, list):
                stack.extend(v)
            elif type(v) is dict:
                stack.extend(v.values())


def _text_field(answer: dict, key: str) -> str:
    """answer[key] when it is a string, else "" (the child's answer is untrusted)."""
    value = answer.get(key)
    return value if type(value) is str else ""


class _CpuExceeded(Exception):
    """The call used up its CPU time."""


class CallClock:
    """The limits of one call: CPU seconds of the whole sandbox (its processes, and the
    grader's time in the callbacks it serves) with the wall clock as a backstop.

    The sandbox's CPU time is read only when an answer is late (QUICK_WAIT) or, during a
    stream of callbacks, at most once per QUICK_WAIT: the calls a grader makes by the
    thousand cost nothing extra. Until the first reading nothing is counted, a leniency of
    at most QUICK_WAIT x the CPUs the sandbox may use.

    The wall-clock backstop counts neither the grader's time in callbacks (their CPU time
    counts instead) nor, when the kernel reports it (cgroup v2 PSI), time the sandbox
    waited for a CPU: a neighbour that loads the machine makes a call slower, never too
    slow. Only the sandbox's whole budget (`wall_seconds`) is absolute."""

    def __init__(self, sandbox: Sandbox, cpu_limit: float, now: float):
        self.sandbox, self.cpu_limit = sandbox, cpu_limit
        self.started, self.allowed = now, cpu_limit * sandbox.limits.wall_factor
        self.deadline = min(now + self.allowed, sandbox._deadline)
        self.budget_bound = now + self.allowed >= sandbox._deadline
        self.base: float | None = None  # the sandbox's CPU time when metering began
        self.starved_base: float | None = None  # its CPU-wait time then
        self.checked = now  # when the CPU time was last compared with the limit
        self.callbacks = 0.0  # grader CPU time in this call's callbacks
        self.callback_wall = 0.0  # and their wall-clock time

    def meter(self) -> float:
        """Start metering (once) -> the sandbox's CPU time when metering began."""
        if self.base is None:
            self.base = self.sandbox._runtime.cpu_seconds()
            self.starved_base = self.sandbox._runtime.starved_seconds()
        return self.base

    def check_cpu(self, every: float = 0.0) -> float:
        """-> CPU seconds left (an estimate when the last reading is under `every` s old);
        _CpuExceeded when none are."""
        base = self.meter()
        now = time.monotonic()
        if now - self.checked < every:
            return self.cpu_limit
        self.checked = now
        left = self.cpu_limit - (self.sandbox._runtime.cpu_seconds() - base + self.callbacks)
        if left <= 0:
            raise _CpuExceeded
        return left

    def wait(self, fd: int) -> None:
        """Until fd is readable. _CpuExceeded / TimeoutError when a limit is reached first."""
        if wire.wait_readable(fd, min(time.monotonic() + QUICK_WAIT, self.deadline), raise_timeout=False):
            return
        while True:
            left = self.check_cpu()
            wake = min(time.monotonic() + max(left / MACHINE_CPUS, MIN_WAIT), self.deadline)
            if wire.wait_readable(fd, wake, raise_timeout=False):
                return
            if time.monotonic() >= self.deadline and not self._extend():
                raise TimeoutError

    def _extend(self) -> bool:
        """Move the wall-clock deadline by the time spent in callbacks and waiting for a CPU -> moved?"""
        if self.budget_bound:
            return False
        starved = self.sandbox._runtime.starved_seconds()
        waited = starved - self.starved_base if starved is not None and self.starved_base is not None else 0.0
        wanted = self.started + self.allowed + waited + self.callback_wall
        if wanted <= self.deadline + MIN_WAIT:
            return False
        self.deadline = min(wanted, self.sandbox._deadline)
        self.budget_bound = wanted >= self.sandbox._deadline
        return True
