"""The sandbox as a whole: memory, processes and CPU per sandbox, CPU time from outside,
nothing left behind (also after a killed grader), and a busy neighbour costs nothing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from hostile import ATTACKS
from sandbox_helpers import FAST, chunks, sandbox_cgroups, slot

from autograder.sandbox import Limits, Policy, Sandbox, StudentCrash, cgroups, linux, runtime

CGROUPS = bool(runtime.hierarchies())
WORK = chunks(
    '''
def work(n):
    """Pure-python CPU work, the same every time: n loop turns."""
    total = 0
    for i in range(n):
        total += i * i % 7
    return total
''',
    """
def work_in_a_child(n, wait):
    import os
    pid = os.fork()
    if pid == 0:
        work(n)
        os._exit(0)
    if wait:
        os.waitpid(pid, 0)
    return pid
""",
    """
def spin_in_children(k):
    import os
    for _ in range(k):
        if os.fork() == 0:
            while True:
                pass
    return k
""",
    """
def hoard(mb):
    return len(b"\\1" * (mb * 2**20))
""",
)


def test_this_machine_offers_cgroups():
    """CI runs as root on a machine with cgroups: losing them would silently drop the
    per-sandbox limits (the other tests then only cover the fallbacks)."""
    assert os.geteuid() != 0 or CGROUPS, "running as root, yet no cgroup hierarchy can be used"


def _cpu_of(sb, thunk) -> float:
    before = sb.cpu_seconds()
    thunk()
    return sb.cpu_seconds() - before


@pytest.mark.parametrize("mode", ["full", "bare"])
def test_cpu_seconds_counts_the_child_and_what_it_waited_for(mode):
    with Sandbox(WORK, limits=FAST, slot=slot() + 1, policy=Policy.named(mode)) as sb:
        alone = _cpu_of(sb, lambda: sb.call("work", 2_000_000))
        with_child = _cpu_of(sb, lambda: sb.call("work_in_a_child", 2_000_000, True))
    assert alone > 0.05 and with_child > 0.5 * alone, (alone, with_child)


@pytest.mark.skipif(not CGROUPS, reason="needs a cgroup (root): the /proc fallback cannot see these")
def test_cpu_seconds_sees_processes_nobody_waited_for():
    with Sandbox(WORK, limits=FAST, slot=slot() + 2) as sb:
        alone = _cpu_of(sb, lambda: sb.call("work", 300_000))
        before = sb.cpu_seconds()
        sb.call("work_in_a_child", 300_000, False)  # returns at once; the child works on, unwaited
        time.sleep(3 * alone + 0.2)
        assert sb.cpu_seconds() - before > 0.5 * alone


@pytest.mark.skipif(not CGROUPS, reason="needs a cgroup (root)")
def test_the_whole_sandbox_uses_at_most_its_cpus():
    with Sandbox(WORK, limits=FAST, slot=slot() + 3) as sb:
        sb.call("spin_in_children", 4)
        before, start = sb.cpu_seconds(), time.monotonic()
        time.sleep(1.0)
        used, wall = sb.cpu_seconds() - before, time.monotonic() - start
    assert used <= FAST.cpus * wall * 1.15 + 0.05, f"4 spinners used {used:.2f} s of CPU in {wall:.2f} s"


@pytest.mark.skipif(not CGROUPS, reason="needs a memory cgroup (root)")
def test_memory_is_limited_per_sandbox_and_the_crash_says_so():
    limits = Limits(**{**FAST.as_dict(), "memory_mb": 1024, "sandbox_memory_mb": 300, "call_seconds": 5})
    with Sandbox(WORK, limits=limits, slot=slot() + 4) as sb:
        assert sb.call("hoard", 100) == 100 * 2**20
        with pytest.raises(StudentCrash, match="ran out of its 300 MB"):
            sb.call("hoard", 500)  # under RLIMIT_AS (1024 MB), over the sandbox's 300 MB


def test_without_a_memory_cgroup_processes_times_memory_stays_within_the_sandbox():
    limits = Limits(**{**FAST.as_dict(), "memory_mb": 400, "sandbox_memory_mb": 800, "max_processes": 8})
    with Sandbox(WORK, limits=limits, slot=slot() + 5, policy=Policy.named("bare")) as sb:
        assert "at most 2 process(es) of 400 MB each" in sb.isolation


def _grader_script(tmp_path) -> str:
    return textwrap.dedent(f"""
        import json, sys, time
        sys.path[:0] = {[os.path.dirname(__file__), os.getcwd()]!r}
        from autograder.sandbox import Sandbox
        from sandbox_helpers import FAST, chunks
        from test_sandbox_cgroup import WORK
        sb = Sandbox(WORK, limits=FAST, slot=60)
        sb.start()
        sb.call("spin_in_children", 2)
        group = sb._runtime.cgroup
        print(json.dumps({{"dirs": list(group.dirs.values()) if group else [], "pids": group.pids() if group else [],
                          "tmp": str(sb._runtime.tmp)}}), flush=True)
        time.sleep(600)
    """)


def test_a_killed_grader_leaves_nothing_behind(tmp_path):
    """A batch worker SIGKILL-ed mid-submission: its fork server removes the sandbox's
    cgroups (killing what runs in them) and its scratch dir."""
    grader = subprocess.Popen(
        [sys.executable, "-c", _grader_script(tmp_path)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
    )
    state = json.loads(grader.stdout.readline())
    assert os.path.isdir(state["tmp"]) and (state["dirs"] or not CGROUPS)
    grader.send_signal(signal.SIGKILL)
    grader.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and (os.path.exists(state["tmp"]) or any(map(os.path.exists, state["dirs"]))):
        time.sleep(0.05)
    assert not os.path.exists(state["tmp"]), "the killed grader's scratch dir is still there"
    assert [d for d in state["dirs"] if os.path.exists(d)] == [], "the killed grader's cgroups are still there"
    assert [p for p in state["pids"] if _alive(p)] == [], "processes of the killed grader's sandbox still run"


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


@pytest.mark.skipif(not CGROUPS, reason="needs a cgroup (root)")
def test_cgroups_of_dead_graders_are_swept_and_ours_removed():
    dead = int(
        subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True).stdout
    )
    stale = [os.path.join(h.own, f"{cgroups.PREFIX}-{dead}-stale") for h in runtime.hierarchies()]
    for path in stale:
        os.mkdir(path)
    with Sandbox(WORK, limits=FAST, slot=slot() + 6) as sb:
        assert not any(map(os.path.exists, stale))
        mine = sandbox_cgroups(sb)
        assert mine and all(map(os.path.isdir, mine))
    assert not any(map(os.path.exists, mine))


def test_the_grading_process_is_not_dumpable():
    with Sandbox(WORK, limits=FAST, slot=slot() + 7):
        assert linux.prctl(linux.PR_GET_DUMPABLE) == 0


NAIVE, FAST_N = 400_000, 100_000  # the lead's speed-ratio test, in miniature: 4x the work


def _ratio(sb) -> float:
    """CPU-time ratio of two workloads, interleaved in the same sandbox (best of 3 each)."""
    big, small = [], []
    for _ in range(3):
        big.append(_cpu_of(sb, lambda: sb.call("work", NAIVE)))
        small.append(_cpu_of(sb, lambda: sb.call("work", FAST_N)))
    return min(big) / min(small)


@pytest.mark.skipif(not CGROUPS, reason="the neighbour's CPU is capped by its cgroup")
def test_a_spinning_neighbour_costs_an_honest_sandbox_nothing():
    with Sandbox(WORK, limits=FAST, slot=slot() + 8) as honest:
        quiet = _ratio(honest)
        answer = honest.call("work", NAIVE)
        crowd = Limits(**{**FAST.as_dict(), "max_processes": 16})
        with Sandbox(chunks(ATTACKS["spinning_neighbour"].source), limits=crowd, slot=slot() + 9) as neighbour:
            assert neighbour.call("relu_forward", "spin") == 15
            spun_from = neighbour.cpu_seconds()
            busy = _ratio(honest)
            # a call that needs ~0.3 s of CPU gets 1 s of CPU; its wall-clock backstop is 3 s
            assert honest.call("work", 3 * NAIVE, timeout=1.0) == honest.call("work", 3 * NAIVE, timeout=1.0)
            assert honest.call("work", NAIVE) == answer  # the same result
            spun = neighbour.cpu_seconds() - spun_from
    # 4x the work: CPU time read from outside measures it near 4 with or without the neighbour
    # (the band allows for a loaded machine's noise on 5 ms calls, not for a neighbour's 15 CPUs)
    assert 2.5 < quiet < 6.0 and 2.5 < busy < 6.0, (quiet, busy)
    assert spun > 0  # it did spin (all 15 processes), within its one CPU


class _Starved:
    """A runtime whose sandbox used no CPU but waited `starved` seconds for one."""

    def __init__(self, starved):
        self.starved, self.calls = starved, 0

    def cpu_seconds(self):
        return 0.0

    def starved_seconds(self):
        self.calls += 1
        return None if self.starved is None else (0.0 if self.calls == 1 else self.starved)


@pytest.mark.parametrize("starved, at_least, at_most", [(None, 0.35, 0.65), (0.5, 0.85, 1.6)])
def test_the_wall_backstop_does_not_count_time_spent_waiting_for_a_cpu(starved, at_least, at_most):
    """0.2 s of CPU x wall_factor 2 = 0.4 s of wall clock, plus what the machine's load cost."""
    from types import SimpleNamespace

    from autograder.sandbox.sandbox import CallClock

    now = time.monotonic()
    sb = SimpleNamespace(limits=Limits(wall_factor=2.0), _deadline=now + 60, _runtime=_Starved(starved))
    clock = CallClock(sb, 0.2, now)
    r, w = os.pipe()
    try:
        with pytest.raises(TimeoutError):
            clock.wait(r)  # nothing ever comes
    finally:
        os.close(r)
        os.close(w)
    assert at_least <= time.monotonic() - now <= at_most


