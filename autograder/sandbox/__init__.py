"""Run untrusted student code in a separate, limited, isolated process.

    with Sandbox(chunks, limits=Limits(), slot=0) as sb:
        sb.load_errors          # {chunk label: "NameError: ..."}
        sb.isolation            # what isolation is in force, for the run log
        loss, dW = sb.call("softmax_loss_vectorized", W, X, y, 0.1)

Only plain numeric data crosses the boundary (wire.py: JSON header + raw
array bytes on dedicated pipes, never pickle, never the child's stdout); every
comparison and every score is made in the grader's process.

Isolation, strongest first; the supervisor detects at run time what works and
`sb.isolation` says which one is in force:
  root + Linux       private read-only root (python, numpy, the submission's
                     code, a small tmpfs /tmp; hidden tests, solutions, OUT,
                     /root, /home invisible), empty network namespace, own PID
                     namespace (the grader's /proc invisible; all die with the
                     child), uid 65000+slot without capabilities, no_new_privs
  not root + Linux   the same inside an unprivileged user namespace, under the
  with user ns       grader's own uid (every capability cleared before student code runs)
  no namespaces,      Landlock: only python, numpy and the submission's code
  Landlock kernel    readable, only its work dir writable, /proc unreachable;
                     TCP denied (ABI >= 4); no signals out (ABI >= 6)
  otherwise          "basic": rlimits, cleared environment, process group +
                     child subreaper kill; files and network NOT isolated
  (as root without namespaces, the child also loses every capability)
Always: `python -I -S`, environment cleared to what numpy needs, one BLAS
thread, rlimits on CPU, address space, processes, output size and open files,
wall-clock limits per call and per sandbox enforced by the grader.

Start-up: each grading process starts one fork server (forkserver.py), a clean
`python -I -S` with numpy loaded that never runs student code; every sandbox
is a fresh fork of it, so a sandbox costs ~0.05 s instead of a python start
and a numpy import (~0.2 s). `fork_server()` starts it ahead of time.
"""
from .limits import (BadOutput, Limits, SandboxError, StudentCrash, StudentError, StudentException,
                     StudentTimeout)
from .sandbox import Sandbox, fork_server
from .wire import Handle

__all__ = ["Sandbox", "fork_server", "Limits", "Handle", "StudentError", "StudentException", "StudentTimeout",
           "StudentCrash", "BadOutput", "SandboxError"]
