"""Grade many submissions at once: a small pool of long-lived worker processes.

Why not concurrent.futures: a worker stuck on one submission must be killable
without losing the pool, and each worker needs its own `slot` (the sandbox
derives a distinct uid from it). So each worker is a spawned process with a
pipe; the parent hands it one submission at a time and waits with a deadline.

Time limit (--timeout, wall seconds per submission). Decision: the limit is
handed to the sandbox as its whole-life wall limit, so a slow submission is
stopped by the sandbox and graded with what completed (items whose calls ran
out of time score zero, the others keep their points). If the worker itself
is still busy well after that (`_hard_limit`: a grader bug, or a sandbox that
failed to stop), the parent kills the worker, writes an "error: ..." row with zero
points and starts a fresh worker on the same slot. One broken submission never
stops the batch or touches another's grade: every failure mode (exception,
crashed worker, hang) becomes that student's row.

Every row leaves here with the discovery's notices (student-facing) and log
lines (instructor-facing) of its submission, and a status that is one
printable line (file names inside it are student text).
"""

from __future__ import annotations

import hashlib
import multiprocessing as mp
import os
import signal
import time
import traceback
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path

from course.safe_text import printable

from .discover import Submission
from .notebook_io import handin_roots, register_handin_root
from .results import Status, SubmissionResult, placeholder_result

GradeFn = Callable[..., SubmissionResult]
DEFAULT_TIMEOUT = 120.0  # wall seconds per submission; a complete one takes a few
HARD_KILL_GRACE = 15.0  # extra seconds before the parent kills a stuck worker
TERM_GRACE = 3.0  # SIGTERM -> SIGKILL: lets the worker close its sandbox
STATUS_LIMIT = 600  # characters of a status: one CSV cell, one log line


class GraderUnavailable(Exception):
    """The grading function cannot even be loaded: nothing can be graded."""


# ----------------------------------------------------------------- shards


def parse_shard(text: str) -> tuple[int, int]:
    """ "2/4" -> (2, 4); I is 1-based."""
    try:
        i, n = (int(p) for p in text.split("/"))
    except ValueError:
        raise ValueError(f"--shard {text!r}: expected I/N with integers, e.g. 1/4") from None
    if n < 1 or not 1 <= i <= n:
        raise ValueError(f"--shard {text!r}: need 1 <= I <= N")
    return i, n


def shard_of(student_id: str, n: int) -> int:
    """The 1-based shard a student belongs to: a hash of the id, so the split
    does not depend on which other students are in the folder."""
    digest = hashlib.sha256(student_id.encode("utf-8")).hexdigest()
    return int(digest, 16) % n + 1


def select_shard(subs: list[Submission], i: int, n: int) -> list[Submission]:
    return [s for s in subs if shard_of(s.student_id, n) == i]


# ------------------------------------------------------ rows without grading


def not_gradable(sub: Submission) -> SubmissionResult:
    """The row of a hand-in discovery found nothing to grade in (its `problem` says why)."""
    assert sub.problem is not None, f"{sub.student_id} has something to grade"
    return with_discovery(
        placeholder_result(sub.student_id, Status(Status.NOT_GRADABLE, sub.problem), sub.problem), sub
    )


def grader_error(sub: Submission, reason: str, duration_s: float = 0.0, log=()) -> SubmissionResult:
    res = placeholder_result(
        sub.student_id,
        Status(Status.ERROR, reason),
        "the grader failed on this submission; the instructor has been told",
        sub.notebooks,
        duration_s,
    )
    res.log = list(log)
    return res


def with_discovery(res: SubmissionResult, sub: Submission) -> SubmissionResult:
    """`res` with what discovery found out about `sub` (notices, log) and a printable status."""
    res.student_id = sub.student_id
    res.status = Status(res.status.kind, printable(res.status.reason, STATUS_LIMIT))
    res.notices = [printable(n, STATUS_LIMIT) for n in (*sub.notices, *res.notices)]
    res.notebooks = [printable(n, STATUS_LIMIT) for n in res.notebooks]  # file names: shown in feedback
    res.log = [*sub.log, *res.log]
    return res


# ------------------------------------------------------------------ worker


def _default_grade_fn() -> GradeFn:
    """The real grader, imported in the worker only and warmed up once there
    (reference solution and digits data), so no submission pays for loading them."""
    from .runner import grade_submission, warm_up

    warm_up()
    return grade_submission


def _limits(timeout: float | None):
    """The sandbox limits for one submission: its whole-life wall time is --timeout."""
    if timeout is None:
        return None
    from .sandbox import Limits

    return Limits(wall_seconds=float(timeout))


class _Stop(BaseException):
    """Raised in a worker by SIGTERM so `with Sandbox(...)` blocks clean up their child."""


def _on_term(signum, frame):
    raise _Stop()


def _worker_main(conn, slot: int, grade_fn: GradeFn | None, timeout: float | None, roots=()) -> None:
    """Runs in the worker process: load the grader once, then grade until told to stop."""
    os.setsid()  # own process group: the parent can kill everything this worker started
    for root in roots:  # hand-ins below SUBMISSIONS are opened without following any link
        register_handin_root(root)
    signal.signal(signal.SIGTERM, _on_term)
    os.environ.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    try:
        fn = grade_fn or _default_grade_fn()
        limits = _limits(timeout)
    except Exception as exc:
        conn.send(("fatal", f"{type(exc).__name__}: {exc}"))
        return
    conn.send(("ready", os.getpid()))
    while True:
        try:
            msg = conn.recv()
        except (EOFError, _Stop):
            return
        if msg is None:
            return
        student_id, notebooks = msg
        start = time.perf_counter()
        try:
            result = fn(student_id, [Path(p) for p in notebooks], limits=limits, slot=slot)
            result.duration_s = result.duration_s or time.perf_counter() - start
            conn.send(("result", result))
        except _Stop:
            return
        except Exception as exc:  # a bug of ours on this submission: keep going
            from .sandbox.limits import SandboxError  # here, not at import: numpy must load after the env is set

            if isinstance(exc, SandboxError):
                conn.send(("fatal", f"the sandbox cannot run on this machine: {exc}"))
                return
            tb = traceback.format_exc(limit=8)
            first = " ".join(f"{type(exc).__name__}: {exc}".split())  # one line: it becomes a csv status
            conn.send(("error", first[:200], tb, time.perf_counter() - start))


