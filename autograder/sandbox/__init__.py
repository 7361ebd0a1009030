"""Run untrusted student code in a separate, limited, isolated process.

    with Sandbox(chunks, limits=Limits(), slot=0) as sb:
        sb.load_errors          # {chunk label: "NameError: ..."}
        sb.isolation            # what isolation is in force, for the run log
        loss, dW = sb.call("softmax_loss_vectorized", W, X, y, 0.1)
        sb.cpu_seconds()        # CPU time of all the sandbox's processes so far

Only plain numeric data crosses the boundary (wire.py: JSON header + raw
array bytes on dedicated pipes, never pickle, never the child's stdout); every
comparison and every score is made in the grader's process.

Grader callbacks: functions the student's code may call but must not read.

    ref = load_reference()
    layers = {name: ref[name] for name in ("affine_forward", "relu_forward", ...)}
    with Sandbox(student_class_chunks, callbacks=layers) as sb:
        net = sb.new("TwoLayerNet", 64, 64, 10)
        sb.method(net, "train", X, y, X_val, y_val, num_iters=200)

Each `name` is bound in the child's namespace (before the chunks load, and again
after, so a student's own definition of that name does not replace it) to a
stub that sends the call to the grader, which runs `fn` in its own process on
strictly decoded plain data (numbers, str, numeric arrays, tuples, lists,
dicts with str keys; arrays up to `limits.callback_max_mb` in all) and sends
back its plain-data result. Non-plain arguments raise TypeError in the child;
an exception in `fn` reaches the child as `GraderFunctionError` with a fixed
message ("the function NAME() provided by the grader failed on the arguments
it was given"); `fn`'s text and traceback stay in `sb.callback_errors`, for the
instructor. While `fn` runs the grader reads nothing else from the child; a
request for an unregistered name, or malformed arguments, is BadOutput (the
child is killed). Time in `fn` counts against the call's CPU limit and in
`sb.cpu_seconds()`. A round trip with a 200x64 float64 array each way takes
0.15-0.25 ms on a busy 2-core VM (`python -m autograder.sandbox.overhead` prints it).

Isolation: layers chosen by a `Policy` (policy.py), each used where the
machine offers it; `sb.isolation` says which are in force:
  namespaces  private read-only root (python, numpy, the submission's code, a
              small tmpfs /tmp and /dev/shm; hidden tests, solutions, OUT,
              /root, /home invisible), empty network namespace, own PID and
              IPC namespaces (the grader's /proc invisible; all die with the
              child), uid 65000+slot without capabilities, no_new_privs
              (root; or an unprivileged user namespace under the grader's uid)
  landlock    without namespaces: only python, numpy and the submission's code
              readable, only its work dir writable, /proc unreachable; TCP
              denied (ABI >= 4); no signals or abstract sockets out (ABI >= 6)
  seccomp     keyrings, SysV/POSIX IPC, socket(), ptrace and other processes'
              memory, io_uring, bpf and new namespaces denied (seccomp.py)
  cgroup      memory, process count and CPU share of the sandbox as a whole,
              its CPU time measured from outside, every process killed at the
              end, also after a killed grader (cgroups.py; root)
  always      `python -I -S`, environment cleared to what numpy needs, one BLAS
              thread, rlimits on CPU, address space, processes, output size and
              open files; per-call CPU-time limits with a wall-clock backstop;
              the grading process is made non-dumpable
Without namespaces nor Landlock ("basic"), files and /tmp are NOT private.

Start-up: each grading process starts one fork server (forkserver.py), a clean
`python -I -S` with numpy loaded that never runs student code; every sandbox
is a fresh fork of it, so a sandbox costs ~0.03 s instead of a python start
and a numpy import (~0.2 s). `fork_server()` starts it ahead of time.
"""

from .limits import BadOutput, Limits, SandboxError, StudentCrash, StudentError, StudentException, StudentTimeout
from .policy import Policy, Support
from .sandbox import CALLBACK_FAILED, Sandbox, fork_server
from .wire import Handle

__all__ = [
    "Sandbox",
    "fork_server",
    "Limits",
    "Policy",
    "Support",
    "Handle",
    "CALLBACK_FAILED",
    "StudentError",
    "StudentException",
    "StudentTimeout",
    "StudentCrash",
    "BadOutput",
    "SandboxError",
]
