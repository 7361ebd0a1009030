"""The sandbox's policy in one object: which isolation layers a sandbox asks for,
and what this machine turned out to offer.

A sandbox stacks independent layers; each is used when the policy asks for it
AND the machine offers it, and `Sandbox.isolation` says which ones are in force:

  namespaces  private read-only root, no network, own PID and IPC namespaces
              (root, or unprivileged user namespaces)
  landlock    without namespaces: only python, numpy, the code and a work dir
              reachable (Landlock LSM, Linux 5.13+)
  seccomp     system calls no homework needs denied: keyrings, SysV/POSIX
              IPC, sockets, ptrace... (seccomp.py; x86_64 and aarch64)
  cgroup      one cgroup per sandbox: memory, processes and CPU limits for the
              sandbox as a whole, its CPU time measured from outside, every
              process killed at the end (root or a delegated cgroup; cgroups.py)

`Support` records, per grading process, a layer that looked available but
failed to set up (the sandbox then steps down and says why). Tests force a mode
with a Policy (`Policy.named("basic")`) and start from a clean record with
`Sandbox(..., support=Support())`; nothing needs to patch module state.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

LAYERS = ("namespaces", "landlock", "seccomp", "cgroup")


@dataclass(frozen=True)
class Policy:
    namespaces: bool = True
    landlock: bool = True
    seccomp: bool = True
    cgroup: bool = True
    # run a child that stays root without namespaces or Landlock (see runtime.UNCONFINED_ROOT)
    allow_unconfined_root: bool = False

    @classmethod
    def named(cls, mode: str) -> Policy:
        """full: every layer; landlock: no namespaces; basic: neither namespaces nor
        Landlock (seccomp and cgroups still apply where the machine offers them);
        bare: nothing but rlimits and the process-tree kill (a machine without root,
        user namespaces, Landlock or seccomp)."""
        presets = {
            "full": cls(),
            "landlock": cls(namespaces=False),
            "basic": cls(namespaces=False, landlock=False),
            "bare": cls(namespaces=False, landlock=False, seccomp=False, cgroup=False),
        }
        if mode not in presets:
            raise ValueError(f"unknown sandbox mode {mode!r}; one of {', '.join(presets)}")
        return presets[mode]

    def without(self, layer: str) -> Policy:
        return replace(self, **{layer: False})


class Support:
    """What this grading process learned about the machine: layers switched off, and why."""

    def __init__(self) -> None:
        self.off: dict[str, str] = {}

    def usable(self, layer: str) -> bool:
        return layer not in self.off

    def step_down(self, layer: str, why: str) -> None:
        self.off[layer] = why

    def why(self, layer: str) -> str:
        return self.off.get(layer, "")

    def effective(self, policy: Policy) -> Policy:
        """The policy with every layer that failed on this machine turned off."""
        for layer in LAYERS:
            if not self.usable(layer):
                policy = policy.without(layer)
        return policy


SUPPORT = Support()  # the grading process's record (a forked batch worker inherits it: same machine)