@dataclass
class _Worker:
    slot: int
    process: mp.process.BaseProcess
    conn: Connection
    job: Submission | None = None
    started: float = 0.0

    def stop(self) -> None:
        """Ask nicely (SIGTERM lets the sandbox close), then kill the worker's whole group."""
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(TERM_GRACE)
        if self.process.is_alive() and self.process.pid:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.join(TERM_GRACE)
        self.conn.close()


def _start_worker(ctx, slot: int, grade_fn, timeout) -> _Worker:
    parent, child = ctx.Pipe()
    proc = ctx.Process(
        target=_worker_main,
        args=(child, slot, grade_fn, timeout, handin_roots()),
        name=f"autograde-worker-{slot}",
        daemon=True,
    )
    proc.start()
    child.close()
    if not parent.poll(120):
        raise GraderUnavailable(f"grading worker {slot} did not start within 120 s")
    try:
        kind, detail = parent.recv()
    except EOFError:
        raise GraderUnavailable(f"grading worker {slot} died while starting (exit code {proc.exitcode})") from None
    if kind == "fatal":
        proc.join(5)
        raise GraderUnavailable(f"cannot load the grader: {detail}")
    return _Worker(slot, proc, parent)


def _hard_limit(timeout: float | None) -> float:
    """When the parent gives up on a worker. The runner may open two sandboxes per
    submission (student functions, then classes), each with the --timeout budget."""
    return 2 * (timeout or DEFAULT_TIMEOUT) + HARD_KILL_GRACE


def grade_all(
    subs: list[Submission],
    *,
    jobs: int = 1,
    timeout: float | None = DEFAULT_TIMEOUT,
    grade_fn: GradeFn | None = None,
    on_result: Callable[[SubmissionResult], None] = lambda r: None,
) -> list[SubmissionResult]:
    """Grade every submission; results in the order of `subs`.

    `grade_fn` defaults to autograder.runner.grade_submission; a replacement
    must be importable by reference (a module-level function), because
    workers are spawned processes. Raises GraderUnavailable only when the
    grader cannot be loaded at all."""
    results: dict[str, SubmissionResult] = {}
    todo: deque[Submission] = deque()
    for sub in subs:
        if sub.problem:
            results[sub.student_id] = not_gradable(sub)
            on_result(results[sub.student_id])
        else:
            todo.append(sub)
    if todo:
        _run_pool(todo, results, max(1, min(jobs, len(todo))), timeout, grade_fn, on_result)
    return [results[s.student_id] for s in subs]


def _run_pool(
    todo: deque[Submission],
    results: dict[str, SubmissionResult],
    jobs: int,
    timeout: float | None,
    grade_fn: GradeFn | None,
    on_result: Callable[[SubmissionResult], None],
) -> None:
    ctx = mp.get_context("spawn")  # no fork of a parent with threads (tqdm) or open sandboxes
    workers = [_start_worker(ctx, slot, grade_fn, timeout) for slot in range(jobs)]
    limit = _hard_limit(timeout)

    def finish(w: _Worker, res: SubmissionResult) -> None:
        assert w.job is not None  # called for a busy worker only
        results[w.job.student_id] = with_discovery(res, w.job)
        w.job = None
        on_result(res)

    try:
        while todo or any(w.job for w in workers):
            for w in workers:
                if w.job is None and todo:
                    w.job, w.started = todo.popleft(), time.monotonic()
                    w.conn.send((w.job.student_id, [str(p) for p in w.job.notebooks]))
            busy = [w for w in workers if w.job]
            wait([w.conn for w in busy] + [w.process.sentinel for w in busy], timeout=0.5)
            for i, w in enumerate(workers):
                if w.job is None:
                    continue
                elapsed = time.monotonic() - w.started
                if w.conn.poll():
                    try:
                        msg = w.conn.recv()
                    except (EOFError, OSError):
                        msg = None
                    if msg and msg[0] == "result":
                        finish(w, msg[1])
                        continue
                    if msg and msg[0] == "error":
                        finish(w, grader_error(w.job, f"grader raised {msg[1]}", msg[3], [msg[2]]))
                        continue
                    if msg and msg[0] == "fatal":  # no submission can be graded here (SandboxError)
                        raise GraderUnavailable(msg[1])
                if not w.process.is_alive():
                    reason = f"grading worker died (exit code {w.process.exitcode}) after {elapsed:.1f} s"
                elif elapsed > limit:
                    reason = f"grading did not finish within {limit:.0f} s; worker killed"
                else:
                    continue
                job = w.job
                w.stop()
                workers[i] = _start_worker(ctx, w.slot, grade_fn, timeout)
                workers[i].job = job
                finish(workers[i], grader_error(job, reason, elapsed))
    finally:
        for w in workers:
            if w.process.is_alive() and w.job is None:
                try:
                    w.conn.send(None)
                except OSError:
                    pass
            w.process.join(2)
            if w.process.is_alive():
                w.stop()
