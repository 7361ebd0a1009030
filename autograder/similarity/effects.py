"""What a statement reads and writes: enough to know when two statements may swap.

Keys are variable names; attributes of `self` are their own keys
(`self.params`), so `self.params[...] = ...` and `self.W = ...` are
independent. Conservative where it matters for meaning:
- a statement that is only a call (`lst.append(x)`, `np.add.at(d, i, 1)`,
  `helper(a, b)`) may change every variable it mentions;
- a mutating method (`x.append`, `x.fill`...) or `out=` writes its object;
- `return`/`raise`/`yield` conflict with everything (nothing moves across them),
  `break`/`continue` with everything in their loop body.
Random draws (`np.random.randn`) are treated as independent: two weight
initialisations in either order mean the same to a reader.
"""

from __future__ import annotations

import ast

EVERYTHING = "*"  # conflicts with every key
LOOP_EXIT = "*loop"  # break/continue: conflicts with everything in the same loop body
MUTATORS = frozenset(
    {
        "append",
        "extend",
        "insert",
        "update",
        "fill",
        "sort",
        "pop",
        "remove",
        "clear",
        "setdefault",
        "add",
        "resize",
        "put",
        "itemset",
        "discard",
        "popitem",
        "shuffle",
    }
)
_EXITS = (ast.Return, ast.Raise)


def base_key(node: ast.AST) -> str | None:
    """x -> "x"; x[i].y -> "x"; self.params[k] -> "self.params"; np.anything -> None."""
    attr = None
    while isinstance(node, (ast.Subscript, ast.Starred, ast.Attribute)):
        if isinstance(node, ast.Attribute):
            attr = node.attr
        node = node.value
    if not isinstance(node, ast.Name) or node.id == "np":
        return None
    if node.id == "self":
        return f"self.{attr}" if attr else "self"
    return node.id


_SKIPPED_FIELDS = {
    "ctx",
    "op",
    "id",
    "attr",
    "arg",
    "type_comment",
    "kind",
    "name",
    "names",
    "level",
    "module",
    "is_async",
    "conversion",
    "asname",
    "simple",
}
_CHILD_FIELDS: dict[type[ast.AST], tuple[str, ...]] = {}


def child_fields(cls: type[ast.AST]) -> tuple[str, ...]:
    """The fields of a node class that can hold other code (not names, operators, contexts)."""
    fields = _CHILD_FIELDS.get(cls)
    if fields is None:
        fields = _CHILD_FIELDS[cls] = tuple(f for f in cls._fields if f not in _SKIPPED_FIELDS)
    return fields


def nodes(node: ast.AST) -> list[ast.AST]:
    """Every node below `node` (itself included) except contexts and operators:
    ast.walk without generators, several times faster (the canonical forms walk a lot)."""
    stack: list[ast.AST] = [node]
    out: list[ast.AST] = []
    pop, push, add = stack.pop, stack.append, out.append
    while stack:
        n = pop()
        add(n)
        for name in _CHILD_FIELDS.get(n.__class__) or child_fields(n.__class__):
            value = getattr(n, name, None)
            if value.__class__ is list:
                for x in value:
                    if isinstance(x, ast.AST):
                        push(x)
            elif isinstance(value, ast.AST):
                push(value)
    return out


def _self_method(call: ast.Call) -> bool:
    f = call.func
    return isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == "self"


def _reads(node: ast.AST) -> set[str]:
    out = set()
    for n in nodes(node):
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and n.id not in ("np", "self"):
            out.add(n.id)
        elif isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == "self":
            out.add(f"self.{n.attr}")
        elif isinstance(n, ast.Call) and _self_method(n):
            out.add("self")  # a method may read any attribute
    return out


def _target_writes(target: ast.AST) -> set[str]:
    if isinstance(target, (ast.Tuple, ast.List)):
        return set().union(*(_target_writes(t) for t in target.elts)) if target.elts else set()
    key = base_key(target)
    return {key} if key else set()


