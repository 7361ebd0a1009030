"""A student's graded definitions -> one canonical *unit* per contract function or method.

A unit is what the grader grades under one contract name (`softmax_loss_naive`,
`TwoLayerNet.loss`): the definition `autograder.extract` found by content (a
later definition winning), whatever happened to the START/END CODE HERE
markers, with the student's helpers inlined (inline.py). Its body is put in
canonical form (rewrite.py, blocks.py) and written as normalised statements
(emit.py). Statements the release gave everyone in that function (provided
lines, the `raise NotImplementedError` stub) are marked as not the
student's own; docstrings and the signature never count.
"""

from __future__ import annotations

import ast
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from typing import cast

from course.contract import CONTRACT

from ..extract import Definition, Extraction, first_line
from .blocks import canonical_body, statement_forms
from .effects import nodes
from .emit import CLOSE, OPEN, Emitter, header
from .inline import FunctionNode, Helper, Segment, display_text, inline_helpers
from .rewrite import canonical_expressions, numpy_aliases

MAX_UNIT_NODES = 20_000  # a hand-written function has a few hundred; beyond this it is not compared


class UnitTooLarge(Exception):
    pass


@dataclass
class Stmt:
    """One normalised statement (a compound statement's header), or a block's { / }."""

    key: str
    tokens: list  # [emit.Token]
    own: bool = True  # False: the release gives this statement to everyone
    header: int | None = None  # a brace: index of the statement whose block it delimits

    @property
    def lines(self) -> set[int]:
        return {t.line for t in self.tokens}


@dataclass
class UnitCode:
    name: str
    segments: list[Segment]  # display text: the definition, then the helpers it calls
    statements: list[Stmt] = field(default_factory=list)

    @property
    def text(self) -> str:
        return display_text(self.segments)

    def own_tokens(self) -> list:
        return [t for s in self.statements if s.own for t in s.tokens]


def contract_units() -> dict[str, list[str] | None]:
    """Contract name -> its method names (None for a function)."""
    out = {}
    for part in CONTRACT.values():
        for name, spec in part.items():
            out[name] = list(spec["methods"]) if "methods" in spec else None
    return out


def method_sources(defn: Definition) -> dict[str, str]:
    """A class definition -> {method name: its text, dedented}; a method's text runs to
    the next method, so comments after its last statement stay with it."""
    cls = cast(ast.ClassDef, defn.node)  # both callers checked that it is a class
    lines = defn.source.splitlines()  # line 1 is the class's first line (decorators included)
    offset = first_line(cls) - 1
    methods = [m for m in cls.body if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef))]
    starts = [first_line(m) - offset for m in methods]
    ends = [s - 1 for s in starts[1:]] + [len(lines)]
    return {m.name: _dedent_as_first(lines[s - 1 : e]) for m, s, e in zip(methods, starts, ends)}


def _dedent_as_first(lines: list[str]) -> str:
    """Remove the first line's indentation from every line (a less indented line, such as
    a comment at column 0 between two methods, loses only what it has)."""
    indent = len(lines[0]) - len(lines[0].lstrip())
    return "\n".join(line[min(indent, len(line) - len(line.lstrip())) :] for line in lines)


