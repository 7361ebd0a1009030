"""Expression-level canonical forms: two spellings of the same computation become one tree.

Each rule below is one rewrite, applied bottom-up to a freshly parsed tree
(never to the grader's cached trees). What each makes equal:

  a.dot(b), np.dot(a, b), np.matmul(a, b)       -> a @ b
  np.add/subtract/multiply/divide/power(a, b)   -> a + b, a - b, ...
  np.transpose(a), a.transpose()                -> a.T
  np.sum(a, axis=1), np.amax(a), sum(a)          -> a.sum(axis=1), a.max(), a.sum()
  len(a)                                         -> a.shape[0]
  np.newaxis                                     -> None
  x += y                                         -> x = x + y   (any operator)
  b * a, a + c + b                               -> one order of the operands (by their normalised text)
  a > b, a >= b                                  -> b < a, b <= a;  a == b and b == a the same
  x * 1, 1 * x, x + 0, x - 0, x / 1, x ** 1, -(-x), +x   -> x
  (generator) and list(...) of one             -> a list comprehension

They are about meaning "where it is the same" for the arrays of this
homework (np.dot and @ differ only for scalars and >2-d stacks, which the
contract never passes). Names are not touched here; `emit` normalises them.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from .effects import child_fields
from .emit import expr_key

# np.<name>(a, ...) and a.<name>(...) mean the same: the method form is canonical.
METHOD_FORMS = {
    "sum": "sum",
    "max": "max",
    "amax": "max",
    "min": "min",
    "amin": "min",
    "mean": "mean",
    "argmax": "argmax",
    "argmin": "argmin",
    "std": "std",
    "var": "var",
    "prod": "prod",
    "cumsum": "cumsum",
    "any": "any",
    "all": "all",
    "reshape": "reshape",
    "clip": "clip",
    "round": "round",
    "ravel": "ravel",
    "copy": "copy",
    "nonzero": "nonzero",
}
BUILTIN_REDUCTIONS = {"sum": "sum", "max": "max", "min": "min"}  # single-argument forms only
NP_BINARY = {
    "add": ast.Add,
    "subtract": ast.Sub,
    "multiply": ast.Mult,
    "divide": ast.Div,
    "true_divide": ast.Div,
    "power": ast.Pow,
    "matmul": ast.MatMult,
    "dot": ast.MatMult,
}
COMMUTATIVE = (ast.Add, ast.Mult, ast.BitAnd, ast.BitOr)
MAX_SORTED_OPERANDS = 64
_IDENTITY_RIGHT = {ast.Mult: 1, ast.Div: 1, ast.Pow: 1, ast.Add: 0, ast.Sub: 0}
_IDENTITY_LEFT = {ast.Mult: 1, ast.Add: 0}
_FLIPPED = {ast.Gt: ast.Lt, ast.GtE: ast.LtE}


def _is_np(node: ast.AST) -> bool:
    return isinstance(node, ast.Name) and node.id == "np"


def _np_call(node: ast.Call) -> str | None:
    """`np.name(...)` -> "name", else None."""
    f = node.func
    return f.attr if isinstance(f, ast.Attribute) and _is_np(f.value) else None


def _plain_args(node: ast.Call, count: int) -> bool:
    return len(node.args) == count and not node.keywords and not any(isinstance(a, ast.Starred) for a in node.args)


def _number(node: ast.AST, value) -> bool:
    return isinstance(node, ast.Constant) and type(node.value) in (int, float) and node.value == value


Node = TypeVar("Node", bound=ast.AST)
# A whole module or definition: no rewrite replaces one, so rewriting it returns the same node.
Scope = TypeVar("Scope", bound=ast.Module | ast.FunctionDef | ast.AsyncFunctionDef)


def _located(new: Node, old: ast.AST) -> Node:
    return ast.copy_location(new, old)


def _method(
    obj: ast.expr, name: str, args: Iterable[ast.expr], keywords: Iterable[ast.keyword], old: ast.AST
) -> ast.Call:
    func = _located(ast.Attribute(obj, name, ast.Load()), old)
    return _located(ast.Call(func, list(args), list(keywords)), old)


def _binop(left: ast.expr, op: type[ast.operator], right: ast.expr, old: ast.AST) -> ast.BinOp:
    return _located(ast.BinOp(left, op(), right), old)


def _rewrite_call(node: ast.Call) -> ast.expr:
    name, f = _np_call(node), node.func
    if name in NP_BINARY and _plain_args(node, 2):
        return _binop(node.args[0], NP_BINARY[name], node.args[1], node)
    if name == "transpose" and _plain_args(node, 1):
        return _located(ast.Attribute(node.args[0], "T", ast.Load()), node)
    if name in METHOD_FORMS and node.args and not isinstance(node.args[0], ast.Starred):
        return _method(node.args[0], METHOD_FORMS[name], node.args[1:], node.keywords, node)
    if isinstance(f, ast.Attribute) and not _is_np(f.value):
        if f.attr == "dot" and _plain_args(node, 1):
            return _binop(f.value, ast.MatMult, node.args[0], node)
        if f.attr == "transpose" and _plain_args(node, 0):
            return _located(ast.Attribute(f.value, "T", ast.Load()), node)
        if f.attr in METHOD_FORMS and f.attr != METHOD_FORMS[f.attr]:
            return _method(f.value, METHOD_FORMS[f.attr], node.args, node.keywords, node)
    if isinstance(f, ast.Name) and _plain_args(node, 1):
        arg = node.args[0]
        if f.id in BUILTIN_REDUCTIONS:
            return _method(arg, BUILTIN_REDUCTIONS[f.id], [], [], node)
        if f.id == "len":
            shape = _located(ast.Attribute(arg, "shape", ast.Load()), node)
            return _located(ast.Subscript(shape, _located(ast.Constant(0), node), ast.Load()), node)
        if f.id == "list" and isinstance(arg, (ast.ListComp, ast.GeneratorExp)):
            return _located(ast.ListComp(arg.elt, arg.generators), node)
    return node


def _left_leaning(node: ast.expr, op: type) -> bool:
    """((a + b) + c) + d: the shape the canonical form builds."""
    while isinstance(node, ast.BinOp) and isinstance(node.op, op):
        if isinstance(node.right, ast.BinOp) and isinstance(node.right.op, op):
            return False
        node = node.left
    return True


def _operands(node: ast.expr, op: type) -> list[ast.expr]:
    """a + b + c (any grouping) -> [a, b, c] for one commutative, associative operator."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, op):
        return _operands(node.left, op) + _operands(node.right, op)
    return [node]


