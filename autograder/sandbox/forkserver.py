"""The fork server: one clean python with numpy loaded, forked once per sandbox.

Starting `python` and importing numpy costs ~0.2 s of CPU; a submission needs
two sandboxes. So each grading process starts, once, a fork server:

    python -I -S forkserver.py CONFIG_JSON      (environment = the child's, cwd /)

It imports numpy, the wire format, the child's request loop and the supervisor,
and then only forks on request. It never runs student code and never holds
anything of the grader's (no environment, no hidden tests, no expected values):
it was exec'd, not forked from the grader. Each request forks a *supervisor*
(supervisor.py's `run`), which forks the child that isolates itself and serves
the student's code. So every sandbox is a fresh process that has run no other
student's code, as with an exec, at a fraction of the cost.

Control channel: a socketpair private to the grading process (never reachable
by a sandbox: the supervisor closes it first thing). Messages are a 4-byte
length + JSON; a spawn request carries the sandbox's five pipe ends
(lifeline, status, log, requests, responses) and a memfd (callbacks' arrays)
as SCM_RIGHTS.

    {"op": "spawn", "cfg": {...}}  + 6 fds  ->  {"pid": supervisor pid}
    {"op": "reap", "pid": P}                ->  {"status": wait status or null} (kills P first)
    {"op": "exit"}                          ->  (none: the server exits)

The forked supervisor stays a zombie until the grader asks to reap it, so its
pid cannot be reused while the grader may still kill its process group.

When the grader dies without closing its sandboxes (a SIGKILL-ed batch worker),
the fork server sees the channel close, and removes the grader's sandbox
cgroups (killing anything left in them) and scratch dirs before it exits.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

_LEN = struct.Struct(">I")
N_FDS = 6  # lifeline, status, log, requests, responses, shared memory for callbacks
ORPHAN_WAIT = 2.0  # seconds to tell a killed grader from one that closed us


def _send(sock, obj, fds=()) -> None:
    data = json.dumps(obj).encode()
    socket.send_fds(sock, [_LEN.pack(len(data)) + data], list(fds))


def _recv(sock, max_fds=0):
    """-> (message, fds); (None, []) at EOF."""
    data, fds, _, _ = socket.recv_fds(sock, 65536, max_fds)
    if not data:
        return None, []
    while len(data) < _LEN.size or len(data) < _LEN.size + _LEN.unpack_from(data)[0]:
        more = sock.recv(65536)
        if not more:
            raise EOFError("fork server channel closed mid-message")
        data += more
    return json.loads(data[_LEN.size :]), list(fds)


# ------------------------------------------------------------ server side


def _serve(sock) -> bool:
    """Serve until told to exit (-> True) or the channel closes (-> False: the grader died,
    or is exiting without closing us; running sandboxes die by their lifelines)."""
    while True:
        msg, fds = _recv(sock, N_FDS)
        if msg is None:
            return False
        if msg["op"] == "exit":
            return True
        if msg["op"] == "spawn":
            try:
                _send(sock, {"pid": _spawn(sock, msg["cfg"], fds)})
            except OSError as exc:  # EAGAIN, ENOMEM: the machine's problem, say so
                for fd in fds:
                    os.close(fd)
                _send(sock, {"error": f"fork failed: {exc}"})
        elif msg["op"] == "reap":
            _send(sock, {"status": _reap(msg["pid"])})


def _spawn(sock, cfg, fds) -> int:
    if len(fds) != N_FDS:
        raise OSError(f"expected {N_FDS} file descriptors, got {len(fds)}")
    pid = os.fork()
    if pid == 0:
        try:
            sock.close()  # first: student code must never be able to ask for a sandbox of its own
            _become_supervisor(cfg, fds)
        finally:
            os._exit(0)
    for fd in fds:
        os.close(fd)
    return pid


def _become_supervisor(cfg, fds) -> None:
    """Lay out the fds as supervisor.run expects (0 lifeline, 1 status, 2 log, 3/4 pipes, 5 memfd)."""
    import fcntl

    import supervisor

    os.setsid()  # its own session: the grader kills its process group
    high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 100) for fd in fds]
    for target, fd in enumerate(high):
        os.dup2(fd, target)
    os.closerange(N_FDS, 65536)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    supervisor.run(dict(cfg, fds={"log": 2, "req": 3, "resp": 4, "bulk": 5}))


def _reap(pid: int):
    """Kill (if the grader's killpg has not already) and wait for one of our supervisors."""
    try:
        os.kill(pid, signal.SIGKILL)  # safe: an unreaped child's pid cannot have been reused
        return os.waitpid(pid, 0)[1]
    except (ProcessLookupError, ChildProcessError):
        return None


def _clean_up_after(grader: int, scratch: str) -> None:
    """The grader is gone (killed, say): remove its sandboxes' cgroups (killing whatever
    still runs in them) and scratch dirs. When it merely closed us, it cleans up itself."""
    import shutil

    import cgroups

    end = time.monotonic() + ORPHAN_WAIT
    while os.getppid() == grader and time.monotonic() < end:
        time.sleep(0.01)  # a dying grader closes its files before its children are re-parented
    if os.getppid() == grader:
        return
    cgroups.sweep(of_pid=grader)
    for name in os.listdir(scratch):
        if cgroups.owner(name) == grader:
            shutil.rmtree(os.path.join(scratch, name), ignore_errors=True)


def main() -> None:
    cfg = json.loads(sys.argv[1])
    sys.path[:0] = [cfg["here"]]  # wire, child, supervisor (no -P path: we run with -I)
    sys.path.extend(cfg["site"])  # numpy and friends (no site module: -S)
    import cgroups  # noqa: F401
    import child  # noqa: F401
    import numpy  # noqa: F401
    import supervisor  # noqa: F401

    del sys.path[0]  # students import nothing from the autograder
    sock = socket.socket(fileno=cfg["fd"])
    _send(sock, {"ready": os.getpid()})
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)  # the grader stopped reading our stderr
    os.close(devnull)
    if not _serve(sock):
        _clean_up_after(cfg["grader"], cfg["scratch"])


