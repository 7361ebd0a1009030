"""A seccomp filter for the child: system calls student code never needs, denied.

Decision: a classic-BPF program built here and installed with
prctl(PR_SET_SECCOMP), not libseccomp. It needs nothing but the kernel (3.5+):
libseccomp is a system library that slim images, macOS development machines
and some CI runners lack, and its Python bindings are not on PyPI in a
maintained form. The price is a syscall-number table per architecture, which
tests/autograder/test_sandbox_seccomp.py checks against libseccomp wherever
that library is installed. On another architecture no filter is installed and
`Sandbox.isolation` says so.

Denied (errno EPERM unless noted), because each is a channel out of the sandbox
or into another process, and numpy homework needs none of them:
  keyrings             add_key, request_key, keyctl: keys are not namespaced, a
                       world-readable key outlives the sandbox and reaches others
  SysV IPC, POSIX mq   shared memory, semaphores, message queues outlive a process
  socket(2)            network, abstract unix sockets (a rendezvous no file
                       permission guards); socketpair(2) stays: it reaches no one
  other processes      ptrace, process_vm_readv/writev, pidfd_getfd, kcmp,
                       process_madvise (another process's memory and files)
  kernel surface       bpf, perf_event_open, userfaultfd, io_uring_* (which
                       would also bypass this filter's socket rule)
  namespaces           unshare, setns, clone with a CLONE_NEW* flag; clone3
                       answers ENOSYS so the C library falls back to clone
  file locks, watches  flock, fcntl's record-lock commands, inotify, fanotify: two
                       sandboxes see the same read-only files (python, numpy), and a
                       lock or a watch on one is a channel between them
Foreign system-call ABIs (i386 or x32 on x86_64) are refused wholesale.
"""

import ctypes
import errno
import struct

try:
    from . import linux  # the grader and the tests: autograder.sandbox.seccomp
except ImportError:
    import linux  # type: ignore[no-redef]  # the fork server (this directory on sys.path): same module

# <linux/audit.h>: the architecture tag the kernel puts in seccomp_data.arch
AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}
X32_SYSCALL_BIT = 0x40000000  # x86_64's x32 ABI: same arch tag, numbers with this bit

DENIED = (
    "add_key",
    "request_key",
    "keyctl",
    "shmget",
    "shmat",
    "shmdt",
    "shmctl",
    "semget",
    "semop",
    "semtimedop",
    "semctl",
    "msgget",
    "msgsnd",
    "msgrcv",
    "msgctl",
    "mq_open",
    "mq_unlink",
    "mq_timedsend",
    "mq_timedreceive",
    "mq_notify",
    "mq_getsetattr",
    "socket",
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "pidfd_getfd",
    "kcmp",
    "process_madvise",
    "bpf",
    "perf_event_open",
    "userfaultfd",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
    "unshare",
    "setns",
    "flock",
    "inotify_init",  # x86_64 only (a name an architecture lacks is left out of its filter)
    "inotify_init1",
    "inotify_add_watch",
    "fanotify_init",
    "fanotify_mark",
)
# fcntl(fd, cmd, ...) commands that take or read a lock another process can see
FCNTL_LOCK_COMMANDS = (
    linux.F_GETLK,
    linux.F_SETLK,
    linux.F_SETLKW,
    linux.F_OFD_GETLK,
    linux.F_OFD_SETLK,
    linux.F_OFD_SETLKW,
)
NOT_IMPLEMENTED = ("clone3",)  # ENOSYS: the caller falls back to clone, whose flags we can see
ARGUMENT_CHECKED = ("clone",)  # denied only with a namespace flag in its first argument

