"""Entries of SUBMISSIONS that are never read: listed with a reason, for the report.

Student folders are hostile: a symbolic link can point anywhere (another
student's work, the solutions), a FIFO blocks whoever opens it, a device
file never ends. Nothing here opens a file; `lstat` says what an entry is.
Reading itself goes through `autograder.discover` and
`autograder.notebook_io` (regular files only, size cap); this walk makes the
report say what was left out, and `safe_notebooks` keeps any such path away
from the reader even where discovery would offer it.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from ..file_walk import SKIPPED_DIRS as IGNORED
from ..notebook_io import MAX_NOTEBOOK_BYTES

MAX_ENTRIES = 200_000  # a walk that finds more is cut short (and says so)
_KINDS = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _why_not(path: Path, st: os.stat_result) -> str | None:
    if stat.S_ISLNK(st.st_mode):
        return "a symbolic link; links are never followed"
    for test, kind in _KINDS:
        if test(st.st_mode):
            return f"{kind}, not a regular file"
    if stat.S_ISREG(st.st_mode) and path.suffix == ".ipynb" and st.st_size > MAX_NOTEBOOK_BYTES:
        return f"{st.st_size / 2**20:.1f} MiB, above the {MAX_NOTEBOOK_BYTES / 2**20:.0f} MiB notebook size cap"
    return None


def skipped_entries(root: Path) -> list[tuple[Path, str]]:
    """[(path, reason)] for every entry below `root` that is not read, sorted by path."""
    out, todo, seen = [], [Path(root)], 0
    while todo:
        folder = todo.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError as exc:
            out.append((folder, f"cannot be listed ({exc.strerror})"))
            continue
        for entry in entries:
            seen += 1
            if seen > MAX_ENTRIES:
                out.append((Path(root), f"more than {MAX_ENTRIES:,} entries; the rest were not looked at"))
                return sorted(out)
            if entry.name in IGNORED or entry.name.startswith("._"):
                continue
            path = Path(entry.path)
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError as exc:
                out.append((path, f"cannot be examined ({exc.strerror})"))
                continue
            if stat.S_ISDIR(st.st_mode):
                todo.append(path)
            elif (why := _why_not(path, st)) is not None:
                out.append((path, why))
    return sorted(out)


def is_safe_notebook(path: Path, root: Path) -> bool:
    """A regular file of acceptable size, reached from `root` through real folders only."""
    path, root = Path(path), Path(root)
    try:
        parts = path.relative_to(root).parts
    except ValueError:
        return False
    here = root
    for i, part in enumerate(parts):
        here = here / part
        try:
            st = os.lstat(here)
        except OSError:
            return False
        last = i == len(parts) - 1
        if stat.S_ISLNK(st.st_mode) or (not last and not stat.S_ISDIR(st.st_mode)):
            return False
        if last and (not stat.S_ISREG(st.st_mode) or st.st_size > MAX_NOTEBOOK_BYTES):
            return False
    return True