# ------------------------------------------------------------------ other machines' cgroups
# This machine has cgroup v1 controllers and a controller-less v2; GitHub's runners and
# modern distributions have v2 only. What the kit reads there, and writes, is checked on text.

V2_ONLY = (
    ["29 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate\n"],
    ["0::/system.slice/runner.service\n"],
)
HYBRID = (
    [
        "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct\n",
        "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n",
        "36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices\n",
        "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd\n",
        "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n",
    ],
    ["4:memory:/process_api/abc\n", "2:cpu,cpuacct:/\n", "5:devices:/\n", "1:name=systemd:/x\n", "0::/\n"],
)
CONTAINER = (["50 40 0:30 /docker/abc /sys/fs/cgroup rw,relatime - cgroup2 cgroup2 rw\n"], ["0::/docker/abc/job\n"])


@pytest.mark.parametrize(
    "machine, expected",
    [
        (V2_ONLY, [("/sys/fs/cgroup", 2, frozenset(), "/sys/fs/cgroup/system.slice/runner.service")]),
        (
            HYBRID,
            [
                ("/sys/fs/cgroup/cpu,cpuacct", 1, frozenset({"cpu", "cpuacct"}), "/sys/fs/cgroup/cpu,cpuacct/"),
                ("/sys/fs/cgroup/memory", 1, frozenset({"memory"}), "/sys/fs/cgroup/memory/process_api/abc"),
                ("/sys/fs/cgroup/unified", 2, frozenset(), "/sys/fs/cgroup/unified/"),
            ],
        ),
        (CONTAINER, [("/sys/fs/cgroup", 2, frozenset(), "/sys/fs/cgroup/job")]),
    ],
    ids=["v2-only", "hybrid", "container"],
)
def test_the_graders_cgroups_are_found_in_mountinfo(machine, expected):
    assert cgroups.candidates(*machine) == expected