# From the kernel's arch/x86/entry/syscalls/syscall_64.tbl and include/uapi/asm-generic/unistd.h.
SYSCALLS = {
    "x86_64": {
        "add_key": 248,
        "request_key": 249,
        "keyctl": 250,
        "shmget": 29,
        "shmat": 30,
        "shmctl": 31,
        "shmdt": 67,
        "semget": 64,
        "semop": 65,
        "semctl": 66,
        "semtimedop": 220,
        "msgget": 68,
        "msgsnd": 69,
        "msgrcv": 70,
        "msgctl": 71,
        "mq_open": 240,
        "mq_unlink": 241,
        "mq_timedsend": 242,
        "mq_timedreceive": 243,
        "mq_notify": 244,
        "mq_getsetattr": 245,
        "socket": 41,
        "ptrace": 101,
        "process_vm_readv": 310,
        "process_vm_writev": 311,
        "pidfd_getfd": 438,
        "kcmp": 312,
        "process_madvise": 440,
        "bpf": 321,
        "perf_event_open": 298,
        "userfaultfd": 323,
        "io_uring_setup": 425,
        "io_uring_enter": 426,
        "io_uring_register": 427,
        "unshare": 272,
        "setns": 308,
        "clone3": 435,
        "clone": 56,
        "flock": 73,
        "inotify_init": 253,
        "inotify_add_watch": 254,
        "inotify_init1": 294,
        "fanotify_init": 300,
        "fanotify_mark": 301,
        "fcntl": 72,
    },
    "aarch64": {
        "add_key": 217,
        "request_key": 218,
        "keyctl": 219,
        "shmget": 194,
        "shmctl": 195,
        "shmat": 196,
        "shmdt": 197,
        "semget": 190,
        "semctl": 191,
        "semtimedop": 192,
        "semop": 193,
        "msgget": 186,
        "msgctl": 187,
        "msgrcv": 188,
        "msgsnd": 189,
        "mq_open": 180,
        "mq_unlink": 181,
        "mq_timedsend": 182,
        "mq_timedreceive": 183,
        "mq_notify": 184,
        "mq_getsetattr": 185,
        "socket": 198,
        "ptrace": 117,
        "process_vm_readv": 270,
        "process_vm_writev": 271,
        "pidfd_getfd": 438,
        "kcmp": 272,
        "process_madvise": 440,
        "bpf": 280,
        "perf_event_open": 241,
        "userfaultfd": 282,
        "io_uring_setup": 425,
        "io_uring_enter": 426,
        "io_uring_register": 427,
        "unshare": 97,
        "setns": 268,
        "clone3": 435,
        "clone": 220,
        "flock": 32,
        "inotify_init1": 26,
        "inotify_add_watch": 27,
        "fanotify_init": 262,
        "fanotify_mark": 263,
        "fcntl": 25,
    },
}

# <linux/filter.h> classic BPF opcodes
BPF_LD_W_ABS = 0x00 | 0x00 | 0x20  # BPF_LD | BPF_W | BPF_ABS
BPF_JEQ_K = 0x05 | 0x10 | 0x00  # BPF_JMP | BPF_JEQ | BPF_K
BPF_JGE_K = 0x05 | 0x30 | 0x00  # BPF_JMP | BPF_JGE | BPF_K
BPF_JSET_K = 0x05 | 0x40 | 0x00  # BPF_JMP | BPF_JSET | BPF_K
BPF_JA = 0x05 | 0x00  # BPF_JMP | BPF_JA: jump by k, always
BPF_RET_K = 0x06 | 0x00  # BPF_RET | BPF_K
# <linux/seccomp.h> return actions
SECCOMP_RET_KILL_PROCESS = 0x80000000
SECCOMP_RET_ERRNO = 0x00050000
SECCOMP_RET_ALLOW = 0x7FFF0000
# struct seccomp_data { int nr; __u32 arch; __u64 instruction_pointer; __u64 args[6]; }
OFFSET_NR, OFFSET_ARCH, OFFSET_ARG0_LOW = 0, 4, 16  # ARG0_LOW: little-endian machines only
OFFSET_ARG1_LOW = 24
_FILTER = struct.Struct("=HBBI")  # struct sock_filter { u16 code; u8 jt; u8 jf; u32 k; }


