"""Find the graded code in a student's notebooks: by content, with `ast`.

Cell metadata, ids and positions are never used: Colab rewrites metadata and
students insert, delete, duplicate and reorder cells. Every code cell is parsed
(IPython syntax such as `!pip` or `%matplotlib` is first turned into Python by
IPython's own transformer); every top-level `def`/`class` is recorded, and a
later definition replaces an earlier one, as when the notebook runs top to
bottom. Only definitions and the imports they need are ever run: a student's
experiments, plots and training loops at top level are not. Inline-question
answer cells (markdown) are collected in the same pass.

A cell that does not parse is split at its top-level statements so that one
broken function does not hide the other definitions in the same cell.
"""
from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from course.markers import END_CODE as END_MARK
from course.markers import START_CODE as START_MARK
from course.markers import answer_id

from .notebook_io import Cell, NotebookError, read_cells

# A new top-level statement starts at column 0 with one of these words.
_TOP_LEVEL = re.compile(r"^(def |class |async def |import |from |@|[A-Za-z_][\w.]*\s*=)")


@dataclass(frozen=True)
class Definition:
    name: str
    source: str       # exact source text, decorators included
    node: ast.stmt    # FunctionDef or ClassDef
    notebook: str
    cell: int         # 1-based cell number in that notebook

    @property
    def where(self) -> str:
        return f"{self.notebook}, cell {self.cell}"


@dataclass(frozen=True)
class Chunk:
    """A piece of code the sandbox executes on its own (so one failure is isolated)."""
    label: str
    source: str


@dataclass
class Extraction:
    definitions: dict[str, Definition] = field(default_factory=dict)
    constants: dict[str, str] = field(default_factory=dict)   # name -> source of a safe assignment
    imports: list[str] = field(default_factory=list)          # top-level import statements
    problems: list[str] = field(default_factory=list)         # syntax errors, student-facing
    answers: dict[str, str] = field(default_factory=dict)     # inline question id -> answer text

    def missing(self, names) -> list[str]:
        return [n for n in names if n not in self.definitions]

    def chunks_for(self, names) -> list[Chunk]:
        """Imports, then the constants and definitions `names` need (transitively),
        in notebook order. Each import is its own chunk, so a failing
        `from google.colab import drive` costs nothing."""
        wanted = self._closure([n for n in names if n in self.definitions])
        chunks = [Chunk(f"import: {imp.splitlines()[0][:60]}", imp) for imp in self.imports]
        chunks += [Chunk(f"constant {n}", self.constants[n]) for n in self.constants if n in wanted]
        chunks += [Chunk(d.name, d.source) for d in self.definitions.values() if d.name in wanted]
        return chunks

    def _closure(self, roots: list[str]) -> set[str]:
        known = set(self.definitions) | set(self.constants)
        seen, todo = set(), list(roots)
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            node = self.definitions[name].node if name in self.definitions else ast.parse(self.constants[name])
            todo += [n for n in _names_used(node) if n in known and n not in seen]
        return seen


