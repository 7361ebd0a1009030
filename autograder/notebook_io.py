"""Read a submitted notebook without trusting its shape, its size or its kind of file.

Colab and Jupyter write slightly different JSON, students hand in files that
were renamed, truncated or re-saved by other tools, and an attacker who read
this source hands in whatever costs the grader most. `read_cells` accepts any
JSON with a `cells` list within the caps below and raises `NotebookError`
(naming the file and what is wrong) for anything else. Nothing here executes code.

What is refused, and why:
  - anything but a regular file (a FIFO would block the reader forever, a device
    file never ends), and a symbolic link (it can point at the solutions): the
    file is opened with O_NOFOLLOW | O_NONBLOCK and the opened descriptor is
    checked with fstat, so nothing can change between the check and the read.
    Below a folder registered with `register_handin_root` (discover does this
    for SUBMISSIONS) every folder on the way is opened the same way, so a
    folder replaced by a link after discovery is refused too;
  - more than MAX_NOTEBOOK_BYTES, more than MAX_JSON_ITEMS values (counted on
    the raw bytes before parsing: a file of a million `{}` is a memory bomb),
    JSON nested deeper than MAX_JSON_DEPTH, more than MAX_CELLS cells.
Caps on code (per cell, per submission) are extract.py's: they bound parsing.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from course.safe_text import printable

from .file_walk import find_notebooks  # noqa: F401  (public API: similarity and tests import it from here)

# A homework notebook with plots is a few MB; the largest honest one we have seen is under 10.
MAX_NOTEBOOK_BYTES = 50 * 1024 * 1024
# Upper bound on JSON values: every array/object element after the first needs a comma.
# The bundled notebooks hold ~10,000; a training log printed as a list adds a few thousand.
MAX_JSON_ITEMS = 1_000_000
# nbformat's own nesting is ~8 deep (cells > cell > outputs > data > ...); widget state a few more.
MAX_JSON_DEPTH = 64
MAX_CELLS = 2_000  # the release notebooks have ~50 cells each
NAME_LIMIT = 120  # characters of a file name quoted in a message

DOWNLOAD_HINT = "in Colab: File -> Download -> Download .ipynb"


class NotebookError(Exception):
    """The file cannot be read as a notebook. The message names the file."""


@dataclass(frozen=True)
class Cell:
    notebook: str  # file name (printable), for messages
    index: int  # 1-based position, as a student counts cells
    cell_type: str
    source: str


def shown_name(path) -> str:
    """A hand-in's file name as it may appear in a message, a log or a CSV cell:
    file names are student text (newlines, terminal escapes)."""
    return printable(Path(path).name, NAME_LIMIT) or "(unnamed file)"


# ------------------------------------------------------------ opening a file

_HANDIN_ROOTS: list[str] = []
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


def register_handin_root(root: Path) -> None:
    """Files below `root` (a real path: no link in it) are opened folder by folder, never through a link."""
    real = os.path.realpath(root)
    if real not in _HANDIN_ROOTS:
        _HANDIN_ROOTS.append(real)


def handin_roots() -> list[str]:
    """The registered roots (batch hands them to its worker processes)."""
    return list(_HANDIN_ROOTS)


def _open_below(root: str, parts: list[str]) -> int:
    """openat() from `root` through `parts`, refusing a link at every step."""
    fd = os.open(root, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        for part in parts[:-1]:
            child = os.open(part, _DIR_FLAGS, dir_fd=fd)
            os.close(fd)
            fd = child
        return os.open(parts[-1], _OPEN_FLAGS, dir_fd=fd)
    finally:
        os.close(fd)


def _open_fd(path: Path) -> int:
    absolute = os.path.abspath(path)
    if os.open in os.supports_dir_fd:
        for root in _HANDIN_ROOTS:
            if absolute.startswith(root.rstrip(os.sep) + os.sep):
                return _open_below(root, absolute[len(root.rstrip(os.sep)) + 1 :].split(os.sep))
    return os.open(absolute, _OPEN_FLAGS)


def open_regular(path: Path):
    """A binary file object for `path`, which must be a regular file reached without a link.

    Raises NotebookError (naming the file) for a link, a FIFO, a device, a folder,
    a missing file, or one larger than MAX_NOTEBOOK_BYTES."""
    name = shown_name(path)
    try:
        fd = _open_fd(Path(path))
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR, errno.EMLINK):
            raise NotebookError(
                f"{name}: is a symbolic link (or lies in a linked folder); links are never "
                "followed: hand in the notebook file itself"
            ) from exc
        with contextlib.suppress(OSError):  # a socket cannot be opened at all (ENXIO): say what it is
            mode = os.lstat(path).st_mode
            if not stat.S_ISREG(mode):
                raise NotebookError(
                    f"{name}: not a regular file (a {_kind(mode)}); hand in the notebook file itself ({DOWNLOAD_HINT})"
                ) from exc
        raise NotebookError(f"{name}: cannot be read ({exc.strerror})") from exc
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise NotebookError(
            f"{name}: not a regular file (a {_kind(info.st_mode)}); hand in the notebook file itself ({DOWNLOAD_HINT})"
        )
    if info.st_size > MAX_NOTEBOOK_BYTES:
        os.close(fd)
        raise NotebookError(
            f"{name}: {info.st_size / 1e6:.0f} MB is too large for a notebook (limit "
            f"{MAX_NOTEBOOK_BYTES // 2**20} MB); clear the outputs (Edit -> Clear all outputs) "
            "and download it again"
        )
    return os.fdopen(fd, "rb")


def _kind(mode: int) -> str:
    for test, kind in (
        (stat.S_ISDIR, "folder"),
        (stat.S_ISFIFO, "named pipe"),
        (stat.S_ISCHR, "device"),
        (stat.S_ISBLK, "device"),
        (stat.S_ISSOCK, "socket"),
        (stat.S_ISLNK, "symbolic link"),
    ):
        if test(mode):
            return kind
    return "special file"


# ------------------------------------------------------------- reading JSON


def _json_depth_problem(data) -> str | None:
    """Nesting deeper than MAX_JSON_DEPTH (iterative: the data may be ~1000 deep)."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            return f"JSON nested more than {MAX_JSON_DEPTH} levels deep"
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values() if isinstance(v, (dict, list)))
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value if isinstance(v, (dict, list)))
    return None


