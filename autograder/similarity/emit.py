"""A canonical tree -> normalised tokens, statement by statement.

What a renaming or a re-formatting can change is gone here:
- every identifier a student chooses (variables, helpers, parameters) -> `V`,
  so consistent and inconsistent renaming both vanish;
- numbers -> `N` (but 0, 1 and 2, whatever their type, stay themselves:
  `axis=0` and `axis=1` are different programs), strings and f-strings -> `S`;
- comments, blank lines, layout, parentheses and line splits never reach a
  tree, so they cannot matter.
Kept is what a renaming cannot change: builtins (`range`, `float`), `np`,
`self`, attribute names (`.sum`, `.T`, `.shape`) and keyword-argument names
(`axis=`, `keepdims=`), i.e. the numpy API a solution is written in.

Expressions are written in postfix order (operands, then the operator with
its arity), so no parentheses are needed and equal trees give equal tokens.
A compound statement is its header (`V range call/1 for`) then its body
between `{` and `}`. Every token carries the source line of its node, which
is what the report highlights.
"""

from __future__ import annotations

import ast
import builtins
import keyword
from collections.abc import Callable
from typing import Any, NamedTuple

IDENT, NUMBER, STRING = "V", "N", "S"
OPEN, CLOSE, ELSE = "{", "}", "else"
KEPT_NAMES = frozenset(dir(builtins)) | frozenset(keyword.kwlist) | {"np", "numpy", "self"}
_OPS = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.Pow: "**",
    ast.MatMult: "@",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitOr: "|",
    ast.BitXor: "^",
    ast.BitAnd: "&",
    ast.And: "and",
    ast.Or: "or",
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.Is: "is",
    ast.IsNot: "is not",
    ast.In: "in",
    ast.NotIn: "not in",
    ast.USub: "u-",
    ast.UAdd: "u+",
    ast.Not: "not",
    ast.Invert: "~",
}


class Token(NamedTuple):
    text: str
    line: int  # 0-based line in the unit's display text


class Emitter:
    """Collects tokens; `line_of(node)` maps a node to its display line."""

    def __init__(self, line_of: Callable[[ast.AST, int], int] = lambda node, default: default):
        self.tokens: list[Token] = []
        self.line_of = line_of

    def add(self, text: str, line: int) -> None:
        self.tokens.append(Token(text, line))

    def expr(self, node: ast.AST | None, line: int) -> None:
        if node is None:
            self.add("_", line)
            return
        here = self.line_of(node, line)
        handler = _EXPR.get(type(node))
        if handler is None:
            for child in ast.iter_child_nodes(node):
                self.expr(child, here)
            self.add(type(node).__name__, here)
        else:
            handler(self, node, here)


def _name(e: Emitter, node: ast.Name, line: int) -> None:
    e.add(node.id if node.id in KEPT_NAMES else IDENT, line)


# axis=0 vs axis=1 is a different program; 2 and 2.0 are not (2.0 == 2, so it finds "N2" too)
SMALL_NUMBERS: dict[float, str] = {0: "N0", 1: "N1", 2: "N2"}


def _constant(e: Emitter, node: ast.Constant, line: int) -> None:
    v = node.value
    if isinstance(v, bool) or v is None or v is Ellipsis:
        e.add(repr(v), line)
    elif isinstance(v, (str, bytes)):
        e.add(STRING, line)
    else:
        e.add(SMALL_NUMBERS.get(v, NUMBER) if isinstance(v, (int, float)) else NUMBER, line)


def _attribute(e, node, line):
    e.expr(node.value, line)
    e.add("." + node.attr, line)


def _call(e, node, line):
    e.expr(node.func, line)
    for a in node.args:
        e.expr(a, line)
    for kw in node.keywords:
        e.expr(kw.value, line)
        e.add(f"{kw.arg}=" if kw.arg else "**", line)
    e.add(f"call/{len(node.args) + len(node.keywords)}", line)


def _subscript(e, node, line):
    e.expr(node.value, line)
    e.expr(node.slice, line)
    e.add("[]", line)


def _slice(e, node, line):
    e.expr(node.lower, line)
    e.expr(node.upper, line)
    if node.step is not None:
        e.expr(node.step, line)
    e.add(":", line)


def _sequence(kind):
    def handler(e, node, line):
        for x in node.elts:
            e.expr(x, line)
        e.add(f"{kind}/{len(node.elts)}", line)

    return handler


def _dict(e, node, line):
    for k, v in zip(node.keys, node.values):
        e.expr(k, line) if k is not None else e.add("**", line)
        e.expr(v, line)
    e.add(f"dict/{len(node.keys)}", line)