class _SockFprog(ctypes.Structure):  # struct sock_fprog { unsigned short len; struct sock_filter *filter; }
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def available(machine: str = linux.MACHINE) -> bool:
    return linux.LINUX and machine in SYSCALLS


def program(machine: str = linux.MACHINE) -> list[tuple[int, int, int, int]]:
    """The filter as (code, jt, jf, k) instructions; jumps are relative, as BPF wants."""
    table = SYSCALLS[machine]
    # ("ld", offset) loads a word of seccomp_data; (test, k, exit label) jumps to that exit
    body: list[tuple[str, int | str] | tuple[str, int, str]] = [
        ("ld", OFFSET_ARCH),
        ("if_not", AUDIT_ARCH[machine], "kill"),
        ("ld", OFFSET_NR),
    ]
    if machine == "x86_64":
        body.append(("if_ge", X32_SYSCALL_BIT, "enosys"))
    body += [("if", table[name], "eperm") for name in DENIED if name in table]
    body += [("if", table[name], "enosys") for name in NOT_IMPLEMENTED]
    # fcntl with a record-lock command -> EPERM; any other fcntl is allowed
    body += [("if_not", table["fcntl"], "not fcntl"), ("ld", OFFSET_ARG1_LOW)]
    body += [("if", cmd, "eperm") for cmd in FCNTL_LOCK_COMMANDS] + [("goto", "allow"), ("label", "not fcntl")]
    # last: clone with a namespace flag -> EPERM, else fall through to "allow", the first exit
    body += [("if_not", table["clone"], "allow"), ("ld", OFFSET_ARG0_LOW), ("if_any_bit", linux.CLONE_NEW_ANY, "eperm")]
    exits = {
        "allow": SECCOMP_RET_ALLOW,
        "kill": SECCOMP_RET_KILL_PROCESS,
        "eperm": SECCOMP_RET_ERRNO | errno.EPERM,
        "enosys": SECCOMP_RET_ERRNO | errno.ENOSYS,
    }
    # ("label", name) marks the next instruction; ("goto", label) jumps there always
    where: dict[str, int] = {}
    count = 0
    for entry in body:
        if entry[0] == "label":
            where[str(entry[1])] = count
        else:
            count += 1
    where.update({label: count + i for i, label in enumerate(exits)})
    out: list[tuple[int, int, int, int]] = []
    for entry in body:
        op = entry[0]
        if op == "label":
            continue
        i = len(out)
        if op == "ld":
            out.append((BPF_LD_W_ABS, 0, 0, int(entry[1])))
        elif op == "goto":
            out.append((BPF_JA, 0, 0, where[str(entry[1])] - i - 1))
        else:
            k, label = int(entry[1]), str(entry[-1])  # (test, k, exit label)
            jump = where[label] - i - 1  # relative to the next instruction; a u8 (the program is short)
            code = {"if": BPF_JEQ_K, "if_not": BPF_JEQ_K, "if_ge": BPF_JGE_K, "if_any_bit": BPF_JSET_K}[op]
            out.append((code, 0, jump, k) if op == "if_not" else (code, jump, 0, k))
    out += [(BPF_RET_K, 0, 0, action) for action in exits.values()]
    return out


def install() -> str:
    """Confine this process and its future children (needs no_new_privs or CAP_SYS_ADMIN)
    -> a line for `Sandbox.isolation`. Raises OSError when the kernel refuses."""
    instructions = program()
    raw = b"".join(_FILTER.pack(*ins) for ins in instructions)
    filters = ctypes.create_string_buffer(raw, len(raw))

    fprog = _SockFprog(len(instructions), ctypes.addressof(filters))
    linux.prctl(linux.PR_SET_SECCOMP, linux.SECCOMP_MODE_FILTER, ctypes.byref(fprog))
    return (
        "system calls: seccomp denies keyrings, SysV/POSIX IPC, socket(), ptrace and other "
        "processes' memory, io_uring, bpf, new namespaces, file locks and watches"
    )
