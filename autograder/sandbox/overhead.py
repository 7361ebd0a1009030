"""Measure what a sandbox costs: `python -m autograder.sandbox.overhead [full|landlock|basic|bare] [N]`.

Prints, for N sandboxes holding 13 chunks (numpy, a lazily imported pyplot, 11
small functions): the start+load and close wall times, the CPU time of grader
+ supervisor + child per sandbox, a small call's round trip, an 8 MB array
sent there and back, and a grader callback's round trip with a 200x64 float64
array each way (TwoLayerNet.train on the digits makes ~1,600 of them).
"""

from __future__ import annotations

import os
import resource
import statistics
import sys
import time

import numpy as np

from autograder.extract import Chunk
from autograder.sandbox import Policy, Sandbox, fork_server

CALLBACKS = 2000  # round trips timed (mean)
CHUNKS = [
    Chunk("import: numpy", "import numpy as np"),
    Chunk("import: pyplot", "import matplotlib.pyplot as plt"),
    Chunk("echo", "def echo(x):\n    return x\n"),
    Chunk("relay", "def relay(x, n):\n    for _ in range(n):\n        x = grader_echo(x)\n    return x\n"),
] + [Chunk(f"f{i}", f"def f{i}(x):\n    return x + {i}\n") for i in range(10)]


def _cpu() -> float:
    """CPU seconds of this process, its reaped children, and the fork server with the
    sandboxes it reaped (they are its children, not ours; Linux /proc only)."""
    both = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return sum(r.ru_utime + r.ru_stime for r in both) + _fork_server_cpu()


def _fork_server_cpu() -> float:
    server = fork_server()
    try:
        with open(f"/proc/{server.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")  # utime stime cutime cstime


def measure(mode: str = "full", n: int = 10) -> str:
    fork_server()  # started once per grading process: not a per-sandbox cost
    starts, closes, cpu0 = [], [], _cpu()
    for _ in range(n):
        t = time.perf_counter()
        sb = Sandbox(CHUNKS, policy=Policy.named(mode))
        sb.start()
        starts.append(time.perf_counter() - t)
        t = time.perf_counter()
        sb.close()
        closes.append(time.perf_counter() - t)
    cpu = (_cpu() - cpu0) / n
    with Sandbox(CHUNKS, policy=Policy.named(mode), callbacks={"grader_echo": lambda x: x}) as sb:
        small = [_timed(sb, 1.0) for _ in range(200)]
        big = [_timed(sb, np.random.rand(1000, 1000)) for _ in range(10)]
        batch = np.random.rand(200, 64)
        sb.call("relay", batch, 10)
        start = time.perf_counter()
        sb.call("relay", batch, CALLBACKS)
        callback = (time.perf_counter() - start) / CALLBACKS
        isolation = sb.isolation
    med = statistics.median
    return (
        f"{mode}: start+load median {med(starts):.3f} s (min {min(starts):.3f}), close median "
        f"{med(closes):.3f} s, CPU per sandbox {cpu:.3f} s, small call {med(small) * 1e3:.2f} ms, "
        f"8 MB there and back {med(big) * 1e3:.1f} ms, callback with 200x64 each way "
        f"{callback * 1e3:.3f} ms\n  isolation: {isolation}"
    )


def _timed(sb, value) -> float:
    t = time.perf_counter()
    sb.call("echo", value)
    return time.perf_counter() - t


if __name__ == "__main__":
    print(measure(sys.argv[1] if len(sys.argv) > 1 else "full", int(sys.argv[2]) if len(sys.argv) > 2 else 10))
