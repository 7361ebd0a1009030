"""Helpers a student moved code into count as part of the function that calls them.

A copy split into `_scores(X, W)` / `self._backward(...)` calls must read as
the code it came from, so each call to a student-defined helper is replaced
by the helper's body, as a compiler inlines:
- `def h(a): return e` -> the call becomes `e` (parameters -> arguments);
- `def h(a): <statements>; return e` -> the statements go just before the
  calling statement (locals renamed apart), the call becomes `e`;
- `h(a)` used as a statement, `h` without `return` -> its statements;
- anything else (several returns, *args, a call in a loop condition) keeps
  the call and appends the helper's definition to the function, so its code
  still counts, only not in place.
Helpers calling helpers are inlined up to INLINE_ROUNDS levels deep (so a
recursive helper cannot loop), at most MAX_INLINED_STATEMENTS in all.
"""

from __future__ import annotations

import ast
import copy
from dataclasses import dataclass

from .effects import nodes

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef  # a helper may be `async def`: same fields

INLINE_ROUNDS = 3
MAX_INLINED_STATEMENTS = 400


@dataclass(frozen=True)
class Helper:
    name: str
    source: str  # the helper's definition as written (dedented)
    is_method: bool  # called as self.name(...)


@dataclass
class Segment:
    """A piece of a unit's display text: the unit itself, or a helper it calls.
    Segments are shown one after the other, a blank line between two."""

    label: str
    first_line: int  # 0-based line of the display text where it starts
    source: str

    @property
    def next_line(self) -> int:
        """Where the segment after this one starts."""
        return self.first_line + len(self.source.rstrip("\n").splitlines()) + 1


def display_text(segments: list[Segment]) -> str:
    return "\n\n".join(s.source.rstrip("\n") for s in segments)


class _Inliner:
    def __init__(self, helpers: dict[str, Helper], segments: list[Segment]):
        self.helpers = helpers
        self.segments = segments
        self.offsets: dict[str, int] = {s.label: s.first_line for s in segments}
        self.counter = 0
        self.inlined = 0
        self.appended: list[ast.stmt] = []

    def helper_of(self, call: ast.Call) -> Helper | None:
        f = call.func
        if isinstance(f, ast.Name):
            h = self.helpers.get(f.id)
            return h if h and not h.is_method else None
        if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == "self":
            h = self.helpers.get(f.attr)
            return h if h and h.is_method else None
        return None

    def definition(self, helper: Helper) -> FunctionNode | None:
        """A fresh tree of the helper, its lines moved to where the display text shows it."""
        if helper.name not in self.offsets:
            start = self.segments[-1].next_line
            self.segments.append(Segment(f"helper {helper.name}", start, helper.source))
            self.offsets[helper.name] = start
        try:
            tree = ast.parse(helper.source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return None  # the call stays a call; the unit itself is still compared
        ast.increment_lineno(tree, self.offsets[helper.name])
        node = tree.body[0] if tree.body else None
        return node if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) else None


def _body_without_docstring(fn: FunctionNode) -> list[ast.stmt]:
    body = fn.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    return body


def _bindings(fn: FunctionNode, call: ast.Call, is_method: bool) -> dict[str, ast.expr] | None:
    """parameter -> argument expression, or None when the call cannot be matched simply."""
    a = fn.args
    if (
        a.vararg
        or a.kwarg
        or a.kwonlyargs
        or any(isinstance(x, ast.Starred) for x in call.args)
        or any(k.arg is None for k in call.keywords)
    ):
        return None
    params = [p.arg for p in (*a.posonlyargs, *a.args)]
    if is_method:
        params = params[1:]
    if len(call.args) > len(params):
        return None
    bound = dict(zip(params, call.args))
    bound.update({k.arg: k.value for k in call.keywords if k.arg in params})
    defaults = dict(zip(params[len(params) - len(a.defaults) :], a.defaults))
    for p in params:
        if p not in bound:
            if p not in defaults:
                return None
            bound[p] = defaults[p]
    return bound


class _Substitute(ast.NodeTransformer):
    """Parameters -> argument expressions; the helper's own locals -> fresh names."""

    def __init__(self, args: dict[str, ast.expr], renamed: dict[str, str]):
        self.args, self.renamed = args, renamed

    def visit_Name(self, node):
        if node.id in self.renamed:
            return ast.copy_location(ast.Name(self.renamed[node.id], node.ctx), node)
        if node.id in self.args and isinstance(node.ctx, ast.Load):
            return copy.deepcopy(self.args[node.id])
        return node


def _stored(stmts: list[ast.stmt]) -> set[str]:
    return {n.id for s in stmts for n in nodes(s) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}


