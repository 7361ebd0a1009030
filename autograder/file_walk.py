"""Walk a student's folder without following a link, opening a file, or walking forever.

`walk_files` lists regular files, and apart from them the symbolic links (to
files or folders: never followed) and special files (FIFOs, devices, sockets:
never opened), so discover can tell the student what was not read. It looks
at no more than MAX_WALK_ENTRIES entries and MAX_WALK_DEPTH folders deep (an
archive of a million empty folders must not stall a batch).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

MAX_WALK_ENTRIES = 5_000  # files and folders looked at below one student's folder
MAX_WALK_DEPTH = 8  # folders below it (a zip's top folder, nbgrader's assignment folder...)
SKIPPED_DIRS = {".ipynb_checkpoints", "__MACOSX", "__pycache__", ".git"}


@dataclass
class Walk:
    """What `walk_files` found below one folder, without following a link."""

    files: list[Path]
    links: list[Path]  # symbolic links (to files or folders): never followed
    special: list[Path]  # FIFOs, devices, sockets
    truncated: bool = False


def ignored_name(name: str) -> bool:
    """Checkpoint copies, hidden entries and macOS/Python/git litter: never a hand-in."""
    return name in SKIPPED_DIRS or name.startswith((".", "._"))


def walk_files(folder: Path) -> Walk:
    """Regular files below `folder`, links and special files listed apart, in a stable
    order (name, then path); checkpoints, hidden entries and macOS litter skipped.
    Stops after MAX_WALK_ENTRIES entries or MAX_WALK_DEPTH levels (`truncated`)."""
    out = Walk([], [], [])
    todo, seen = [(Path(folder), 0)], 0
    while todo:
        current, depth = todo.pop()
        try:
            entries = list(os.scandir(current))
        except OSError:
            continue
        for entry in entries:
            seen += 1
            if seen > MAX_WALK_ENTRIES:
                out.truncated = True
                return _sorted(out)
            if ignored_name(entry.name):
                continue
            path = Path(entry.path)
            if entry.is_symlink():
                out.links.append(path)
            elif entry.is_dir(follow_symlinks=False):
                if depth + 1 > MAX_WALK_DEPTH:
                    out.truncated = True
                else:
                    todo.append((path, depth + 1))
            elif entry.is_file(follow_symlinks=False):
                out.files.append(path)
            else:
                out.special.append(path)
    return _sorted(out)


def _sorted(walk: Walk) -> Walk:
    key = lambda p: (p.name, str(p))
    return Walk(sorted(walk.files, key=key), sorted(walk.links, key=key), sorted(walk.special, key=key), walk.truncated)


def find_notebooks(folder: Path) -> list[Path]:
    """Notebooks (regular files, never links) below `folder`, in a stable order (name, then path).

    The folder is resolved first, so the paths returned hold no link;
    Jupyter's checkpoint copies and macOS resource forks are not submissions."""
    return [p for p in walk_files(Path(folder).resolve()).files if p.suffix == ".ipynb"]
