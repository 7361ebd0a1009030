"""One cgroup per sandbox: memory, processes and CPU of the sandbox as a whole.

rlimits bind one process at a time (16 processes x 2 GB = 32 GB); a cgroup
binds the sandbox. Each sandbox gets a directory `ag-sandbox-<grader pid>-<n>`
under the grader's own cgroup, in every hierarchy that offers something we use:

  feature        cgroup v2 (preferred)          cgroup v1
  memory         memory.max, memory.swap.max    memory.limit_in_bytes (+ memsw)
  processes      pids.max                       pids.max
  CPU share      cpu.weight, cpu.max            cpu.shares, cpu.cfs_quota_us
  CPU time       cpu.stat usage_usec (always)   cpuacct.usage
  CPU starvation cpu.pressure "some" (PSI)      -
  kill them all  cgroup.kill                    SIGKILL each pid in cgroup.procs

The supervisor writes its pid into every `cgroup.procs` before it forks the
child, so nothing of the sandbox runs outside. Creating cgroups needs root (or
a delegated cgroup); on cgroup v2, a controller can only be used when it is
enabled in the grader's cgroup's cgroup.subtree_control, which the kit tries
and which fails when that cgroup also holds processes (the kernel's
no-internal-processes rule): then only CPU time and kill come from v2.

Also imported by plain name in the fork server (which cleans up after a
killed grader): standard library only.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

PREFIX = "ag-sandbox"
USED_V1 = ("memory", "pids", "cpu", "cpuacct")
USED_V2 = ("memory", "pids", "cpu")
CPU_PERIOD_US = 100_000  # the kernel's default CFS period
CPU_WEIGHT_V1, CPU_WEIGHT_V2 = 1024, 100  # the defaults: a sandbox weighs what one process does
KILL_SECONDS = 5.0


@dataclass(frozen=True)
class Hierarchy:
    mount: str  # where it is mounted
    version: int  # 1 or 2
    controllers: frozenset[str]  # usable in a child of the grader's cgroup
    own: str  # the grader's cgroup, as a directory under `mount`

    def has(self, controller: str) -> bool:
        return controller in self.controllers


def own_cgroups(lines: Iterable[str]) -> dict[str, str]:
    """Lines of /proc/self/cgroup -> {"2", or a v1 hierarchy's controller list: path}."""
    own = {}
    for line in lines:
        _, controllers, path = line.rstrip("\n").split(":", 2)
        own["2" if controllers == "" else controllers] = path
    return own


def cgroup_mounts(lines: Iterable[str]) -> Iterator[tuple[str, str, str, list[str]]]:
    """Lines of /proc/self/mountinfo -> (mount point, root within the hierarchy, fstype,
    super options) of each cgroup mount."""
    for line in lines:
        left, right = line.split(" - ", 1)
        fields, (fstype, _, options) = left.split(), right.split()[:3]
        if fstype in ("cgroup", "cgroup2"):
            yield fields[4], fields[3], fstype, options.split(",")


def candidates(mountinfo: Iterable[str], cgroup: Iterable[str]) -> list[tuple[str, int, frozenset[str], str]]:
    """(mount point, version, v1 controllers we use, the grader's cgroup directory) of each
    hierarchy that could hold sandbox cgroups, from the texts of /proc/self/mountinfo and
    /proc/self/cgroup."""
    own, found, seen = own_cgroups(cgroup), [], set()
    for mount, root, fstype, options in cgroup_mounts(mountinfo):
        key: str | None
        controllers: frozenset[str]
        if fstype == "cgroup2":
            key, controllers = "2", frozenset()
        else:
            key = next((k for k in own if k != "2" and set(k.split(",")) <= set(options)), None)
            controllers = frozenset(o for o in options if o in USED_V1)
            if not controllers:
                continue
        if key is None or key in seen:
            continue
        seen.add(key)
        found.append((mount, 2 if fstype == "cgroup2" else 1, controllers, _under(mount, root, own[key])))
    return found


def _under(mount: str, mount_root: str, path: str) -> str:
    rel = path[len(mount_root) :] if mount_root != "/" and path.startswith(mount_root) else path
    return os.path.join(mount, rel.lstrip("/"))


def discover() -> list[Hierarchy]:
    """The cgroup hierarchies this process may create sandbox cgroups in (none when not allowed)."""
    try:
        with open("/proc/self/mountinfo") as m, open("/proc/self/cgroup") as c:
            found = candidates(m.readlines(), c.readlines())
    except OSError:
        return []
    usable = []
    for mount, version, controllers, parent in found:
        if not os.access(parent, os.W_OK):
            continue
        if version == 2:
            controllers = _enable_v2_controllers(parent)
        usable.append(Hierarchy(mount, version, controllers, parent))
    return usable


def _enable_v2_controllers(parent: str) -> frozenset[str]:
    """The v2 controllers children of `parent` get, after trying to enable the ones we use."""

    def read(name: str) -> set[str]:
        try:
            with open(os.path.join(parent, name)) as f:
                return set(f.read().split())
        except OSError:
            return set()

    wanted = (read("cgroup.controllers") & set(USED_V2)) - read("cgroup.subtree_control")
    for controller in sorted(wanted):
        try:
            _write(os.path.join(parent, "cgroup.subtree_control"), f"+{controller}")
        except OSError:
            pass  # EBUSY: the grader's cgroup holds processes; EACCES: not delegated to us
    return frozenset(read("cgroup.subtree_control") & set(USED_V2))


def _write(path: str, text: str) -> None:
    with open(path, "w") as f:
        f.write(text)


def _read(path: str) -> str:
    with open(path) as f:
        return f.read()


@dataclass
class SandboxCgroup:
    """The cgroup directories of one sandbox, one per hierarchy used."""

    name: str
    dirs: dict[Hierarchy, str] = field(default_factory=dict)  # Hierarchy -> directory
    notes: list[str] = field(default_factory=list)  # for Sandbox.isolation
    # feature ("memory", "cpu time"...) -> the hierarchy that provides it, or None
    roles: dict[str, Hierarchy | None] = field(default_factory=dict)
    _usage_fd: int | None = None
    _usage_v2: bool = False
    _pressure_fd: int | None = None

    @classmethod
    def create(
        cls, name: str, memory_mb: int, processes: int, cpus: float, hierarchies: list[Hierarchy] | None = None
    ) -> SandboxCgroup:
        """Make the directories and set the limits. OSError when the machine refuses."""
        hierarchies = discover() if hierarchies is None else hierarchies
        group = cls(name)
        try:
            group._make(hierarchies)
            group._limit(memory_mb, processes, cpus)
        except OSError:
            group.remove()
            raise
        return group

    def _pick(self, controller: str, hierarchies: list[Hierarchy]) -> Hierarchy | None:
        v2 = [h for h in hierarchies if h.version == 2 and h.has(controller)]
        v1 = [h for h in hierarchies if h.version == 1 and h.has(controller)]
        return (v2 + v1 + [None])[0]

    def _make(self, hierarchies: list[Hierarchy]) -> None:
        v2 = next((h for h in hierarchies if h.version == 2), None)
        self.roles = {c: self._pick(c, hierarchies) for c in USED_V2}
        self.roles["cpu time"] = v2 or self._pick("cpuacct", hierarchies)
        self.roles["kill"] = v2
        for h in dict.fromkeys(h for h in self.roles.values() if h is not None):
            path = os.path.join(h.own, self.name)
            os.mkdir(path)
            self.dirs[h] = path
        if not self.dirs:
            raise OSError("no cgroup hierarchy this process may use")

    def _file(self, h: Hierarchy, name: str) -> str:
        """The file `name` of this sandbox's directory in hierarchy h."""
        return os.path.join(self.dirs[h], name)

    def _limit(self, memory_mb: int, processes: int, cpus: float) -> None:
        memory = self.roles["memory"]
        if memory is not None:
            if memory.version == 2:
                _write(self._file(memory, "memory.max"), str(memory_mb * 2**20))
                self._try(self._file(memory, "memory.swap.max"), "0")
            else:
                _write(self._file(memory, "memory.limit_in_bytes"), str(memory_mb * 2**20))
                self._try(self._file(memory, "memory.memsw.limit_in_bytes"), str(memory_mb * 2**20))
            self.notes.append(f"memory: at most {memory_mb} MB for the whole sandbox (cgroup v{memory.version})")
        pids = self.roles["pids"]
        if pids is not None:
            _write(self._file(pids, "pids.max"), str(processes))
            self.notes.append(f"processes: at most {processes - 1} in the whole sandbox (cgroup v{pids.version})")
        cpu = self.roles["cpu"]
        if cpu is not None:
            if cpu.version == 2:
                _write(self._file(cpu, "cpu.weight"), str(CPU_WEIGHT_V2))
                if cpus > 0:
                    _write(self._file(cpu, "cpu.max"), f"{int(cpus * CPU_PERIOD_US)} {CPU_PERIOD_US}")
            else:
                _write(self._file(cpu, "cpu.shares"), str(CPU_WEIGHT_V1))
                if cpus > 0:
                    _write(self._file(cpu, "cpu.cfs_period_us"), str(CPU_PERIOD_US))
                    _write(self._file(cpu, "cpu.cfs_quota_us"), str(int(cpus * CPU_PERIOD_US)))
            self.notes.append(
                "CPU: the whole sandbox weighs as one process"
                + (f" and uses at most {cpus:g} CPU" if cpus > 0 else "")
                + f" (cgroup v{cpu.version})"
            )
        cpu_time = self.roles["cpu time"]
        if cpu_time is not None:
            usage = self._file(cpu_time, "cpu.stat" if cpu_time.version == 2 else "cpuacct.usage")
            if os.path.exists(usage):
                self._usage_fd, self._usage_v2 = os.open(usage, os.O_RDONLY | os.O_CLOEXEC), cpu_time.version == 2
        self._open_pressure()

    def _open_pressure(self) -> None:
        """cgroup v2's CPU pressure (PSI), when the kernel keeps it."""
        v2 = self.roles.get("kill")
        if v2 is None:
            return
        try:
            fd = os.open(os.path.join(self.dirs[v2], "cpu.pressure"), os.O_RDONLY | os.O_CLOEXEC)
            os.pread(fd, 256, 0)  # EOPNOTSUPP when PSI is compiled in but switched off
        except OSError:
            return
        self._pressure_fd = fd

    @staticmethod
    def _try(path: str | None, text: str) -> None:
        """Optional limits (swap accounting may be off): best effort."""
        try:
            if path is not None and os.path.exists(path):
                _write(path, text)
        except OSError:
            pass

    # ------------------------------------------------------------ in use

    def procs_files(self) -> list[str]:
        """The files the supervisor writes its pid into, to join every hierarchy."""
        return [os.path.join(d, "cgroup.procs") for d in self.dirs.values()]

    def cpu_seconds(self) -> float | None:
        """CPU time of every process that ever ran in the sandbox (None without a CPU-time cgroup)."""
        if self._usage_fd is None:
            return None
        raw = os.pread(self._usage_fd, 4096, 0)
        if self._usage_v2:  # "usage_usec 123\nuser_usec ..."
            return int(raw.split(b"\n", 1)[0].split()[1]) / 1e6
        return int(raw) / 1e9

    def starved_seconds(self) -> float | None:
        """Time some process of the sandbox was ready to run but waited for a CPU (PSI "some"
        total), None without PSI: what a loaded machine, not the student, cost the sandbox."""
        if self._pressure_fd is None:
            return None
        first = os.pread(self._pressure_fd, 256, 0).split(b"\n", 1)[0]  # some avg10=... total=123
        return int(first.rsplit(b"total=", 1)[1]) / 1e6

    def oom_kills(self) -> int:
        """How many processes the kernel killed for the sandbox's memory limit."""
        memory = self.roles.get("memory")
        if memory is None:
            return 0
        name = "memory.events" if memory.version == 2 else "memory.oom_control"
        try:
            for line in _read(self._file(memory, name)).splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill":
                    return int(value)
        except (OSError, ValueError):
            pass
        return 0

    def pids(self) -> list[int]:
        out: set[int] = set()
        for path in self.procs_files():
            try:
                out.update(int(p) for p in _read(path).split())
            except OSError:
                pass
        return sorted(out)

    def kill(self) -> None:
        """SIGKILL every process in the sandbox's cgroups until none is left."""
        kill_dirs(list(self.dirs.values()))

    def remove(self) -> None:
        for fd in (self._usage_fd, self._pressure_fd):
            if fd is not None:
                os.close(fd)
        self._usage_fd = self._pressure_fd = None
        if self.dirs:
            remove_dirs(list(self.dirs.values()))
        self.dirs = {}


# ------------------------------------------------------------ cleaning up


def kill_dirs(dirs: list[str], seconds: float = KILL_SECONDS) -> None:
    for d in dirs:
        try:
            _write(os.path.join(d, "cgroup.kill"), "1")
        except OSError:
            pass  # cgroup v1, or a kernel before 5.14: one pid at a time below
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pids: set[int] = set()
        for d in dirs:
            try:
                pids.update(int(p) for p in _read(os.path.join(d, "cgroup.procs")).split())
            except OSError:
                pass
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.002)