def _expand(inl: _Inliner, helper: Helper, call: ast.Call) -> tuple[list[ast.stmt], ast.expr | None] | None:
    """(statements to put before the caller, expression replacing the call or None) or None to give up."""
    fn = inl.definition(helper)
    if fn is None:
        return None
    body = _body_without_docstring(fn)
    args = _bindings(fn, call, helper.is_method)
    returns = [n for s in body for n in nodes(s) if isinstance(n, (ast.Return, ast.Yield, ast.YieldFrom))]
    if args is None or any(isinstance(n, (ast.Yield, ast.YieldFrom)) for n in returns):
        return None
    tail = body[-1] if body else None
    if isinstance(tail, ast.Return) and len(returns) == 1:
        stmts, result = body[:-1], tail.value or ast.copy_location(ast.Constant(None), tail)
    elif not returns:
        stmts, result = body, None
    else:
        return None
    inl.counter += 1
    stored = _stored(stmts)
    renamed = {n: f"{n}__inlined{inl.counter}" for n in stored}
    prelude = [
        ast.copy_location(ast.Assign([ast.Name(renamed[p], ast.Store())], copy.deepcopy(v)), fn)
        for p, v in args.items()
        if p in stored
    ]
    sub = _Substitute({p: v for p, v in args.items() if p not in stored}, renamed)
    stmts = prelude + [sub.visit(s) for s in stmts]  # the prelude's values are the caller's: not renamed
    result = sub.visit(result) if result is not None else None
    return stmts, result


class _CallSite(ast.NodeTransformer):
    """Replaces helper calls inside one statement's expressions (not its nested blocks)."""

    def __init__(self, inl: _Inliner):
        self.inl = inl
        self.before: list[ast.stmt] = []
        self.hoist_ok = True  # False inside lambdas, comprehensions and while conditions

    def visit_Lambda(self, node):
        return self._no_hoist(node)

    def visit_ListComp(self, node):
        return self._no_hoist(node)

    visit_SetComp = visit_DictComp = visit_GeneratorExp = visit_ListComp

    def _no_hoist(self, node):
        saved, self.hoist_ok = self.hoist_ok, False
        node = self.generic_visit(node)
        self.hoist_ok = saved
        return node

    def visit_Call(self, node):
        node = self.generic_visit(node)
        helper = self.inl.helper_of(node)
        if helper is None or self.inl.inlined >= MAX_INLINED_STATEMENTS:
            return node
        expanded = _expand(self.inl, helper, node)
        if expanded is None or (expanded[0] and not self.hoist_ok):
            self._append(helper)
            return node
        stmts, result = expanded
        self.inl.inlined += len(stmts) + 1
        self.before += stmts
        if result is None:
            return ast.copy_location(ast.Constant(None), node)
        return result

    def _append(self, helper: Helper) -> None:
        fn = self.inl.definition(helper)
        if fn is not None and helper.name not in {getattr(s, "name", None) for s in self.inl.appended}:
            self.inl.appended.append(fn)


_HEADER_FIELDS = ("test", "iter", "items", "value", "targets", "target", "exc")


def _inline_block(inl: _Inliner, block: list[ast.stmt]) -> list[ast.stmt]:
    out = []
    for stmt in block:
        for field in ("body", "orelse", "finalbody"):
            if getattr(stmt, field, None):
                setattr(stmt, field, _inline_block(inl, getattr(stmt, field)))
        for handler in getattr(stmt, "handlers", []):
            handler.body = _inline_block(inl, handler.body)
        site = _CallSite(inl)
        for field in _HEADER_FIELDS:
            part = getattr(stmt, field, None)
            if part is None:
                continue
            site.hoist_ok = not (isinstance(stmt, ast.While) and field == "test")
            if isinstance(part, list):
                setattr(stmt, field, [site.visit(p) for p in part])
            else:
                setattr(stmt, field, site.visit(part))
        out += site.before + [stmt]  # `h(x)` as a statement leaves `None`, which blocks.drop_noise drops
    return out


def _calls_helper(inl: _Inliner, stmts: list[ast.stmt]) -> bool:
    return any(n.__class__ is ast.Call and inl.helper_of(n) for s in stmts for n in nodes(s))


def inline_helpers(fn: FunctionNode, helpers: dict[str, Helper], segments: list[Segment]) -> FunctionNode:
    """Inline every helper call of `fn` (in place); `segments` gains the helpers shown."""
    inl = _Inliner({k: v for k, v in helpers.items() if k != fn.name}, segments)
    if not inl.helpers:
        return fn
    for _ in range(INLINE_ROUNDS):
        if not _calls_helper(inl, fn.body):
            break
        fn.body = _inline_block(inl, fn.body)
    fn.body += inl.appended
    return fn