def _names_used(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _to_python(source: str) -> str:
    """IPython syntax (magics, shell escapes) -> plain Python, as the kernel does."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager
        return TransformerManager().transform_cell(source)
    except Exception:  # IPython missing or confused: drop the obvious lines ourselves
        return "\n".join("" if l.lstrip().startswith(("%", "!")) else l for l in source.splitlines())


def _split_top_level(source: str) -> list[tuple[int, str]]:
    """Split at lines that start a new top-level statement: [(first line no, text)]."""
    pieces, start, lines = [], 0, source.splitlines()
    for i, line in enumerate(lines):
        if i > start and _TOP_LEVEL.match(line):
            pieces.append((start + 1, "\n".join(lines[start:i])))
            start = i
    pieces.append((start + 1, "\n".join(lines[start:])))
    return pieces


# ast.parse raises more than SyntaxError on hostile text (ValueError for null
# bytes, RecursionError/MemoryError for absurd nesting); none may stop grading.
_UNPARSABLE = (SyntaxError, ValueError, RecursionError, MemoryError)


def _parse_cell(cell: Cell, problems: list[str]) -> list[tuple[ast.Module, str]]:
    """[(module, its source)]; a cell that fails to parse is salvaged piece by piece."""
    parsed, problem = _parse_source(cell.source)
    if problem:
        problems.append(f"{cell.notebook}, cell {cell.index}: {problem}")
    return list(parsed)


@lru_cache(maxsize=512)
def _parse_source(text: str) -> tuple[tuple[tuple[ast.Module, str], ...], str | None]:
    """Cached by the cell's text: every student's notebook carries the same
    long helper cell, parsed once per process instead of once per student.
    The trees are only read, never modified, so sharing them is safe."""
    try:  # fast path: most cells are plain Python, which IPython's transformer leaves as is
        return ((ast.parse(text), text),), None
    except _UNPARSABLE:
        pass
    source = _to_python(text)
    try:
        return ((ast.parse(source), source),), None
    except SyntaxError as exc:
        problem = f"SyntaxError on line {exc.lineno}: {exc.msg}"
    except _UNPARSABLE as exc:  # null bytes, absurd nesting: not Python a student can fix by a line number
        problem = f"cannot be parsed ({type(exc).__name__})"
    parsed = []
    for _, piece in _split_top_level(source):
        try:
            parsed.append((ast.parse(piece), piece))
        except _UNPARSABLE:
            continue  # this piece is the broken one; already reported for the cell
    return tuple(parsed), problem


def _is_safe_value(node: ast.AST) -> bool:
    """Literal-like right-hand sides only (numbers, strings, tuples, np.pi...): no calls."""
    allowed = (ast.Constant, ast.Tuple, ast.List, ast.Set, ast.Dict, ast.UnaryOp, ast.BinOp,
               ast.Name, ast.Attribute, ast.Load, ast.operator, ast.unaryop)
    return all(isinstance(n, allowed) for n in ast.walk(node))


def _segment(lines: list[str], stmt: ast.stmt) -> str:
    """Source of one top-level statement from the cell's lines (split once per cell:
    ast.get_source_segment re-splits the whole cell on every call, which is
    quadratic and took seconds on the notebooks' long setup cell)."""
    # ast offsets count UTF-8 bytes, not characters (a comment with "→" shifts them)
    body = [line.encode() for line in lines[stmt.lineno - 1: stmt.end_lineno]]
    body[-1] = body[-1][: stmt.end_col_offset]
    body[0] = body[0][stmt.col_offset:]
    return b"\n".join(body).decode(errors="replace")


def _definition_end(lines: list[str], stmt: ast.stmt) -> int:
    """Last line (1-based) of a top-level definition, counting the indented
    comments after its last statement: a region's closing
    `### END CODE HERE ###` often follows the last statement of a method."""
    end = stmt.end_lineno
    for number in range(stmt.end_lineno, len(lines)):
        line = lines[number]
        if line.strip() and not (line.startswith((" ", "\t")) and line.lstrip().startswith("#")):
            break
        if line.strip():
            end = number + 1
    return end


def first_line(defn: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> int:
    """First line of a definition, its decorators included."""
    return min([defn.lineno] + [d.lineno for d in defn.decorator_list])


def _record(ext: Extraction, module: ast.Module, source: str, cell: Cell) -> None:
    lines = source.splitlines()
    for stmt in module.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            first = first_line(stmt)
            text = "\n".join(lines[first - 1: _definition_end(lines, stmt)])
            ext.definitions.pop(stmt.name, None)  # re-insert: order = last definition's place
            ext.definitions[stmt.name] = Definition(stmt.name, _dedent(text), stmt, cell.notebook, cell.index)
        elif isinstance(stmt, (ast.Import, ast.ImportFrom)):
            text = _segment(lines, stmt)
            if text and text not in ext.imports:
                ext.imports.append(text)
        elif (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
              and isinstance(stmt.targets[0], ast.Name) and _is_safe_value(stmt.value)):
            ext.constants[stmt.targets[0].id] = _segment(lines, stmt)


def _dedent(text: str) -> str:
    import textwrap
    return textwrap.dedent(text)


def extract(notebooks: list[Path]) -> Extraction:
    """All top-level definitions across a student's notebooks, later ones winning.

    Raises notebook_io.NotebookError for an unreadable notebook; use
    `extract_readable` where one bad file must not sink the others."""
    return extract_cells(cell for path in notebooks for cell in read_cells(path))


def extract_cells(cells: Iterable[Cell]) -> Extraction:
    """`extract` for cells already read (in notebook order)."""
    ext = Extraction()
    _add_cells(ext, cells)
    return ext


def extract_readable(notebooks: list[Path]) -> tuple[Extraction, list[Path], list[str]]:
    """Like `extract`, but an unreadable notebook costs only itself:
    returns (extraction, the notebooks read, one problem line per other one)."""
    ext, readable, unreadable = Extraction(), [], []
    for path in notebooks:
        try:
            cells = read_cells(path)
        except NotebookError as exc:
            unreadable.append(str(exc))
            continue
        readable.append(Path(path))
        _add_cells(ext, cells)
    return ext, readable, unreadable


def _add_cells(ext: Extraction, cells: Iterable[Cell]) -> None:
    for cell in cells:
        if cell.cell_type == "code" and cell.source.strip():
            for module, source in _parse_cell(cell, ext.problems):
                _record(ext, module, source, cell)
        elif found := answer_in_cell(cell):
            ext.answers[found[0]] = found[1]  # a later answer cell for the same question wins


# --------------------------------------------------------------------- regions

def student_regions(defn: Definition) -> list[str]:
    """The text between START/END CODE HERE lines inside one definition."""
    regions, current = [], None
    for line in defn.source.splitlines():
        mark = line.strip()
        if mark == START_MARK:
            current = []
        elif mark == END_MARK and current is not None:
            regions.append("\n".join(current))
            current = None
        elif current is not None:
            current.append(line)
    return regions


# ------------------------------------------------------------ inline answers

def answer_in_cell(cell: Cell) -> tuple[str, str] | None:
    """(question id, answer text) when `cell` is an inline-question answer cell."""
    qid = answer_id(cell.source) if cell.cell_type == "markdown" else None
    return (qid, cell.source.partition("\n")[2].strip()) if qid else None
