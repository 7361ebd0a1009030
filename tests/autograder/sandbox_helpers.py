"""Shared bits of the sandbox tests: small limits, a per-worker slot, process checks."""

from __future__ import annotations

import os

import numpy as np

from autograder.extract import Chunk
from autograder.sandbox import Limits

# Small limits so that every attack is over in a couple of seconds.
FAST = Limits(
    cpu_seconds=3,
    wall_seconds=40,
    call_seconds=1.5,
    memory_mb=400,
    sandbox_memory_mb=600,
    max_processes=8,
    max_output_bytes=64_000,
    max_open_files=64,
    max_restarts=3,
    max_result_mb=16,
    callback_max_mb=4,
    start_seconds=40,
)


def slot() -> int:
    """Distinct sandbox uids per pytest-xdist worker (the uid lock makes clashes harmless anyway)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    return 100 + 20 * int(worker.removeprefix("gw") or 0)


def chunks(*sources: str, numpy: bool = True) -> list[Chunk]:
    out = [Chunk("import: numpy", "import numpy as np")] if numpy else []
    for src in sources:
        name = src.split("def ", 1)[-1].split("class ", 1)[-1].split("(")[0].split(":")[0].strip()
        out.append(Chunk(name, src.strip() + "\n"))
    return out


def affine_ok(sb) -> None:
    """The well-behaved function of the submission still gives the right answer."""
    rng = np.random.default_rng(0)
    x, w, b = rng.normal(size=(4, 2, 3)), rng.normal(size=(6, 5)), rng.normal(size=5)
    out, cache = sb.call("affine_forward", x, w, b)
    np.testing.assert_allclose(out, x.reshape(4, 6) @ w + b)
    assert type(cache) is tuple and len(cache) == 3


def my_children() -> list[int]:
    """Live (non-zombie) child processes of this test process."""
    kids = []
    for task in os.listdir(f"/proc/{os.getpid()}/task"):
        with open(f"/proc/{os.getpid()}/task/{task}/children") as f:
            kids += [int(p) for p in f.read().split()]
    return [k for k in kids if _state(k) not in ("Z", "X", None)]


def _state(pid: int) -> str | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return None


def processes_with(marker: str) -> list[int]:
    """Pids whose command line contains `marker` (host view)."""
    found = []
    for pid in (p for p in os.listdir("/proc") if p.isdigit()):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if marker.encode() in f.read():
                    found.append(int(pid))
        except OSError:
            pass
    return [p for p in found if p != os.getpid() and _state(p) not in ("Z", "X", None)]


def sysv_key(marker: str) -> int:
    """The SysV IPC key an attack derives from its marker (the leftover check uses the same)."""
    import zlib

    return zlib.crc32(marker.encode()) & 0x7FFFFFFF


SHARED_DIRS = ("/tmp", "/var/tmp", "/dev/shm", "/dev/mqueue")


def leftovers(marker: str) -> list[str]:
    """Everything on the host that still carries `marker` after a sandbox closed: kernel
    keys, SysV IPC objects, files in shared directories, (abstract) unix sockets, processes."""
    found = []
    try:
        with open("/proc/keys") as f:
            found += [f"key: {line.strip()}" for line in f if marker in line]
    except OSError:
        pass
    key = sysv_key(marker)
    for kind in ("shm", "msg", "sem"):
        try:
            with open(f"/proc/sysvipc/{kind}") as f:
                rows = [line.split() for line in f][1:]
        except OSError:
            continue
        found += [f"SysV {kind} key {key}" for row in rows if row and int(row[0]) == key]
    for top in SHARED_DIRS:
        try:
            found += [f"file: {top}/{n}" for n in os.listdir(top) if marker in n]
        except OSError:
            pass
    with open("/proc/net/unix") as f:
        found += [f"unix socket: {line.split()[-1]}" for line in f if marker in line]
    found += [f"process {pid}" for pid in processes_with(marker)]
    return found


def sandbox_cgroups(sb) -> list[str]:
    """The cgroup directories of an open sandbox (empty without cgroups)."""
    group = sb._runtime.cgroup
    return list(group.dirs.values()) if group is not None else []
