"""Process bookkeeping for the grader side: sandbox uids, kill-by-uid, exit statuses."""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import tempfile
import time
from pathlib import Path

UID_BASE = 65000  # sandbox uids: UID_BASE + slot (next free one when that slot's uid is busy)
UID_COUNT = 1000


def claim_uid(slot: int) -> tuple[int, int] | None:
    """(uid, lock fd) for a sandbox, or None when not root. A uid is held by an
    flock for the sandbox's life, so kill-by-uid never hits another sandbox even
    when two callers pass the same slot (pytest-xdist workers, say)."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return None
    locks = Path(tempfile.gettempdir()) / "autograder-sandbox-uids"
    locks.mkdir(mode=0o700, exist_ok=True)
    for k in range(UID_COUNT):
        uid = UID_BASE + (slot + k) % UID_COUNT
        fd = os.open(locks / str(uid), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        kill_uid(uid)  # leftovers of a grader that was itself killed
        return uid, fd
    raise RuntimeError(f"no free sandbox uid in {UID_BASE}..{UID_BASE + UID_COUNT - 1}")


def pids_of_uid(uid: int) -> list[int]:
    pids = []
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as f:
                line = next(ln for ln in f if ln.startswith("Uid:"))
        except (OSError, StopIteration):
            continue
        if uid in (int(x) for x in line.split()[1:]):
            pids.append(int(entry))
    return pids


def kill_uid(uid: int, seconds: float = 5.0) -> int:
    """SIGKILL every process of `uid` until none is left (catches setsid() escapees). -> killed count."""
    killed, end = 0, time.monotonic() + seconds
    while time.monotonic() < end:
        pids = pids_of_uid(uid)
        if not pids:
            break
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
                killed += 1
            except ProcessLookupError:
                pass
        time.sleep(0.002)
    return killed


SHARED_DIRS = ("/tmp", "/var/tmp", "/dev/shm", "/dev/mqueue")  # world-writable on every Linux


def remove_files_of_uid(uid: int, dirs=SHARED_DIRS) -> list[str]:
    """Remove what a sandbox uid left at the top of the machine's shared, world-writable
    directories (files, POSIX shared memory, sockets...) -> the paths removed. For sandboxes
    that ran without a private /tmp (no namespaces); never touches another uid's entries."""
    removed = []
    for top in dirs:
        try:
            entries = list(os.scandir(top))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.stat(follow_symlinks=False).st_uid != uid:
                    continue
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path, ignore_errors=True)
                else:
                    os.unlink(entry.path)
                removed.append(entry.path)
            except OSError:
                pass
    return removed


def describe_status(status: int | None, limits) -> str:
    """A child's wait status -> what happened, in words for the student."""
    if status is None:
        return "the sandbox process disappeared"
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig == signal.SIGXCPU:
            return f"used more than {limits.cpu_seconds} s of CPU time (killed by SIGXCPU)"
        if sig == signal.SIGXFSZ:
            return f"printed or wrote more than {limits.max_output_bytes} bytes (output limit)"
        if sig == signal.SIGSEGV:
            return "crashed with a segmentation fault (SIGSEGV)"
        if sig == signal.SIGKILL:
            return "was killed (SIGKILL): CPU hard limit, memory exhaustion, or killed from outside"
        if sig == signal.SIGSYS:
            return "was killed for a forbidden system call (SIGSYS, seccomp)"
        return f"was killed by signal {signal.Signals(sig).name}"
    code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else status
    return f"exited with code {code} (os._exit, a fatal error, or the interpreter gave up)"