def test_cgroup_v2_limits_are_written_as_v2_wants_them(tmp_path):
    v2 = cgroups.Hierarchy(str(tmp_path), 2, frozenset({"memory", "pids", "cpu"}), str(tmp_path))
    group = cgroups.SandboxCgroup.create("ag-sandbox-1-x", 300, 9, 0.5, [v2])
    made = tmp_path / "ag-sandbox-1-x"
    written = {f.name: f.read_text() for f in made.iterdir()}
    assert written == {"memory.max": str(300 * 2**20), "pids.max": "9", "cpu.weight": "100", "cpu.max": "50000 100000"}
    assert group.procs_files() == [str(made / "cgroup.procs")] and group.roles["kill"] is v2
    assert "memory: at most 300 MB for the whole sandbox (cgroup v2)" in group.notes


def test_without_v2_controllers_v1_limits_and_v2_time_and_kill_are_combined(tmp_path):
    (tmp_path / "v1").mkdir()
    (tmp_path / "v2").mkdir()
    v1 = cgroups.Hierarchy(str(tmp_path / "v1"), 1, frozenset({"memory", "pids", "cpu"}), str(tmp_path / "v1"))
    v2 = cgroups.Hierarchy(str(tmp_path / "v2"), 2, frozenset(), str(tmp_path / "v2"))
    group = cgroups.SandboxCgroup.create("ag-sandbox-1-y", 300, 9, 1.0, [v1, v2])
    assert {role: h.version for role, h in group.roles.items()} == {
        "memory": 1,
        "pids": 1,
        "cpu": 1,
        "cpu time": 2,
        "kill": 2,
    }
    v1_written = {f.name: f.read_text() for f in (tmp_path / "v1" / "ag-sandbox-1-y").iterdir()}
    assert v1_written == {
        "memory.limit_in_bytes": str(300 * 2**20),
        "pids.max": "9",
        "cpu.shares": "1024",
        "cpu.cfs_period_us": "100000",
        "cpu.cfs_quota_us": "100000",
    }