def call_writes(node: ast.AST) -> set[str]:
    """Objects a call changes in place: x.append(...), np.add.at(x, ...), f(..., out=x), self.m()."""
    out = set()
    for n in nodes(node):
        if not isinstance(n, ast.Call):
            continue
        f = n.func
        if isinstance(f, ast.Attribute):
            if f.attr in MUTATORS or (f.attr == "at" and n.args):
                key = base_key(n.args[0]) if f.attr == "at" else base_key(f.value)
                out |= {key} if key else set()
            if _self_method(n):
                out.add("self")  # a method may change any attribute
        out |= {k for kw in n.keywords if kw.arg == "out" and (k := base_key(kw.value))}
    return out


def effects(stmt: ast.stmt, memo: dict | None = None) -> tuple[set[str], set[str]]:
    """(reads, writes) of one statement, its body included. memo: id(stmt) -> result, for
    callers that ask about the same unchanged statements again (canonical ordering)."""
    if memo is None:
        return _effects(stmt, None)
    found = memo.get(id(stmt))
    if found is None:
        found = memo[id(stmt)] = _effects(stmt, memo)
    return found


def _effects(stmt: ast.stmt, memo: dict | None) -> tuple[set[str], set[str]]:
    if isinstance(stmt, ast.Assign):
        writes = set().union(*(_target_writes(t) for t in stmt.targets)) | call_writes(stmt.value)
        return _reads(stmt), writes
    if isinstance(stmt, ast.Expr):
        touched = _reads(stmt)  # a bare call is there for its side effects
        return touched, touched | call_writes(stmt)
    if isinstance(stmt, _EXITS):
        return _reads(stmt) | {EVERYTHING}, {EVERYTHING}
    if isinstance(stmt, (ast.Break, ast.Continue)):
        return {LOOP_EXIT}, {LOOP_EXIT}
    return _compound_effects(stmt, memo)


def _compound_effects(stmt: ast.stmt, memo: dict | None) -> tuple[set[str], set[str]]:
    reads, writes = set(), set()
    for field in ("test", "iter", "items", "target"):
        part = getattr(stmt, field, None)
        if part is None:
            continue
        for node in part if isinstance(part, list) else [part]:
            reads |= _reads(node)
            writes |= call_writes(node)
    if isinstance(stmt, (ast.For, ast.AsyncFor)):
        writes |= _target_writes(stmt.target)
    for item in getattr(stmt, "items", []):
        if item.optional_vars is not None:
            writes |= _target_writes(item.optional_vars)
    for child in _children(stmt):
        r, w = effects(child, memo)
        reads, writes = reads | r, writes | w
    if isinstance(stmt, (ast.For, ast.AsyncFor, ast.While)):
        reads.discard(LOOP_EXIT)
        writes.discard(LOOP_EXIT)
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        reads, writes = reads - {EVERYTHING}, (writes - {EVERYTHING}) | {stmt.name}
    return reads, writes


def _children(stmt: ast.stmt) -> list[ast.stmt]:
    out: list[ast.stmt] = []
    for field in ("body", "orelse", "finalbody"):
        out += getattr(stmt, field, [])
    for handler in getattr(stmt, "handlers", []):
        out += handler.body
    return out


def conflict(a: set[str], b: set[str]) -> bool:
    """Do two key sets overlap (`self` overlaps every `self.x`, `*` everything)?"""
    if not a or not b:
        return False
    if EVERYTHING in a or EVERYTHING in b or a & b:
        return True
    if (LOOP_EXIT in a) or (LOOP_EXIT in b):
        return True
    selfish_a, selfish_b = "self" in a, "self" in b
    return (selfish_a and any(k.startswith("self.") for k in b)) or (
        selfish_b and any(k.startswith("self.") for k in a)
    )


def depends(first: tuple[set[str], set[str]], second: tuple[set[str], set[str]]) -> bool:
    """Must `second` stay after `first`? (read-after-write, write-after-read, write-after-write)"""
    (r1, w1), (r2, w2) = first, second
    return conflict(w1, r2) or conflict(r1, w2) or conflict(w1, w2)