def _binop(e, node, line):
    e.expr(node.left, line)
    e.expr(node.right, line)
    e.add(_OPS.get(type(node.op), "?"), line)


def _unary(e, node, line):
    e.expr(node.operand, line)
    e.add(_OPS.get(type(node.op), "?"), line)


def _boolop(e, node, line):
    for v in node.values:
        e.expr(v, line)
    e.add(f"{_OPS[type(node.op)]}/{len(node.values)}", line)


def _compare(e, node, line):
    e.expr(node.left, line)
    for op, right in zip(node.ops, node.comparators):
        e.expr(right, line)
        e.add(_OPS.get(type(op), "?"), line)


def _ifexp(e, node, line):
    for part in (node.test, node.body, node.orelse):
        e.expr(part, line)
    e.add("?:", line)


def _comprehension(kind):
    def handler(e, node, line):
        if isinstance(node, ast.DictComp):
            e.expr(node.key, line)
            e.expr(node.value, line)
        else:
            e.expr(node.elt, line)
        for gen in node.generators:
            e.expr(gen.target, line)
            e.expr(gen.iter, line)
            e.add("for", line)
            for cond in gen.ifs:
                e.expr(cond, line)
                e.add("if", line)
        e.add(kind, line)

    return handler


def _lambda(e, node, line):
    e.expr(node.body, line)
    e.add(f"lambda/{len(node.args.args)}", line)


def _starred(e, node, line):
    e.expr(node.value, line)
    e.add("*", line)


def _string(e, node, line):
    e.add(STRING, line)


def _named(e, node, line):
    e.expr(node.target, line)
    e.expr(node.value, line)
    e.add(":=", line)


# node class -> its handler; each handler takes that class only, hence Any for the node
_EXPR: dict[type[ast.AST], Callable[[Emitter, Any, int], None]] = {
    ast.Name: _name,
    ast.Constant: _constant,
    ast.Attribute: _attribute,
    ast.Call: _call,
    ast.Subscript: _subscript,
    ast.Slice: _slice,
    ast.Tuple: _sequence("tuple"),
    ast.List: _sequence("list"),
    ast.Set: _sequence("set"),
    ast.Dict: _dict,
    ast.BinOp: _binop,
    ast.UnaryOp: _unary,
    ast.BoolOp: _boolop,
    ast.Compare: _compare,
    ast.IfExp: _ifexp,
    ast.ListComp: _comprehension("[comp]"),
    ast.SetComp: _comprehension("{comp}"),
    ast.DictComp: _comprehension("{dictcomp}"),
    ast.GeneratorExp: _comprehension("[comp]"),
    ast.Lambda: _lambda,
    ast.Starred: _starred,
    ast.JoinedStr: _string,
    ast.NamedExpr: _named,
}


def header(e: Emitter, stmt: ast.stmt, line: int) -> None:
    """A simple statement, or only the header of a compound one."""
    if isinstance(stmt, ast.Assign):
        for t in stmt.targets:
            e.expr(t, line)
        e.expr(stmt.value, line)
        e.add("=" if len(stmt.targets) == 1 else f"=/{len(stmt.targets)}", line)
    elif isinstance(stmt, (ast.For, ast.AsyncFor)):
        e.expr(stmt.target, line)
        e.expr(stmt.iter, line)
        e.add("for", line)
    elif isinstance(stmt, (ast.While, ast.If)):
        e.expr(stmt.test, line)
        e.add("while" if isinstance(stmt, ast.While) else "if", line)
    elif isinstance(stmt, (ast.With, ast.AsyncWith)):
        for item in stmt.items:
            e.expr(item.context_expr, line)
            if item.optional_vars is not None:
                e.expr(item.optional_vars, line)
        e.add("with", line)
    elif isinstance(stmt, (ast.Return, ast.Raise, ast.Expr)):
        value = stmt.exc if isinstance(stmt, ast.Raise) else stmt.value
        if value is not None:
            e.expr(value, line)
        if not isinstance(stmt, ast.Expr):
            e.add(type(stmt).__name__.lower(), line)
    elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
        e.add(f"def/{len(stmt.args.args)}", line)
    else:  # try, class, break, continue, match...
        e.add(type(stmt).__name__.lower(), line)


def expr_tokens(node: ast.AST) -> list[str]:
    e = Emitter()
    e.expr(node, 0)
    return [t.text for t in e.tokens]


def expr_key(node: ast.AST) -> str:
    """Normalised text of an expression: equal for renamed copies (used to order operands)."""
    return " ".join(expr_tokens(node))
