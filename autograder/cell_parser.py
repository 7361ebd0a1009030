"""Parse one code cell of a student's notebook within a known time and memory budget.

This runs in the grader's own process on untrusted text, so every step is
bounded before it starts (measured on this kit's machine, Python 3.11; the
whole-submission figures come from `python -m bench.parse_budget`):

  ast.parse     ~3 us of CPU and up to ~700 bytes of peak memory per character
                for the densest code (a list of calls, a tuple of tuples, one
                statement per line), linear: so a cell is capped at
                MAX_CELL_CHARS (-> <= ~0.3 s, ~70 MB) and extract.py caps the
                code of a whole submission (worst measured: 0.8 s, +105 MB).
  IPython       its transformer re-tokenizes the whole cell once per escape
                (`!ls`, `%time`, `x?`), up to 500 times: cost ~ escapes x lines.
                It is used only while escapes x lines stays within
                IPYTHON_WORK_PER_CELL and the submission's IpythonBudget (its
                whole budget spent: 1.3 s); beyond that `plain_python` (one
                linear pass) does the same job.

No cache is keyed by student text. The only cache holds the cells of the
student release (`assignments/`), which every hand-in repeats: the ~700-line
helper cell is parsed once per process, not once per student.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import lru_cache

# Twice the release's longest cell (the helper cell with its known answers, ~107,000 in
# 2026-12), so a student's lightly edited copy of it is still read; the release's own
# cells are trusted and parsed whatever their length (parse_cell_text).
MAX_CELL_CHARS = 250_000
IPYTHON_WORK_PER_CELL = 20_000  # escapes x lines; ~0.3 s in IPython's transformer
IPYTHON_WORK_PER_SUBMISSION = 100_000

# What ast.parse raises on hostile text besides SyntaxError: ValueError (null
# bytes, integer literals over Python's digit limit), RecursionError and
# MemoryError (absurd nesting), OverflowError. None may stop grading.
UNPARSABLE = (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError)

# A line IPython would transform: shell escape, magic, help (`?x`, `x?`), or an
# assignment from one (`files = !ls`, `t = %timeit -o f()`).
_ESCAPE = re.compile(r"^[ \t]*(?:[!%?]|[\w.]+[ \t]*=[ \t]*[!%])|^[^#\n]*\?[ \t]*$", re.M)
_ASSIGN_ESCAPE = re.compile(r"^([ \t]*[\w.]+)[ \t]*=[ \t]*[!%]")
# A new top-level statement starts at column 0 with one of these words.
_TOP_LEVEL = re.compile(r"^(def |class |async def |import |from |@|[A-Za-z_][\w.]*\s*=)")

Parsed = tuple[tuple[ast.Module, str], ...]  # (module, the source it was parsed from), in order


@dataclass
class IpythonBudget:
    """Escapes x lines that IPython's transformer may still spend on one submission."""

    left: int = IPYTHON_WORK_PER_SUBMISSION

    def take(self, work: int) -> bool:
        if work > IPYTHON_WORK_PER_CELL or work > self.left:
            return False
        self.left -= work
        return True


def ipython_work(source: str) -> int:
    """What IPython's transformer would cost on `source`, in escapes x lines (linear to compute)."""
    return max(1, len(_ESCAPE.findall(source))) * (source.count("\n") + 1)


def plain_python(source: str) -> str:
    """IPython syntax -> Python in one linear pass, line numbers kept.

    A cell magic (`%%...` on the first line) makes the cell's body data for the
    magic, not Python the kernel defines: nothing is kept. A line escape
    becomes `pass` at its indentation, an assignment from one `name = None`."""
    if source.lstrip().startswith("%%"):
        return ""
    out = []
    for line in source.splitlines():
        stripped = line.lstrip()
        assign = _ASSIGN_ESCAPE.match(line)
        if assign:
            out.append(f"{assign.group(1)} = None")
        elif stripped.startswith(("!", "%", "?")) or ("#" not in line and stripped.endswith("?")):
            out.append(line[: len(line) - len(stripped)] + "pass")
        else:
            out.append(line)
    return "\n".join(out)


def to_python(source: str, budget: IpythonBudget) -> str:
    """IPython syntax (magics, shell escapes) -> plain Python, as the kernel does:
    by IPython's own transformer while the budget allows, else by `plain_python`."""
    if budget.take(ipython_work(source)):
        try:
            from IPython.core.inputtransformer2 import TransformerManager

            return TransformerManager().transform_cell(source)
        except Exception:  # IPython missing, confused, or at its own 500-pass limit
            pass
    return plain_python(source)


def split_top_level(source: str) -> list[tuple[int, str]]:
    """Split at lines that start a new top-level statement: [(first line no, text)]."""
    pieces, start, lines = [], 0, source.splitlines()
    for i, line in enumerate(lines):
        if i > start and _TOP_LEVEL.match(line):
            pieces.append((start + 1, "\n".join(lines[start:i])))
            start = i
    pieces.append((start + 1, "\n".join(lines[start:])))
    return pieces


def parse_source(text: str, budget: IpythonBudget, limit: int | None = MAX_CELL_CHARS) -> tuple[Parsed, str | None]:
    """(parsed pieces, problem or None) for one cell's text, at most `limit` long.

    A cell that fails to parse is split at its top-level statements so that
    one broken function does not hide the other definitions in the cell."""
    if limit is not None and len(text) > limit:
        raise ValueError(f"cell of {len(text)} characters: the caller checks MAX_CELL_CHARS")
    try:  # fast path: most cells are plain Python, which IPython's transformer leaves as is
        return ((ast.parse(text), text),), None
    except UNPARSABLE:
        pass
    source = to_python(text, budget)
    try:
        return ((ast.parse(source), source),), None
    except SyntaxError as exc:
        problem = f"SyntaxError on line {exc.lineno}: {exc.msg}" if exc.lineno else f"cannot be parsed ({exc.msg})"
    except UNPARSABLE as exc:  # null bytes, absurd nesting: not Python a student can fix by a line number
        problem = f"cannot be parsed ({type(exc).__name__})"
    parsed = []
    for _, piece in split_top_level(source):
        try:
            parsed.append((ast.parse(piece), piece))
        except UNPARSABLE:
            continue  # this piece is the broken one; already reported for the cell
    return tuple(parsed), problem


# --------------------------------------------------------- the release's cells


@lru_cache(maxsize=1)
def release_cells() -> frozenset[str]:
    """The text of every code cell of the student release (trusted, bounded by its size);
    empty when the release notebooks are not there (then nothing is cached)."""
    from course.config import load_config

    from .notebook_io import NotebookError, read_cells

    cfg, texts = load_config(), set()
    for part in cfg.notebooks:
        try:
            texts |= {c.source for c in read_cells(cfg.release_notebook(part)) if c.cell_type == "code"}
        except NotebookError:
            continue
    return frozenset(texts)


_RELEASE_PARSED: dict[str, tuple[Parsed, str | None]] = {}  # keys: release cell texts only


def parse_cell_text(text: str, budget: IpythonBudget) -> tuple[Parsed, str | None]:
    """`parse_source`, from the per-process cache when `text` is a cell of the release.
    The trees are only read, never modified, so sharing them between students is safe."""
    if text in release_cells():
        if text not in _RELEASE_PARSED:
            _RELEASE_PARSED[text] = parse_source(text, IpythonBudget(), limit=None)
        return _RELEASE_PARSED[text]
    return parse_source(text, budget)


def is_release_cell(text: str) -> bool:
    return text in release_cells()