_MAGIC = ((b"%PDF", "a PDF"), (b"PK\x03\x04", "a zip archive"), (b"<", "an HTML page"))


def _sniff(raw: bytes) -> str | None:
    """What a file that is not JSON looks like, from its first bytes."""
    head = raw[:64].lstrip()
    return next((kind for magic, kind in _MAGIC if head.startswith(magic)), None)


# JSON may spell a lone UTF-16 surrogate ("\ud800"): valid JSON, but no text file can hold it
# (writing it to a sheet or a reviewer's copy raised for the whole class); each becomes U+FFFD
SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _without_lone_surrogates(data):
    """`data` with every lone surrogate in its strings (keys included) replaced, without recursion."""

    def clean(value):
        return LONE_SURROGATE.sub("\ufffd", value) if isinstance(value, str) else value

    data = clean(data)
    todo = [data]
    while todo:
        node = todo.pop()
        if isinstance(node, dict):
            items = [(clean(k), clean(v)) for k, v in node.items()]
            node.clear()
            node.update(items)
            todo += [v for _, v in items if isinstance(v, (dict, list))]
        elif isinstance(node, list):
            node[:] = [clean(v) for v in node]
            todo += [v for v in node if isinstance(v, (dict, list))]
    return data


def _decode(raw: bytes, name: str):
    items = raw.count(b",") + raw.count(b"{") + raw.count(b"[")
    if items > MAX_JSON_ITEMS:
        raise NotebookError(
            f"{name}: holds more than {MAX_JSON_ITEMS:,} JSON values (commas and brackets), far "
            f"more than a notebook; remove pasted data, clear the outputs and download it again "
            f"({DOWNLOAD_HINT})"
        )
    try:
        data = json.loads(raw.decode("utf-8-sig"))
        return _without_lone_surrogates(data) if SURROGATE_ESCAPE.search(raw) else data
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        kind = _sniff(raw)
        if kind:
            raise NotebookError(
                f"{name}: {kind} renamed to .ipynb, not a notebook; download the notebook itself ({DOWNLOAD_HINT})"
            ) from exc
        reason = printable(exc, 120)
        raise NotebookError(
            f"{name}: not a notebook (invalid JSON: {reason}); hand in the .ipynb file "
            f"({DOWNLOAD_HINT}), not a .py or PDF"
        ) from exc
    except (RecursionError, MemoryError) as exc:
        raise NotebookError(
            f"{name}: not a notebook (JSON nested too deeply to read); download it again ({DOWNLOAD_HINT})"
        ) from exc


def load_json(path: Path) -> dict:
    """The notebook's JSON, within the caps of the module docstring; NotebookError otherwise."""
    name = shown_name(path)
    with open_regular(path) as f:
        raw = f.read(MAX_NOTEBOOK_BYTES + 1)
    if len(raw) > MAX_NOTEBOOK_BYTES:  # grew after fstat
        raise NotebookError(f"{name}: larger than {MAX_NOTEBOOK_BYTES // 2**20} MB, too large for a notebook")
    if not raw.strip():
        raise NotebookError(f"{name}: the file is empty; download the notebook again ({DOWNLOAD_HINT})")
    data = _decode(raw, name)
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise NotebookError(
            f"{name}: JSON without a 'cells' list, so not a Jupyter notebook "
            "(nbformat 4); download it again from Colab or Jupyter"
        )
    problem = _json_depth_problem(data)
    if problem:
        raise NotebookError(f"{name}: not a notebook ({problem}); download it again ({DOWNLOAD_HINT})")
    if len(data["cells"]) > MAX_CELLS:
        raise NotebookError(
            f"{name}: {len(data['cells']):,} cells, more than the {MAX_CELLS:,} a notebook "
            "may have; hand in the homework notebook itself"
        )
    return data


def source_text(source) -> str:
    """A cell's source (a string, or a list of strings as Jupyter writes it) as one string."""
    if isinstance(source, list):
        return "".join(s for s in source if isinstance(s, str))
    return source if isinstance(source, str) else ""


def read_cells(path: Path) -> list[Cell]:
    """All cells in notebook order; malformed individual cells are skipped."""
    data = load_json(path)
    name = shown_name(path)
    cells = []
    for i, raw in enumerate(data["cells"], start=1):
        if isinstance(raw, dict) and isinstance(raw.get("cell_type"), str):
            cells.append(Cell(name, i, raw["cell_type"], source_text(raw.get("source", ""))))
    return cells
