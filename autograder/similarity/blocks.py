"""Statement-level canonical forms, applied to every block (body) of a function.

One pass per evasion a copier uses:
  drop_noise         docstrings, `pass`, bare expressions, print/display calls,
                     asserts, imports, `del`, `x = x`: no-op statements
  split_tuples       `a, b = e1, e2` -> `a = e1` and `b = e2` (when neither reads the other)
  fold_constants     `if True:` / `if 0:` / `while False:` -> the branch that runs
  drop_unreachable   statements after return / raise / break / continue
  loops_to_comprehensions
                     `acc = []` + `for ...: acc.append(e)` -> `acc = [e for ...]`
                     (also dicts, sets, and `acc = 0` + `acc += e` -> a sum)
  drop_overwritten   `x = e1` overwritten by `x = e2` later in the same block before
                     anything reads x (the release's `out = None` placeholders)
  drop_dead_stores   assignments to variables that nothing reads (iterated, so
                     dead code that only feeds dead code goes too)
  coalesce_copies    `x = y` where y is never read again and x was never used:
                     one variable (what inlining a helper leaves behind)
  inline_temporaries a variable assigned once and read once, later in the same
                     block, is replaced by its value ("extract variable" undone)
  canonical_order    independent statements in one order: a topological order
                     of the block's dependencies (effects.depends), ties broken
                     by the statements' normalised text, so any valid reordering
                     of a copy gives back the same sequence
"""

from __future__ import annotations

import ast
import zlib
from typing import TypeGuard, cast

from .effects import call_writes, depends, effects, nodes
from .emit import Emitter, header
from .rewrite import canonical

OUTPUT_CALLS = frozenset({"print", "display", "pprint"})
# Calls whose result, when thrown away, leaves nothing behind (a bare `np.shape(x)` is a no-op).
PURE_BUILTINS = frozenset(
    {
        "len",
        "float",
        "int",
        "abs",
        "max",
        "min",
        "sum",
        "range",
        "type",
        "isinstance",
        "round",
        "bool",
        "str",
        "repr",
        "list",
        "tuple",
        "dict",
        "set",
        "sorted",
        "any",
        "all",
        "id",
    }
)
IMPURE_NUMPY = frozenset(
    {
        "copyto",
        "put",
        "place",
        "putmask",
        "fill_diagonal",
        "seterr",
        "set_printoptions",
        "save",
        "savez",
        "savetxt",
        "random",
    }
)
PURE_METHODS = frozenset(
    {
        "sum",
        "mean",
        "max",
        "min",
        "argmax",
        "argmin",
        "copy",
        "reshape",
        "astype",
        "ravel",
        "flatten",
        "transpose",
        "dot",
        "std",
        "var",
        "prod",
        "cumsum",
        "any",
        "all",
        "round",
        "clip",
        "nonzero",
        "tolist",
        "item",
        "keys",
        "values",
        "items",
        "get",
    }
)
_NOISE = (ast.Pass, ast.Assert, ast.Import, ast.ImportFrom, ast.Global, ast.Nonlocal, ast.Delete)
_EXITS = (ast.Return, ast.Raise, ast.Break, ast.Continue)
_BODIES = ("body", "orelse", "finalbody")
_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_SUBSTITUTED = "_substituted"  # marks a statement inline_temporaries changed (a plain attribute of the node)


def map_blocks(stmts: list[ast.stmt], fn) -> list[ast.stmt]:
    """Apply fn (a block -> a block) to every nested block, innermost first, then to `stmts`."""
    for stmt in stmts:
        for field in _BODIES:
            if getattr(stmt, field, None):
                setattr(stmt, field, map_blocks(getattr(stmt, field), fn))
        for handler in getattr(stmt, "handlers", ()):
            handler.body = map_blocks(handler.body, fn)
    return fn(stmts)


def _statements(stmts: list[ast.stmt], out: list | None = None) -> list[ast.stmt]:
    """Every statement, nested ones included, in program order."""
    out = [] if out is None else out
    for stmt in stmts:
        out.append(stmt)
        for field in _BODIES:
            block = getattr(stmt, field, None)
            if block:
                _statements(block, out)
        for handler in getattr(stmt, "handlers", ()):
            _statements(handler.body, out)
    return out


