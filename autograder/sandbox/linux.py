"""Named Linux constants and the few libc calls the sandbox makes (ctypes).

Every number the sandbox hands to the kernel is named here, with the header it
comes from, so the supervisor reads as "unshare(CLONE_NEWPID)" and not "0x20000000".
Shared by the supervisor (imported by plain name inside the fork server) and by
the grader (as autograder.sandbox.linux): it imports nothing of the package.
"""

import ctypes
import os
import platform
import sys

LINUX = sys.platform.startswith("linux")
MACHINE = platform.machine()

# <linux/sched.h>: namespaces (unshare, clone)
CLONE_NEWTIME = 0x00000080
CLONE_NEWNS = 0x00020000
CLONE_NEWCGROUP = 0x02000000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
# <asm-generic/fcntl.h> (64-bit): fcntl commands on record locks, POSIX and open-file-description
F_GETLK, F_SETLK, F_SETLKW = 5, 6, 7
F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW = 36, 37, 38
CLONE_NEW_ANY = (
    CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET
)  # clone(2)'s flags; CLONE_NEWTIME is CSIGNAL's bit there

# <linux/mount.h>: mount(2) flags
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT = 32
MS_NOATIME, MS_NODIRATIME = 1024, 2048
MS_BIND, MS_REC = 4096, 16384
MS_PRIVATE = 1 << 18
MS_RELATIME = 1 << 21
MNT_DETACH = 2  # umount2(2)

# <linux/prctl.h>
PR_SET_PDEATHSIG = 1
PR_GET_DUMPABLE, PR_SET_DUMPABLE = 3, 4
PR_SET_SECCOMP = 22
PR_CAPBSET_DROP = 24
PR_SET_SECUREBITS = 28
PR_SET_CHILD_SUBREAPER = 36
PR_SET_NO_NEW_PRIVS = 38
PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 47, 4

# <linux/securebits.h>: root keeps no special powers over capabilities, and that is locked
SECBIT_NOROOT, SECBIT_NOROOT_LOCKED = 1 << 0, 1 << 1
SECBIT_NO_SETUID_FIXUP, SECBIT_NO_SETUID_FIXUP_LOCKED = 1 << 2, 1 << 3
SECBIT_KEEP_CAPS_LOCKED = 1 << 5
SECBITS_ROOT_WITHOUT_POWERS = (
    SECBIT_NOROOT
    | SECBIT_NOROOT_LOCKED
    | SECBIT_NO_SETUID_FIXUP
    | SECBIT_NO_SETUID_FIXUP_LOCKED
    | SECBIT_KEEP_CAPS_LOCKED
)

# <linux/capability.h>: capset(2) with version 3 takes two 32-bit data words per set
LINUX_CAPABILITY_VERSION_3 = 0x20080522
CAP_LAST_POSSIBLE = 63  # PR_CAPBSET_DROP answers EINVAL past the kernel's last capability

# <linux/seccomp.h>
SECCOMP_MODE_FILTER = 2

# Syscalls that the C library has no wrapper for (or that Python cannot reach):
# number per architecture, from the kernel's syscall tables (checked against
# libseccomp by tests/autograder/test_sandbox_seccomp.py).
SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41}
# landlock_create_ruleset, landlock_add_rule, landlock_restrict_self: allocated
# after the tables were unified (5.13), so the same numbers on every architecture.
SYS_LANDLOCK_CREATE_RULESET, SYS_LANDLOCK_ADD_RULE, SYS_LANDLOCK_RESTRICT_SELF = 444, 445, 446

# None off Linux, where nothing calls it (the callers are on Linux-only paths).
libc: ctypes.CDLL | None = ctypes.CDLL(None, use_errno=True) if LINUX else None


def loaded_libc() -> ctypes.CDLL:
    """The C library, on the Linux-only paths that call it."""
    assert libc is not None, "a libc call off Linux"
    return libc


def check(ret: int, what: str) -> int:
    """A libc call's return value -> itself, or OSError with errno when it failed (< 0)."""
    if ret < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")
    return ret


def prctl(option: int, value: int = 0, arg3: object = 0) -> int:
    return check(loaded_libc().prctl(option, ctypes.c_ulong(value), arg3, 0, 0), f"prctl({option})")


def mount(src: str | None, target: str, fstype: str | None = None, flags: int = 0, data: str | None = None) -> None:
    def enc(s: str | None) -> bytes | None:
        return s.encode() if s is not None else None

    check(loaded_libc().mount(enc(src), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)), f"mount {target}")
