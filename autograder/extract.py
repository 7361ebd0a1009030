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

Everything here runs in the grader's process on untrusted text, so parsing is
bounded (autograder/cell_parser.py): a cap per cell, a cap on the code of a
whole submission, a budget for IPython's transformer. A notebook over a cap is
unreadable with a message that says which cap; nothing a notebook holds makes
`extract_readable` raise.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from course import rules
from course.contract import contract_names
from course.markers import END_CODE as END_MARK
from course.markers import START_CODE as START_MARK
from course.markers import answer_id

from .cell_parser import MAX_CELL_CHARS, IpythonBudget, is_release_cell, parse_cell_text
from .notebook_io import Cell, NotebookError, read_cells, shown_name

# Code a submission may hold in all its notebooks together (the release cells,
# parsed once per process, not counted). Parsing is linear in it (cell_parser),
# so this bounds the grader's time and memory per hand-in (worst shape measured by
# bench/parse_budget.py: 0.8 s, +105 MB); an honest submission holds ~70,000
# characters besides the release's cells.
MAX_CODE_PER_SUBMISSION = 512_000


@dataclass(frozen=True)
class Definition:
    name: str
    source: str  # exact source text, decorators included
    node: ast.stmt  # FunctionDef or ClassDef
    notebook: str
    cell: int  # 1-based cell number in that notebook

    @property
    def where(self) -> str:
        return f"{self.notebook}, cell {self.cell}"


@dataclass(frozen=True)
class Chunk:
    """A piece of code the sandbox executes on its own (so one failure is isolated)."""

    label: str
    source: str
    # the grader's own helpers (runner.KIT_CHUNK): the grader calls them by name, student
    # code cannot find them in its namespace (so cannot rebind them between two calls)
    private: bool = False


@dataclass
class Extraction:
    definitions: dict[str, Definition] = field(default_factory=dict)
    constants: dict[str, str] = field(default_factory=dict)  # name -> source of a top-level assignment
    constant_nodes: dict[str, ast.stmt] = field(default_factory=dict, repr=False)  # name -> its parsed statement
    # constants whose value is computed (a call, a lambda, a subscript...): loaded only
    # where a needed function reads the name as a global, never for a local of the same name
    computed: set[str] = field(default_factory=set)
    # ("def" | "constant", name) -> place in the notebooks: chunks load in this order, as
    # the notebook ran top to bottom (an alias `f = _f` after `def _f` needs _f first)
    places: dict[tuple[str, str], int] = field(default_factory=dict)
    _next_place: int = field(default=0, repr=False, compare=False)
    # names the student's own cells bound: the kit's unchanged helper cells, which come
    # later in the notebook, do not rebind them (a student's TINY stays the student's)
    student_names: set[str] = field(default_factory=set, repr=False, compare=False)
    imports: list[str] = field(default_factory=list)  # top-level import statements
    problems: list[str] = field(default_factory=list)  # syntax errors, student-facing
    answers: dict[str, str] = field(default_factory=dict)  # inline question id -> answer text
    # course.rules.loop_problems per part: the vectorization tests ask once per function,
    # and following every call closure costs ~10 ms a time; dies with this hand-in
    _loop_problems: dict[str, dict[str, str]] = field(default_factory=dict, repr=False, compare=False)
    _definition_nodes: dict[str, ast.AST] | None = field(default=None, repr=False, compare=False)

    def loop_problems(self, part: str) -> dict[str, str]:
        """{qualified name: sentence} for `part`'s functions that must not loop but do."""
        if part not in self._loop_problems:
            self._loop_problems[part] = rules.loop_problems(self.definition_nodes(), part)
        return self._loop_problems[part]

    def definition_nodes(self) -> dict[str, ast.AST]:
        """Top-level name -> its ast def, or for a top-level assignment or import, its
        statement: course.rules follows an alias (`fast = softmax_loss_naive`, `_each = map`)
        through it. Made once per hand-in."""
        if self._definition_nodes is None:
            nodes: dict[str, ast.AST] = rules.top_level_bindings([*self.imports, *self.constant_nodes.values()])
            nodes.update({name: d.node for name, d in self.definitions.items()})
            self._definition_nodes = nodes
        return self._definition_nodes

    def missing(self, names) -> list[str]:
        return [n for n in names if n not in self.definitions]

    def chunks_for(self, names) -> list[Chunk]:
        """Imports, then the constants and definitions `names` need (transitively),
        in notebook order. Each import is its own chunk, so a failing
        `from google.colab import drive` costs nothing."""
        wanted = self._closure([n for n in names if n in self.definitions])
        chunks = [Chunk(f"import: {imp.splitlines()[0][:60]}", imp) for imp in self.imports]
        placed = [
            (self.places.get(("constant", n), 0), Chunk(f"constant {n}", self.constants[n]))
            for n in wanted
            if n in self.constants
        ]
        placed += [
            (self.places.get(("def", n), 0), Chunk(n, self.definitions[n].source))
            for n in wanted
            if n in self.definitions
        ]
        return chunks + [chunk for _, chunk in sorted(placed, key=lambda pc: pc[0])]

    def _closure(self, roots: list[str]) -> set[str]:
        known = set(self.definitions) | set(self.constants)
        seen, todo = set(), list(roots)
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            node = self.definitions[name].node if name in self.definitions else self.constant_nodes[name]
            used = _names_used(node)
            if used & self.computed:
                used -= self.computed - _global_reads(node)
            todo += [n for n in used if n in known and n not in seen]
        return seen

    def place(self, kind: str, name: str) -> None:
        """Record that `name` was (re)bound here, after everything recorded so far."""
        self.places[(kind, name)] = self._next_place
        self._next_place += 1