def _own_nodes(stmt: ast.stmt) -> list[ast.AST]:
    """The nodes of a statement outside its nested blocks (a nested def: all of it)."""
    if isinstance(stmt, _DEFINITIONS) or not (
        any(getattr(stmt, f, None) for f in _BODIES) or getattr(stmt, "handlers", None)
    ):
        return nodes(stmt)
    out = []
    for field in ("test", "iter", "items", "target"):
        part = getattr(stmt, field, None)
        for node in (part if isinstance(part, list) else [part]) if part is not None else ():
            out += nodes(node)
    for handler in getattr(stmt, "handlers", ()):
        out += nodes(handler.type) if handler.type is not None else []
    return out


def _name(node: ast.AST, name: str | None = None) -> TypeGuard[ast.Name]:
    return isinstance(node, ast.Name) and (name is None or node.id == name)


def _loads(node: ast.AST) -> set[str]:
    return {n.id for n in nodes(node) if n.__class__ is ast.Name and n.ctx.__class__ is ast.Load}


def _mentions(node: ast.AST, name: str) -> bool:
    return any(n.__class__ is ast.Name and n.id == name for n in nodes(node))


# ------------------------------------------------------------------ noise


def _pure_call(call: ast.Call) -> bool:
    f = call.func
    if isinstance(f, ast.Name):
        return f.id in PURE_BUILTINS
    if isinstance(f, ast.Attribute) and _name(f.value, "np"):
        return f.attr not in IMPURE_NUMPY
    return isinstance(f, ast.Attribute) and f.attr in PURE_METHODS


def _no_effect(expr: ast.expr) -> bool:
    """An expression whose value thrown away changes nothing: no call but pure ones."""
    return all(_pure_call(n) for n in nodes(expr) if n.__class__ is ast.Call) and not any(
        isinstance(n, (ast.NamedExpr, ast.Yield, ast.YieldFrom, ast.Await, ast.Lambda)) for n in nodes(expr)
    )


def _is_noise(stmt: ast.stmt) -> bool:
    if isinstance(stmt, _NOISE):
        return True
    if isinstance(stmt, ast.Expr):
        v = stmt.value
        if isinstance(v, ast.Call) and isinstance(v.func, ast.Name) and v.func.id in OUTPUT_CALLS:
            return True
        return _no_effect(v)
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
        t, v = stmt.targets[0], stmt.value
        return isinstance(t, ast.Name) and isinstance(v, ast.Name) and t.id == v.id
    return False


def drop_noise(block: list[ast.stmt]) -> list[ast.stmt]:
    return [s for s in block if not _is_noise(s)]


def split_tuples(block: list[ast.stmt]) -> list[ast.stmt]:
    out: list[ast.stmt] = []
    for stmt in block:
        if (
            isinstance(stmt, ast.Assign)
            and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], (ast.Tuple, ast.List))
            and isinstance(stmt.value, (ast.Tuple, ast.List))
        ):
            targets, values = stmt.targets[0].elts, stmt.value.elts
            names = {t.id for t in targets if _name(t)}
            if (
                len(targets) == len(values)
                and len(names) == len(targets)
                and not any(_loads(v) & names for v in values)
            ):
                out += [ast.copy_location(ast.Assign([t], v), stmt) for t, v in zip(targets, values)]
                continue
        out.append(stmt)
    return out


def fold_constants(block: list[ast.stmt]) -> list[ast.stmt]:
    out = []
    for stmt in block:
        test = getattr(stmt, "test", None)
        if isinstance(stmt, ast.If) and isinstance(test, ast.Constant):
            out += stmt.body if test.value else stmt.orelse
        elif isinstance(stmt, ast.While) and isinstance(test, ast.Constant) and not test.value:
            out += stmt.orelse
        else:
            out.append(stmt)
    return out


def drop_unreachable(block: list[ast.stmt]) -> list[ast.stmt]:
    for i, stmt in enumerate(block):
        if isinstance(stmt, _EXITS):
            return block[: i + 1]
    return block


# ------------------------------------------------------------ loops -> comprehensions