def remove_dirs(dirs: list[str]) -> None:
    """Kill what is left in them and remove them (a dying process may hold a cgroup a moment)."""
    kill_dirs(dirs)
    for d in dirs:
        end = time.monotonic() + KILL_SECONDS
        while os.path.isdir(d):
            try:
                os.rmdir(d)
            except FileNotFoundError:
                break
            except OSError:
                if time.monotonic() > end:
                    break
                time.sleep(0.005)


def owner(name: str) -> int | None:
    """The grader pid in a sandbox cgroup's or scratch dir's name `ag-sandbox-<pid>-<n>`."""
    parts = name.split("-")
    return int(parts[2]) if len(parts) >= 4 and name.startswith(PREFIX + "-") and parts[2].isdigit() else None


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


def sweep(of_pid: int | None = None, hierarchies: list[Hierarchy] | None = None) -> int:
    """Remove the sandbox cgroups of `of_pid`, or of every grader that is no longer
    alive (a SIGKILL-ed batch worker) -> how many were removed."""
    removed = 0
    for h in discover() if hierarchies is None else hierarchies:
        try:
            names = os.listdir(h.own)
        except OSError:
            continue
        for name in names:
            pid = owner(name)
            if pid is None or pid == os.getpid() and of_pid is None:
                continue
            if (pid == of_pid) if of_pid is not None else not alive(pid):
                remove_dirs([os.path.join(h.own, name)])
                removed += 1
    return removed