def _names_used(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _global_reads(node: ast.AST) -> set[str]:
    """Names `node` reads and never binds itself (parameters, assignments, imports, nested
    definitions, `except ... as`): a conservative "global" (a name bound anywhere inside,
    even in a nested scope, is taken as local)."""
    reads: set[str] = set()
    bound: set[str] = set()
    for n in ast.walk(node):
        if isinstance(n, ast.Name):
            (reads if isinstance(n.ctx, ast.Load) else bound).add(n.id)
        elif isinstance(n, ast.arg):
            bound.add(n.arg)
        elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and n is not node:
            bound.add(n.name)
        elif isinstance(n, (ast.Import, ast.ImportFrom)):
            bound |= {a.asname or a.name.split(".")[0] for a in n.names}
        elif isinstance(n, ast.ExceptHandler) and n.name:
            bound.add(n.name)
    return reads - bound


def _parse_cell(cell: Cell, problems: list[str], budget: IpythonBudget) -> list[tuple[ast.Module, str]]:
    """[(module, its source)]; a cell that fails to parse is salvaged piece by piece."""
    parsed, problem = parse_cell_text(cell.source, budget)
    if problem:
        problems.append(f"{cell.notebook}, cell {cell.index}: {problem}")
    return list(parsed)


# A computed value may run anything when it loads: never one that builds or calls the
# contract's functions and classes (a top-level `stats = net.train(...)` is an experiment)
UNLOADABLE = (ast.Await, ast.Yield, ast.YieldFrom, ast.NamedExpr)
CONTRACT_NAMES = frozenset(contract_names())


def _is_computed_value(node: ast.AST) -> bool:
    """A right-hand side with calls, lambdas, subscripts... that may be loaded where needed."""
    return not any(
        isinstance(n, UNLOADABLE) or (isinstance(n, ast.Name) and n.id in CONTRACT_NAMES) for n in ast.walk(node)
    )


def _is_safe_value(node: ast.AST) -> bool:
    """Literal-like right-hand sides only (numbers, strings, tuples, np.pi...): no calls."""
    allowed = (
        ast.Constant,
        ast.Tuple,
        ast.List,
        ast.Set,
        ast.Dict,
        ast.UnaryOp,
        ast.BinOp,
        ast.Name,
        ast.Attribute,
        ast.Load,
        ast.operator,
        ast.unaryop,
    )
    return all(isinstance(n, allowed) for n in ast.walk(node))


def _segment(lines: list[str], stmt: ast.stmt) -> str:
    """Source of one top-level statement from the cell's lines (split once per cell:
    ast.get_source_segment re-splits the whole cell on every call, which is
    quadratic and took seconds on the notebooks' long setup cell)."""
    # ast offsets count UTF-8 bytes, not characters (a comment with "→" shifts them)
    body = [line.encode() for line in lines[stmt.lineno - 1 : stmt.end_lineno]]
    body[-1] = body[-1][: stmt.end_col_offset]
    body[0] = body[0][stmt.col_offset :]
    return b"\n".join(body).decode(errors="replace")


def _definition_end(lines: list[str], stmt: ast.stmt) -> int:
    """Last line (1-based) of a top-level definition, counting the indented
    comments after its last statement: a region's closing
    `### END CODE HERE ###` often follows the last statement of a method."""
    end = stmt.end_lineno
    assert end is not None  # ast.parse sets it on every statement
    for number in range(end, len(lines)):
        line = lines[number]
        if line.strip() and not (line.startswith((" ", "\t")) and line.lstrip().startswith("#")):
            break
        if line.strip():
            end = number + 1
    return end


def first_line(defn: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> int:
    """First line of a definition, its decorators included."""
    return min([defn.lineno] + [d.lineno for d in defn.decorator_list])


def _record(ext: Extraction, module: ast.Module, source: str, cell: Cell, kit: bool = False) -> None:
    lines = source.splitlines()
    ext._definition_nodes = None  # what was made from the definitions so far is stale
    ext._loop_problems.clear()
    for stmt in module.body:
        bound = _bound_name(stmt)
        if bound is not None:
            if kit and bound in ext.student_names:
                continue
            if not kit:
                ext.student_names.add(bound)
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            first = first_line(stmt)
            text = "\n".join(lines[first - 1 : _definition_end(lines, stmt)])
            ext.definitions.pop(stmt.name, None)  # re-insert: order = last definition's place
            ext.definitions[stmt.name] = Definition(stmt.name, _dedent(text), stmt, cell.notebook, cell.index)
            ext.place("def", stmt.name)
            ext.constant_nodes.pop(stmt.name, None)
            if ext.constants.pop(stmt.name, None) is not None:  # `relu = lambda ...` then `def relu`
                ext.computed.discard(stmt.name)
                ext.places.pop(("constant", stmt.name), None)
        elif isinstance(stmt, (ast.Import, ast.ImportFrom)):
            text = _segment(lines, stmt)
            if text and text not in ext.imports:
                ext.imports.append(text)
        elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            name = stmt.targets[0].id
            if _is_safe_value(stmt.value):
                ext.computed.discard(name)
            elif _is_computed_value(stmt.value):
                ext.computed.add(name)
            else:
                continue
            ext.constants[name] = _segment(lines, stmt)
            ext.constant_nodes[name] = stmt
            ext.place("constant", name)


def _bound_name(stmt: ast.stmt) -> str | None:
    """The one name a top-level definition or plain assignment binds."""
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return stmt.name
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
        return stmt.targets[0].id
    return None


def _dedent(text: str) -> str:
    import textwrap

    return textwrap.dedent(text)


@dataclass
class _Budget:
    """What one submission may still cost: characters of code to parse, IPython work."""

    code_left: int = MAX_CODE_PER_SUBMISSION
    ipython: IpythonBudget = field(default_factory=IpythonBudget)


def _check_caps(cells: list[Cell], name: str, budget: _Budget) -> None:
    """NotebookError when a code cell, or the submission's code so far, is over its cap
    (cell_parser's docstring says what the caps bound). Release cells are free."""
    code = 0
    for cell in cells:
        if cell.cell_type != "code" or is_release_cell(cell.source):
            continue
        if len(cell.source) > MAX_CELL_CHARS:
            raise NotebookError(
                f"{name}: cell {cell.index} holds {len(cell.source):,} characters of code, more "
                f"than the {MAX_CELL_CHARS:,} a cell may hold; remove pasted data or output"
            )
        code += len(cell.source)
    if code > budget.code_left:
        raise NotebookError(
            f"{name}: not read: this hand-in's notebooks hold more than "
            f"{MAX_CODE_PER_SUBMISSION:,} characters of code together (the homework needs "
            "about 70,000); hand in only the homework's notebooks"
        )
    budget.code_left -= code


def extract(notebooks: list[Path]) -> Extraction:
    """All top-level definitions across a student's notebooks, later ones winning.

    Raises notebook_io.NotebookError for an unreadable notebook (or one over the
    caps); use `extract_readable` where one bad file must not sink the others."""
    ext, budget = Extraction(), _Budget()
    for path in notebooks:
        cells = read_cells(path)
        _check_caps(cells, shown_name(path), budget)
        _add_cells(ext, cells, budget.ipython)
    return ext


def extract_cells(cells: Iterable[Cell]) -> Extraction:
    """`extract` for cells already read (in notebook order); a cell over
    MAX_CELL_CHARS is skipped with a problem."""
    ext = Extraction()
    _add_cells(ext, cells, IpythonBudget())
    return ext


def extract_readable(notebooks: list[Path]) -> tuple[Extraction, list[Path], list[str]]:
    """Like `extract`, but an unreadable notebook costs only itself:
    returns (extraction, the notebooks read, one problem line per other one).
    Never raises for anything in the notebooks."""
    ext, readable, unreadable, budget = Extraction(), [], [], _Budget()
    for path in notebooks:
        try:
            cells = read_cells(path)
            _check_caps(cells, shown_name(path), budget)
        except NotebookError as exc:
            unreadable.append(str(exc))
            continue
        readable.append(Path(path))
        _add_cells(ext, cells, budget.ipython)
    return ext, readable, unreadable


def _add_cells(ext: Extraction, cells: Iterable[Cell], budget: IpythonBudget) -> None:
    for cell in cells:
        try:
            _add_cell(ext, cell, budget)
        except Exception as exc:  # student text must never become a grader error
            ext.problems.append(f"{cell.notebook}, cell {cell.index}: could not be read ({type(exc).__name__})")


def _add_cell(ext: Extraction, cell: Cell, budget: IpythonBudget) -> None:
    if cell.cell_type == "code" and cell.source.strip():
        if len(cell.source) > MAX_CELL_CHARS and not is_release_cell(cell.source):
            ext.problems.append(
                f"{cell.notebook}, cell {cell.index}: {len(cell.source):,} characters of code, "
                f"more than the {MAX_CELL_CHARS:,} a cell may hold; not read"
            )
            return
        kit = is_release_cell(cell.source)
        for module, source in _parse_cell(cell, ext.problems, budget):
            _record(ext, module, source, cell, kit)
    elif found := answer_in_cell(cell):
        ext.answers[found[0]] = found[1]  # a later answer cell for the same question wins


# --------------------------------------------------------------------- regions


def student_regions(defn: Definition) -> list[str]:
    """The text between START/END CODE HERE lines inside one definition."""
    regions: list[str] = []
    current: list[str] | None = None  # the lines of the region being read
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
