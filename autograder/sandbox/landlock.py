"""Landlock: unprivileged confinement of files (and, on newer kernels, TCP and signals).

Used when namespaces are not available: only the listed paths stay reachable,
for this process and every descendant. Constants from <linux/landlock.h>; each
ABI version adds rights, and a ruleset may only name rights its kernel knows.
"""

import os
import struct

try:
    from . import linux  # the grader and the tests
except ImportError:
    import linux  # type: ignore[no-redef]  # the fork server (this directory on sys.path): same module

CREATE_RULESET_VERSION = 1 << 0  # landlock_create_ruleset flag: answer the ABI version
RULE_PATH_BENEATH = 1

# Filesystem access rights, and the ABI version that introduced each.
ACCESS_FS_EXECUTE = 1 << 0
ACCESS_FS_WRITE_FILE = 1 << 1
ACCESS_FS_READ_FILE = 1 << 2
ACCESS_FS_READ_DIR = 1 << 3
ACCESS_FS_REMOVE_DIR = 1 << 4
ACCESS_FS_REMOVE_FILE = 1 << 5
ACCESS_FS_MAKE_CHAR = 1 << 6
ACCESS_FS_MAKE_DIR = 1 << 7
ACCESS_FS_MAKE_REG = 1 << 8
ACCESS_FS_MAKE_SOCK = 1 << 9
ACCESS_FS_MAKE_FIFO = 1 << 10
ACCESS_FS_MAKE_BLOCK = 1 << 11
ACCESS_FS_MAKE_SYM = 1 << 12
ACCESS_FS_REFER = 1 << 13  # ABI 2
ACCESS_FS_TRUNCATE = 1 << 14  # ABI 3
ACCESS_FS_IOCTL_DEV = 1 << 15  # ABI 5
ACCESS_FS_ABI1 = (1 << 13) - 1  # EXECUTE .. MAKE_SYM
FS_RIGHTS_FROM_ABI = {2: ACCESS_FS_REFER, 3: ACCESS_FS_TRUNCATE, 5: ACCESS_FS_IOCTL_DEV}
# Rights that apply to a file (a rule on a regular file may hold only these).
ACCESS_FILE = ACCESS_FS_EXECUTE | ACCESS_FS_WRITE_FILE | ACCESS_FS_READ_FILE | ACCESS_FS_TRUNCATE | ACCESS_FS_IOCTL_DEV
READ_ONLY = ACCESS_FS_EXECUTE | ACCESS_FS_READ_FILE | ACCESS_FS_READ_DIR

ACCESS_NET_BIND_TCP, ACCESS_NET_CONNECT_TCP = 1 << 0, 1 << 1  # ABI 4
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1 << 0, 1 << 1  # ABI 6
NET_ABI, SCOPE_ABI = 4, 6

# struct landlock_ruleset_attr { u64 handled_access_fs, handled_access_net, scoped; }:
# an older kernel accepts only the fields it knows, so the size follows the ABI.
_RULESET_ATTR = struct.Struct("=QQQ")
_PATH_BENEATH_ATTR = struct.Struct("=Qi")  # { u64 allowed_access; s32 parent_fd; } packed


def abi() -> int:
    """The kernel's Landlock ABI version, 0 when there is none."""
    if not linux.LINUX:
        return 0
    import ctypes

    version = linux.loaded_libc().syscall(
        linux.SYS_LANDLOCK_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(CREATE_RULESET_VERSION)
    )
    return max(version, 0)


def handled_fs(version: int) -> int:
    rights = ACCESS_FS_ABI1
    for since, right in FS_RIGHTS_FROM_ABI.items():
        rights |= right if version >= since else 0
    return rights


def ruleset_attr(version: int) -> bytes:
    net = ACCESS_NET_BIND_TCP | ACCESS_NET_CONNECT_TCP if version >= NET_ABI else 0
    scoped = SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL if version >= SCOPE_ABI else 0
    fields = 1 if version < NET_ABI else 2 if version < SCOPE_ABI else 3
    return _RULESET_ATTR.pack(handled_fs(version), net, scoped)[: 8 * fields]


def restrict(read_only: list[str], read_write: list[str], version: int) -> list[str]:
    """Confine this process and its descendants to these paths -> lines for `Sandbox.isolation`."""
    import ctypes

    libc = linux.loaded_libc()
    fs = handled_fs(version)
    attr = ruleset_attr(version)
    ruleset = linux.check(
        libc.syscall(linux.SYS_LANDLOCK_CREATE_RULESET, attr, ctypes.c_size_t(len(attr)), ctypes.c_uint32(0)),
        "landlock_create_ruleset",
    )
    rules = [(p, READ_ONLY) for p in read_only] + [(p, fs) for p in read_write]
    for path, access in rules:
        if not os.path.exists(path):
            continue
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
        access &= fs if os.path.isdir(path) else fs & ACCESS_FILE
        rule = _PATH_BENEATH_ATTR.pack(access, fd)
        linux.check(
            libc.syscall(linux.SYS_LANDLOCK_ADD_RULE, ruleset, RULE_PATH_BENEATH, rule, ctypes.c_uint32(0)),
            f"landlock_add_rule {path}",
        )
        os.close(fd)
    linux.prctl(linux.PR_SET_NO_NEW_PRIVS, 1)
    linux.check(libc.syscall(linux.SYS_LANDLOCK_RESTRICT_SELF, ruleset, ctypes.c_uint32(0)), "landlock_restrict_self")
    os.close(ruleset)
    notes = [
        "filesystem: Landlock (read-only: python, numpy, the submission's code; writable: its "
        "work dir; nothing else, /proc and /dev/shm included)"
    ]
    if version >= NET_ABI:
        notes.append("network: TCP connect/bind denied (Landlock)")
    if version >= SCOPE_ABI:
        notes.append("signals and abstract unix sockets: cannot reach processes outside the sandbox (Landlock scope)")
    return notes