def _rewrite_binop(node: ast.BinOp) -> ast.expr:
    op = type(node.op)
    if op in _IDENTITY_RIGHT and _number(node.right, _IDENTITY_RIGHT[op]):
        return node.left
    if op in _IDENTITY_LEFT and _number(node.left, _IDENTITY_LEFT[op]):
        return node.right
    if op in COMMUTATIVE:
        written = _operands(node, op)
        if len(written) > MAX_SORTED_OPERANDS:
            return node  # hand-written code never has this many; sorting it at every level would be quadratic
        parts = sorted(written, key=expr_key)
        if all(a is b for a, b in zip(parts, written)) and _left_leaning(node, op):
            return node  # already in canonical order
        tree = parts[0]
        for part in parts[1:]:
            tree = _binop(tree, op, part, node)
        return tree
    return node


def _rewrite_compare(node: ast.Compare) -> ast.expr:
    if len(node.ops) != 1:
        return node
    left, op, right = node.left, node.ops[0], node.comparators[0]
    if type(op) in _FLIPPED:
        return _located(ast.Compare(right, [_FLIPPED[type(op)]()], [left]), node)
    if isinstance(op, (ast.Eq, ast.NotEq)) and expr_key(right) < expr_key(left):
        return _located(ast.Compare(right, [op], [left]), node)
    return node


def _rewrite_unary(node: ast.UnaryOp) -> ast.expr:
    inner = node.operand
    if isinstance(node.op, ast.UAdd):
        return inner
    if isinstance(inner, ast.UnaryOp) and type(inner.op) is type(node.op) and isinstance(node.op, (ast.USub, ast.Not)):
        return inner.operand
    return node


