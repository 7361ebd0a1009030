"""Resource limits of one sandbox, and the errors a sandbox call can raise."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Limits:
    """Defaults fit grading one submission of this course on a laptop.

    cpu_seconds       CPU time of one child process (RLIMIT_CPU; SIGXCPU, then SIGKILL 1 s later)
    wall_seconds      wall-clock budget of the whole sandbox, restarts included
    call_seconds      CPU time of one call, counted over all of the sandbox's processes and the
                      grader's time in its callbacks (`timeout=` overrides it per call)
    wall_factor       a call is stopped anyway after call_seconds x wall_factor of wall-clock
                      time (code that sleeps or blocks; a machine too loaded to give the
                      sandbox 1/wall_factor of a CPU)
    memory_mb         address space of one process (RLIMIT_AS; python + numpy alone take ~140 MB)
    sandbox_memory_mb memory of the whole sandbox, all its processes together (cgroup); without
                      a memory cgroup, max_processes is lowered to sandbox_memory_mb // memory_mb
    cpus              CPUs the whole sandbox may use at once (cgroup CPU quota; 0: no cap)
    max_processes     processes the child may run at once, itself included (cgroup pids,
                      RLIMIT_NPROC)
    max_output_bytes  what the child may print or write to one file (RLIMIT_FSIZE); more kills it
    max_open_files    file descriptors (RLIMIT_NOFILE)
    max_restarts      restarts after a timeout or crash before every call fails at once
    max_failures_per_call  crashes + timeouts of one function (or class.method) after which
                      its calls fail at once, so it cannot use up the restarts other items need
    max_result_mb     arrays in one answer from the child, all together
    callback_max_mb   arrays in the arguments of one call to a grader-provided function
    tmp_mb            size of the child's private /tmp (with namespaces only)
    start_seconds     starting python + numpy in the child
    """

    cpu_seconds: int = 120
    wall_seconds: float = 600.0
    call_seconds: float = 30.0
    wall_factor: float = 3.0
    memory_mb: int = 2048
    sandbox_memory_mb: int = 4096
    cpus: float = 1.0
    max_processes: int = 16
    max_output_bytes: int = 1_000_000
    max_open_files: int = 64
    max_restarts: int = 10
    max_failures_per_call: int = 2
    max_result_mb: int = 256
    callback_max_mb: int = 64
    tmp_mb: int = 64
    start_seconds: float = 30.0

    def as_dict(self) -> dict:
        return asdict(self)


class StudentError(Exception):
    """Something the student's code did; costs the affected items only."""


class StudentException(StudentError):
    """The student's code raised. `exc_type` is the exception's class name
    ("NotImplementedError" for an untouched stub), `where` the chunk and line."""

    def __init__(self, exc_type: str, message: str, where: str = "", traceback: str = ""):
        self.exc_type, self.message, self.where, self.traceback = exc_type, message, where, traceback
        super().__init__(f"{exc_type}: {message}" + (f" ({where})" if where else ""))


class StudentTimeout(StudentError):
    """A call took longer than its limit, or the sandbox's whole budget ran out."""


class StudentCrash(StudentError):
    """The child died (exit code, signal, memory, output limit), or an object
    from before a restart was used."""


class BadOutput(StudentError):
    """The child answered with something that is not allowed plain data."""


class SandboxError(RuntimeError):
    """The sandbox itself could not run (a problem of the grading machine, not of the submission)."""