def unit_sources(ext: Extraction) -> dict[str, tuple[str, dict[str, Helper]]]:
    """unit name -> (its source, the helpers it may call), for every contract unit the student defined."""
    contract = contract_units()
    top = {
        n: Helper(n, d.source, False)
        for n, d in ext.definitions.items()
        if n not in contract and isinstance(d.node, (ast.FunctionDef, ast.AsyncFunctionDef))
    }
    out = {}
    for name, methods in contract.items():
        defn = ext.definitions.get(name)
        if defn is None:
            continue
        if methods is None:
            if isinstance(defn.node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                out[name] = (defn.source, top)
            continue
        if not isinstance(defn.node, ast.ClassDef):
            continue
        sources = method_sources(defn)
        own = {m: Helper(m, src, True) for m, src in sources.items() if m not in methods}
        for m in methods:
            if m in sources:
                out[f"{name}.{m}"] = (sources[m], {**top, **own})
    return out


# ------------------------------------------------------------------ the release


@dataclass
class Release:
    """What the release gives everyone, as canonical statements and names."""

    unit_statements: dict[str, Counter] = field(default_factory=dict)  # unit -> multiset of statement keys
    statement_keys: set[str] = field(default_factory=set)  # every statement of every release definition
    token_runs: list[list[str]] = field(default_factory=list)  # every release definition's tokens
    names: set[str] = field(default_factory=set)  # top-level names it defines
    methods: dict[str, set[str]] = field(default_factory=dict)  # class -> its method names

    @classmethod
    def from_extraction(cls, ext: Extraction) -> Release:
        rel = cls(names=set(ext.definitions))
        for name, defn in ext.definitions.items():
            tree = canonical_expressions(_parse(defn.source))
            stmts = _all_statements(statement_forms(tree.body))
            rel.statement_keys |= {s.key for s in stmts}
            rel.token_runs.append([t.text for s in stmts for t in s.tokens])
            if isinstance(defn.node, ast.ClassDef):
                rel.methods[name] = set(method_sources(defn))
        for unit, (source, _) in unit_sources(ext).items():
            body = statement_forms(_definition(canonical_expressions(_parse(source))).body)
            rel.unit_statements[unit] = Counter(s.key for s in _all_statements(body) if s.key not in (OPEN, CLOSE))
        return rel

    def helpers_for(self, helpers: dict[str, Helper], unit: str) -> dict[str, Helper]:
        """Only the student's own helpers are inlined: not what the release defines."""
        cls = unit.partition(".")[0] if "." in unit else None
        given = self.methods.get(cls, set()) if cls else set()
        return {n: h for n, h in helpers.items() if not (n in given if h.is_method else n in self.names)}


def _parse(source: str) -> ast.Module:
    return ast.parse(source)


def _definition(tree: ast.Module) -> FunctionNode:
    """The def a unit's parsed source holds (unit_sources gives only function and method definitions)."""
    return cast(FunctionNode, tree.body[0])


def _line_of(node, default: int) -> int:
    line = getattr(node, "lineno", None)
    return line - 1 if line is not None else default


def _flatten(stmts: list[ast.stmt], out: list[Stmt], default_line: int = 0) -> list[Stmt]:
    """Statements in order, a compound one as header, {, its blocks, }."""
    for stmt in stmts:
        e = Emitter(_line_of)
        here = _line_of(stmt, default_line)
        header(e, stmt, here)
        index = len(out)
        out.append(Stmt(" ".join(t.text for t in e.tokens), e.tokens))
        blocks = [(f, getattr(stmt, f)) for f in ("body", "orelse", "finalbody") if getattr(stmt, f, None)]
        blocks += [("except", h.body) for h in getattr(stmt, "handlers", [])]
        for label, block in blocks:
            brace = Emitter(_line_of)
            if label != "body":
                brace.add(label, here)
            brace.add(OPEN, here)
            out.append(Stmt(OPEN, brace.tokens, header=index))
            _flatten(block, out, here)
            out.append(Stmt(CLOSE, [brace.tokens[-1]._replace(text=CLOSE)], header=index))
    return out


def _all_statements(body: list[ast.stmt]) -> list[Stmt]:
    return _flatten(body, [])


def _count_nodes(tree: ast.AST) -> int:
    return len(nodes(tree))


def _mark_release(stmts: list[Stmt], given: Counter) -> None:
    """Statements the release has in this unit are not the student's own (each once);
    a block's braces belong to whoever wrote its header."""
    left = Counter(given)
    for s in stmts:
        if s.header is not None:
            s.own = stmts[s.header].own
        elif left[s.key] > 0:
            left[s.key] -= 1
            s.own = False


def analyse_unit(
    name: str, source: str, helpers: dict[str, Helper], release: Release, aliases: dict[str, str]
) -> UnitCode:
    """One unit's source -> canonical statements, the release's marked as not own.
    Raises UnitTooLarge (or RecursionError on absurd nesting)."""
    segments = [Segment(name, 0, source)]
    tree = _parse(source)
    if 2 * len(source) > MAX_UNIT_NODES and _count_nodes(tree) > MAX_UNIT_NODES:  # n characters: < 2n nodes
        raise UnitTooLarge(f"{name}: more than {MAX_UNIT_NODES:,} syntax nodes; not compared")
    fn = _definition(tree)
    inline_helpers(fn, helpers, segments)
    canonical_expressions(fn, aliases)
    fn.body = canonical_body(fn.body)
    unit = UnitCode(name, segments, _all_statements(fn.body))
    _mark_release(unit.statements, release.unit_statements.get(name, Counter()))
    return unit


def _mentioned(source: str, helpers: dict[str, Helper]) -> tuple:
    """The helpers a source can reach (by name, transitively): the cache key's second half."""
    seen, todo = {}, [source]
    while todo:
        text = todo.pop()
        for n, h in helpers.items():
            if n not in seen and n in text:
                seen[n] = h
                todo.append(h.source)
    return tuple(sorted((n, h.source, h.is_method) for n, h in seen.items()))


@lru_cache(maxsize=4096)
def _cached(name: str, source: str, reachable: tuple, aliases: tuple) -> UnitCode:
    helpers = {n: Helper(n, src, is_method) for n, src, is_method in reachable}
    release = _current_release[0]
    assert release is not None  # student_units sets it before its first call
    return analyse_unit(name, source, helpers, release, dict(aliases))


_current_release: list[Release | None] = [None]  # what _cached results were computed against


def student_units(ext: Extraction, release: Release, problems: list[str]) -> dict[str, UnitCode]:
    """Every contract unit the student defined -> its canonical code (identical sources
    are analysed once per process: untouched stubs, copies). A unit that cannot be
    analysed costs only itself: its problem is recorded."""
    if _current_release[0] is not release:
        _cached.cache_clear()
        _current_release[0] = release
    aliases = tuple(sorted(numpy_aliases(ext.imports).items()))
    out = {}
    for name, (source, helpers) in unit_sources(ext).items():
        try:
            out[name] = _cached(name, source, _mentioned(source, release.helpers_for(helpers, name)), aliases)
        except UnitTooLarge as exc:
            problems.append(str(exc))
        except (RecursionError, MemoryError, SyntaxError, ValueError) as exc:
            problems.append(f"{name}: cannot be analysed ({type(exc).__name__}); not compared")
    return out