def _generator(node: ast.GeneratorExp) -> ast.expr:
    return _located(ast.ListComp(node.elt, node.generators), node)


def _attribute(node: ast.Attribute) -> ast.expr:
    return _located(ast.Constant(None), node) if node.attr == "newaxis" and _is_np(node.value) else node


def _augmented(node: ast.AugAssign) -> ast.Assign:
    load = _as_load(node.target)
    return _located(ast.Assign([node.target], _rewrite_binop(_binop(load, type(node.op), node.value, node))), node)


def _annotated(node: ast.AnnAssign) -> ast.Assign | None:
    return _located(ast.Assign([node.target], node.value), node) if node.value is not None else None


# node class -> its rewrite; each rewrite takes that class only, hence Any for the node
_REWRITES: dict[type[ast.AST], Callable[[Any], ast.AST | None]] = {
    ast.Call: _rewrite_call,
    ast.BinOp: _rewrite_binop,
    ast.Compare: _rewrite_compare,
    ast.UnaryOp: _rewrite_unary,
    ast.GeneratorExp: _generator,
    ast.Attribute: _attribute,
    ast.AugAssign: _augmented,
    ast.AnnAssign: _annotated,
}


def canonical(node: ast.AST) -> ast.AST | None:
    """Rewrite `node` bottom-up (children first, in place), returning its replacement
    (None: a statement that goes). A plain recursion over the fields that can hold
    code: ast.NodeTransformer is three times slower, and this runs on every unit."""
    for name in child_fields(node.__class__):
        value = getattr(node, name, None)
        if value.__class__ is list:
            kept = []
            for item in value:
                new = canonical(item) if isinstance(item, ast.AST) else item
                if new is not None:
                    kept.append(new)
            value[:] = kept
        elif isinstance(value, ast.AST):
            setattr(node, name, canonical(value))
    rewrite = _REWRITES.get(node.__class__)
    return rewrite(node) if rewrite else node


def _as_load(target: ast.expr) -> ast.expr:
    """A store target (x, x[i], x.a) as an expression that reads it."""
    if isinstance(target, ast.Name):
        return _located(ast.Name(target.id, ast.Load()), target)
    if isinstance(target, ast.Subscript):
        return _located(ast.Subscript(target.value, target.slice, ast.Load()), target)
    if isinstance(target, ast.Attribute):
        return _located(ast.Attribute(target.value, target.attr, ast.Load()), target)
    return target


def canonical_expressions(tree: Scope, numpy_aliases: dict[str, str] | None = None) -> Scope:
    """Rewrite every expression of `tree` in place (and return it).

    numpy_aliases: names the student bound to numpy or to numpy functions
    (`import numpy as xp` -> {"xp": "np"}, `from numpy import exp` ->
    {"exp": "np.exp"}), so `xp.sum(a)` and `exp(a)` read as `np.sum(a)` / `np.exp(a)`."""
    if numpy_aliases:
        _NumpyAliases(numpy_aliases).visit(tree)
    canonical(tree)  # returns `tree` itself: there is no rewrite for a module or a definition
    return tree


class _NumpyAliases(ast.NodeTransformer):
    def __init__(self, aliases: dict[str, str]):
        self.aliases = aliases

    def visit_Name(self, node):
        target = self.aliases.get(node.id)
        if target is None or not isinstance(node.ctx, ast.Load):
            return node
        base, _, attr = target.partition(".")
        name = _located(ast.Name(base, ast.Load()), node)
        return _located(ast.Attribute(name, attr, ast.Load()), node) if attr else name


def numpy_aliases(imports: list[str]) -> dict[str, str]:
    """Top-level import statements -> {local name: "np" or "np.<function>"} for numpy."""
    out = {}
    for text in imports:
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError):
            continue
        for stmt in tree.body:
            if isinstance(stmt, ast.Import):
                out.update({a.asname: "np" for a in stmt.names if a.name == "numpy" and a.asname and a.asname != "np"})
            elif isinstance(stmt, ast.ImportFrom) and stmt.module == "numpy":
                out.update({a.asname or a.name: f"np.{a.name}" for a in stmt.names if a.name != "*"})
    return out