def _accumulation(stmt: ast.stmt):
    """The innermost statement of a loop nest, as (accumulator, kind, element...) or None.
    kind: "list" (acc.append(e)), "set" (acc.add(e)), "dict" (acc[k] = e), "+" / "-" (acc = acc +/- e)."""
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
        call, f = stmt.value, stmt.value.func
        if isinstance(f, ast.Attribute) and _name(f.value) and len(call.args) == 1 and not call.keywords:
            kind = {"append": "list", "add": "set"}.get(f.attr)
            return (f.value.id, kind, call.args[0]) if kind else None
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
        t, v = stmt.targets[0], stmt.value
        if isinstance(t, ast.Subscript) and _name(t.value):
            return t.value.id, "dict", t.slice, v
        if _name(t) and isinstance(v, ast.BinOp):
            return _sum_term(t.id, v)
    return None


def _flatten_add(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _flatten_add(node.left) + _flatten_add(node.right)
    return [node]


def _sum_term(acc: str, value: ast.BinOp):
    """acc = acc + e (operands in any order, after rewrite) or acc = acc - e."""
    if isinstance(value.op, ast.Sub) and _name(value.left, acc):
        return acc, "-", value.right
    if isinstance(value.op, ast.Add):
        terms = _flatten_add(value)
        mine = [t for t in terms if _name(t, acc)]
        if len(mine) == 1:
            rest = [t for t in terms if t is not mine[0]]
            expr = rest[0]
            for t in rest[1:]:
                expr = ast.copy_location(ast.BinOp(expr, ast.Add(), t), t)
            return acc, "+", expr
    return None


def _loop_nest(loop: ast.For) -> tuple[list[ast.comprehension], ast.stmt] | None:
    """for/if nest with a single statement at the bottom -> (generators, innermost) or None."""
    gens: list[ast.comprehension] = []
    node: ast.stmt = loop
    while True:
        if isinstance(node, ast.For) and not node.orelse and len(node.body) == 1:
            gens.append(ast.comprehension(node.target, node.iter, [], 0))
            node = node.body[0]
        elif isinstance(node, ast.If) and gens and not node.orelse and len(node.body) == 1:
            gens[-1].ifs.append(node.test)
            node = node.body[0]
        else:
            return (gens, node) if gens else None


def _is_empty_init(value: ast.expr, kind: str) -> bool:
    if kind in ("+", "-"):
        return isinstance(value, ast.Constant) and type(value.value) in (int, float) and value.value == 0
    if kind == "list" and isinstance(value, ast.List) and not value.elts:
        return True
    if kind == "dict" and isinstance(value, ast.Dict) and not value.keys:
        return True
    return isinstance(value, ast.Call) and _name(value.func, kind) and not value.args and not value.keywords


def _comprehension(kind: str, parts, gens, where: ast.AST) -> ast.expr:
    def loc(n):
        return ast.copy_location(n, where)

    if kind == "list":
        return loc(ast.ListComp(parts[0], gens))
    if kind == "set":
        return loc(ast.SetComp(parts[0], gens))
    if kind == "dict":
        return loc(ast.DictComp(parts[0], parts[1], gens))
    total = loc(ast.Call(loc(ast.Attribute(loc(ast.ListComp(parts[0], gens)), "sum", ast.Load())), [], []))
    return total if kind == "+" else loc(ast.UnaryOp(ast.USub(), total))


def _as_comprehension(block: list[ast.stmt], i: int):
    """If block[i] is an accumulation loop whose accumulator starts empty earlier in
    the block (untouched in between): (index of the init, the new assignment)."""
    loop = block[i]
    nest = _loop_nest(loop) if isinstance(loop, ast.For) else None
    if nest is None:
        return None
    gens, innermost = nest
    found = _accumulation(innermost)
    if not found:
        return None
    acc, kind, *parts = found
    if any(_mentions(p, acc) for p in parts) or any(
        _mentions(g.iter, acc) or any(_mentions(c, acc) for c in g.ifs) for g in gens
    ):
        return None
    for j in range(i - 1, -1, -1):
        if not _mentions(block[j], acc):
            continue
        s = block[j]
        if (
            isinstance(s, ast.Assign)
            and len(s.targets) == 1
            and _name(s.targets[0], acc)
            and _is_empty_init(s.value, kind)
        ):
            target = ast.copy_location(ast.Name(acc, ast.Store()), block[i])
            return j, ast.copy_location(ast.Assign([target], _comprehension(kind, parts, gens, block[i])), block[i])
        return None
    return None


def loops_to_comprehensions(block: list[ast.stmt]) -> list[ast.stmt]:
    out, i = list(block), 0
    while i < len(out):
        found = _as_comprehension(out, i)
        if found:
            j, assign = found
            out[i] = assign
            del out[j]
            i -= 1
        i += 1
    return out


# ------------------------------------------------------------------ dead stores


def _plain_store(stmt: ast.stmt) -> str | None:
    """`x = e` with e changing nothing (no mutating call): x, else None."""
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and _name(stmt.targets[0]):
        return stmt.targets[0].id if not call_writes(stmt.value) else None
    return None


def drop_overwritten(block: list[ast.stmt]) -> list[ast.stmt]:
    """Straight-line code: a store nothing reads before the next plain store of the same name."""
    stores = [_plain_store(s) for s in block]
    if not any(stores):
        return block
    mentioned: dict[int, set[str]] = {}  # statement -> the names in it, computed when first needed

    def names(j: int) -> set[str]:
        if j not in mentioned:
            mentioned[j] = {n.id for n in nodes(block[j]) if n.__class__ is ast.Name}
        return mentioned[j]

    dead = set()
    for i, name in enumerate(stores):
        for j in range(i + 1, len(block)) if name else ():
            if name in names(j):
                # stores[j] is a name only for a plain `x = e` (_plain_store): block[j] is an Assign
                if stores[j] == name and name not in _loads(cast(ast.Assign, block[j]).value):
                    dead.add(i)
                break
    return [s for i, s in enumerate(block) if i not in dead]


def _local_targets(stmt: ast.stmt) -> set[str] | None:
    """Names a plain assignment binds, or None when it is not one (it then always stays)."""
    if not isinstance(stmt, ast.Assign):
        return None
    names = set()
    for t in stmt.targets:
        for n in nodes(t):
            if isinstance(n, (ast.Subscript, ast.Attribute)):
                return None
            if n.__class__ is ast.Name:
                names.add(n.id)
    return names


def _live_names(stmts: list[ast.stmt]) -> set[str]:
    """Names something that stays (a return, a store into an object, a call...) needs."""
    assigns, live = [], set()
    for stmt in _statements(stmts):
        targets = _local_targets(stmt)
        if targets is None:
            live |= {n.id for n in _own_nodes(stmt) if n.__class__ is ast.Name and n.ctx.__class__ is ast.Load}
        else:  # _local_targets found names: stmt is an Assign
            assigns.append((targets, _loads(cast(ast.Assign, stmt).value)))
    changed = True
    while changed:
        changed = False
        for targets, reads in assigns:
            if targets & live and not reads <= live:
                live |= reads
                changed = True
    return live


def _prune(block: list[ast.stmt], live: set[str], removed: list) -> list[ast.stmt]:
    out = []
    for stmt in block:
        targets = _local_targets(stmt)
        if targets is not None and not targets & live:
            removed.append(stmt)
            continue
        if isinstance(stmt, (ast.For, ast.AsyncFor, ast.While, ast.If)):
            stmt.body, stmt.orelse = _prune(stmt.body, live, removed), _prune(stmt.orelse, live, removed)
            if not stmt.body and not stmt.orelse:
                removed.append(stmt)
                continue
        elif isinstance(stmt, (ast.With, ast.AsyncWith)):
            stmt.body = _prune(stmt.body, live, removed)
        out.append(stmt)
    return out


def _count(stmts: list[ast.stmt]) -> int:
    return len(_statements(stmts))


def drop_dead_stores(body: list[ast.stmt]) -> list[ast.stmt]:
    """Function-level (liveness needs the whole function): repeat until nothing more goes."""
    while True:
        removed: list = []
        body = _prune(body, _live_names(body), removed)
        if not removed:
            return body


# ------------------------------------------------- copies and temporaries


class _Rename(ast.NodeTransformer):
    def __init__(self, old: str, new: str):
        self.old, self.new = old, new

    def visit_Name(self, node):
        return ast.copy_location(ast.Name(self.new, node.ctx), node) if node.id == self.old else node


def _positions(body: list[ast.stmt]) -> tuple[dict[str, list[int]], dict[int, int]]:
    """(name -> statement numbers where it occurs, id(statement) -> its number), in program order."""
    where: dict[str, list[int]] = {}
    numbers = {}
    for number, stmt in enumerate(_statements(body)):
        numbers[id(stmt)] = number
        for n in _own_nodes(stmt):
            if n.__class__ is ast.Name:
                where.setdefault(n.id, []).append(number)
    return where, numbers


def _is_copy(stmt: ast.stmt) -> bool:
    return (
        isinstance(stmt, ast.Assign)
        and len(stmt.targets) == 1
        and _name(stmt.targets[0])
        and _name(stmt.value)
        and stmt.targets[0].id != stmt.value.id
    )


def coalesce_copies(body: list[ast.stmt]) -> list[ast.stmt]:
    """`x = y` (any block) where y occurs nowhere after it and x nowhere before it: one
    variable. Safe in loops too: every occurrence of y precedes the copy in each pass
    through the body, every occurrence of x follows it."""
    while True:
        copies = [s for s in _statements(body) if _is_copy(s)]
        if not copies:
            return body
        where, numbers = _positions(body)
        for stmt in copies:
            assign = cast(ast.Assign, stmt)  # _is_copy checked: `x = y`, both plain names
            x, y, here = cast(ast.Name, assign.targets[0]).id, cast(ast.Name, assign.value).id, numbers[id(stmt)]
            if max(where[y]) == here and min(where[x]) == here:
                body = map_blocks(body, lambda block, gone=stmt: [s for s in block if s is not gone])
                body = [_Rename(y, x).visit(s) for s in body]
                break
        else:
            return body


class _Substitute(ast.NodeTransformer):
    def __init__(self, target: ast.Name, value: ast.expr):
        self.target, self.value, self.done = target, value, False

    def visit_Name(self, node):
        if node is self.target:
            self.done = True
            return self.value
        return node


def _single_use(body: list[ast.stmt]) -> dict[str, ast.Name]:
    """Variables stored exactly once and loaded exactly once -> the loading Name node."""
    stores: dict[str, list[ast.Name]] = {}
    loads: dict[str, list[ast.Name]] = {}
    for stmt in _statements(body):
        for n in _own_nodes(stmt):
            if n.__class__ is ast.Name:
                (loads if n.ctx.__class__ is ast.Load else stores).setdefault(n.id, []).append(n)
    return {n: uses[0] for n, uses in loads.items() if len(uses) == 1 and len(stores.get(n, ())) == 1}


def _inline_one(block: list[ast.stmt], i: int, use: ast.Name) -> bool:
    """Put block[i]'s value where its single use is, if nothing in between interferes."""
    stmt = cast(ast.Assign, block[i])  # the caller checked: `x = e` with one plain name
    reads, writes = effects(stmt)
    name = cast(ast.Name, stmt.targets[0]).id
    if writes - {name}:
        return False  # the value changes something: keep it where it is
    for j in range(i + 1, len(block)):
        later = block[j]
        if any(n is use for n in _own_nodes(later)):
            sub = _Substitute(use, stmt.value)
            sub.visit(later)
            later.__dict__[_SUBSTITUTED] = True  # its expressions need their canonical order again
            return sub.done
        r, w = effects(later)
        if w & (reads | {name}) or "*" in w:
            return False
    return False


def _inline_pass(body: list[ast.stmt]) -> bool:
    once, changed = _single_use(body), False

    def step(block):
        nonlocal changed
        i, out = 0, list(block)
        while i < len(out):
            s = out[i]
            if (
                isinstance(s, ast.Assign)
                and len(s.targets) == 1
                and _name(s.targets[0])
                and s.targets[0].id in once
                and _inline_one(out, i, once.pop(s.targets[0].id))
            ):
                del out[i]
                changed = True
                continue
            i += 1
        return out

    body[:] = map_blocks(body, step)
    return changed


def inline_temporaries(body: list[ast.stmt]) -> list[ast.stmt]:
    """Repeat until no variable is assigned once and read once, later in the same block."""
    body = list(body)
    for _ in range(_count(body)):
        if not _inline_pass(body):
            break
    return body


# ------------------------------------------------------------ canonical order

REFINE_ROUNDS = 3  # rounds of neighbourhood refinement for ties (Weisfeiler-Lehman style)


def full_key(stmt: ast.stmt, memo: dict) -> str:
    """Normalised text of a statement with its body (memo: id -> key, children first)."""
    found = memo.get(id(stmt))
    if found is None:
        e = Emitter()
        header(e, stmt, 0)
        parts = [" ".join(t.text for t in e.tokens)]
        for field in _BODIES:
            block = getattr(stmt, field, None)
            if block:
                parts += [field, "{", *(full_key(s, memo) for s in block), "}"]
        for handler in getattr(stmt, "handlers", ()):
            parts += ["except {", *(full_key(s, memo) for s in handler.body), "}"]
        found = memo[id(stmt)] = " ".join(parts)
    return found


def _refined(keys: list[str], before: list[list[int]], after: list[list[int]]) -> list[str]:
    """Tie-breakers that do not depend on the order written: each statement's text plus
    (repeatedly) the texts of what it depends on and what depends on it. Two `x = x / n`
    for different x then differ by what follows from each (`loss += ...` vs `dW += ...`)."""
    labels = keys
    for _ in range(REFINE_ROUNDS):
        labels = [
            str(
                zlib.crc32(
                    "\x1e".join(
                        [labels[i], *sorted(labels[j] for j in before[i]), "|", *sorted(labels[j] for j in after[i])]
                    ).encode()
                )
            )
            for i in range(len(keys))
        ]
    return labels


def canonical_order(block: list[ast.stmt], memo: dict | None = None) -> list[ast.stmt]:
    n = len(block)
    if n < 2:
        return block
    memo = {} if memo is None else memo
    fx = [effects(s, memo.setdefault("effects", {})) for s in block]
    keys = [full_key(s, memo.setdefault("keys", {})) for s in block]
    after = [[j for j in range(i + 1, n) if depends(fx[i], fx[j])] for i in range(n)]
    before: list[list[int]] = [[] for _ in range(n)]
    for i, js in enumerate(after):
        for j in js:
            before[j].append(i)
    waiting = [len(b) for b in before]
    priority = list(zip(keys, _refined(keys, before, after)))
    done, out = [False] * n, []
    for _ in range(n):
        ready = min((priority[j], j) for j in range(n) if not done[j] and waiting[j] == 0)[1]
        done[ready] = True
        out.append(block[ready])
        for j in after[ready]:
            waiting[j] -= 1
    return out


# ------------------------------------------------------------------ all of it


def statement_forms(body: list[ast.stmt]) -> list[ast.stmt]:
    """The passes that look at one statement at a time (also applied to the release)."""
    for step in (drop_noise, split_tuples):
        body = map_blocks(body, step)
    return body


def _simplify(body: list[ast.stmt]) -> list[ast.stmt]:
    for step in (loops_to_comprehensions, drop_overwritten):
        body = map_blocks(body, step)
    return drop_dead_stores(body)


def canonical_body(body: list[ast.stmt]) -> list[ast.stmt]:
    """All passes, in an order where each one sees what the previous ones simplified
    (merging copies can reveal an accumulation loop, which can leave a temporary...)."""
    body = statement_forms(body)
    for step in (fold_constants, drop_unreachable):
        body = map_blocks(body, step)
    body = _simplify(body)
    body = _simplify(coalesce_copies(body))
    body = inline_temporaries(body)
    for stmt in _statements(body):  # a substituted value: its operands in canonical order again
        if stmt.__dict__.pop(_SUBSTITUTED, False):
            canonical(stmt)
    memo: dict = {}  # the tree no longer changes, only the order inside blocks (innermost first)
    return map_blocks(body, lambda block: canonical_order(block, memo))