# ------------------------------------------------------------ grader side


class ForkServer:
    """The grader's handle on its fork server (thread-safe; one per grading process)."""

    def __init__(self, site: list[str], env: dict, scratch: str, start_seconds: float = 30.0):
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        cfg = {
            "here": os.path.dirname(os.path.abspath(__file__)),
            "site": site,
            "fd": theirs.fileno(),
            "grader": os.getpid(),
            "scratch": scratch,
        }
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-I", "-S", os.path.abspath(__file__), json.dumps(cfg)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                pass_fds=(theirs.fileno(),),
                env=env,
                cwd="/",
                start_new_session=True,
            )
        finally:
            theirs.close()
        self.sock, self.lock = ours, threading.Lock()
        ours.settimeout(start_seconds)
        try:
            msg, _ = _recv(ours)
        except (OSError, EOFError, ValueError):
            msg = None
        stderr = self.proc.stderr
        assert stderr is not None  # stderr=PIPE above
        if not msg or "ready" not in msg:
            self.close()
            raise RuntimeError(
                "the sandbox fork server did not start: " + stderr.read().decode("utf-8", "replace")[-2000:].strip()
            )
        stderr.close()
        ours.settimeout(None)

    def spawn(self, cfg: dict, fds: list[int]) -> int:
        """Fork a supervisor for `cfg` with these six fds (lifeline, status, log, req, resp, memfd) -> pid."""
        answer = self._ask({"op": "spawn", "cfg": cfg}, fds)
        if "pid" not in answer:
            raise OSError(answer.get("error", "the fork server refused"))
        return answer["pid"]

    def reap(self, pid: int):
        """Kill and wait for a supervisor -> its wait status (None if unknown)."""
        return self._ask({"op": "reap", "pid": pid})["status"]

    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self) -> None:
        try:
            with self.lock:
                _send(self.sock, {"op": "exit"})  # a deliberate close: the grader cleans up itself
        except OSError:
            pass
        self.sock.close()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def _ask(self, msg, fds=()):
        with self.lock:
            _send(self.sock, msg, fds)
            answer, _ = _recv(self.sock)
        if answer is None:
            raise EOFError("the sandbox fork server exited")
        return answer


if __name__ == "__main__":
    main()
