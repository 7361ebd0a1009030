"""What a student does to hide a copy of a classmate's hand-in: one function per evasion.

Each evasion maps a definition's source (a contract function or class, as
in the notebook cell) to a disguised source that computes the same results
(test_sim_population.py runs them). Where START/END CODE HERE markers are
present, code-level evasions change only what is between them (the copied
part) and keep the markers and comments around; without markers they
change every function body. An evasion may also add helper definitions,
which the hand-in puts in the same cell (returned in `Disguised.helpers`).

    markers_deleted      the START/END CODE HERE lines removed
    whole_functions      retyped as whole functions: no docstrings or markers, initialisations split
    renamed              every variable renamed (consistently)
    reordered            independent statements in another order
    dead_code            unused assignments, `pass`, `if False:` blocks, prints, asserts inserted
    dot_swapped          a.dot(b) / a @ b / np.dot(a, b) exchanged
    augmented_toggled    x += y <-> x = x + y
    comprehension_toggled comprehensions -> loops (hoisted when inside an expression), loops -> comprehensions
    helpers              runs of statements moved into helper functions
    reformatted          comments added, lines split inside brackets
"""

from __future__ import annotations

import ast
import copy
import io
import random
import re
import textwrap
import tokenize
from dataclasses import dataclass, field

from course.markers import END_CODE, START_CODE


@dataclass
class Disguised:
    source: str
    helpers: list[str] = field(default_factory=list)


# ------------------------------------------------------------------ text level


def markers_deleted(source: str, rng: random.Random) -> Disguised:
    lines = [ln for ln in source.splitlines() if ln.strip() not in (START_CODE, END_CODE)]
    return Disguised("\n".join(lines) + "\n")


def reformatted(source: str, rng: random.Random) -> Disguised:
    """Comments before and after statements, long lines split after a comma inside brackets."""
    inserts: list[tuple[int, int, str]] = []  # (line, col, text) to insert
    depth, first_of_line = 0, {}
    lines = source.splitlines()
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.OP and tok.string in "([{":
            depth += 1
        elif tok.type == tokenize.OP and tok.string in ")]}":
            depth -= 1
        elif tok.type == tokenize.OP and tok.string == "," and depth == 1 and rng.random() < 0.3:
            row = tok.end[0]
            indent = len(lines[row - 1]) - len(lines[row - 1].lstrip()) + 8
            inserts.append((row, tok.end[1], "\n" + " " * indent))
        elif tok.type == tokenize.NEWLINE and rng.random() < 0.4:
            inserts.append((tok.start[0], tok.start[1], f"  # {rng.choice(_REMARKS)}"))
        if (
            tok.type not in (tokenize.INDENT, tokenize.DEDENT, tokenize.NL, tokenize.COMMENT, tokenize.NEWLINE)
            and tok.start[0] not in first_of_line
        ):
            first_of_line[tok.start[0]] = tok.start[1]
    for row, col in first_of_line.items():
        if col > 0 and rng.random() < 0.2 and lines[row - 1][col : col + 3] not in ('"""', "'''"):
            inserts.append((row, 0, " " * col + f"# {rng.choice(_REMARKS)}\n"))
    for row, col, text in sorted(inserts, reverse=True):
        line = lines[row - 1]
        lines[row - 1] = line[:col] + text + line[col:]
    return Disguised("\n".join(lines) + "\n")


_REMARKS = [
    "compute this step",
    "see lecture 3",
    "vectorized",
    "careful with shapes",
    "TODO check",
    "numerical stability",
    "this took me a while",
    "works now",
    "N x C",
    "as in the notes",
]


# ------------------------------------------------------------------ code level


@dataclass
class _Context:
    rng: random.Random
    params: list[str]
    helpers: list[str] = field(default_factory=list)
    before: set[str] = field(default_factory=set)  # names that exist before the code being changed
    after: set[str] = field(default_factory=set)  # names used after it
    method: bool = False


def _regions(lines: list[str]) -> list[tuple[int, int]]:
    """(first, last) line index of each region's content (between the marker lines)."""
    out, start = [], None
    for i, line in enumerate(lines):
        if line.strip() == START_CODE:
            start = i + 1
        elif line.strip() == END_CODE and start is not None:
            out.append((start, i - 1))
            start = None
    return out


def _params_at(tree: ast.AST, line: int) -> list[str]:
    """Parameters of the innermost function around a 1-based line."""
    around = [
        n
        for n in ast.walk(tree)
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.lineno <= line <= n.end_lineno
    ]
    inner = max(around, key=lambda n: n.lineno, default=None)
    return [a.arg for a in inner.args.args if a.arg != "self"] if inner else []


def _names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _code_level(transform):
    """An evasion on statement lists -> an evasion on a definition's source."""

    def evasion(source: str, rng: random.Random) -> Disguised:
        tree = ast.parse(source)
        lines = source.splitlines()
        spans = _regions(lines)
        if not spans:  # no markers: change every function body
            ctx = _Context(rng, [])
            for fn in [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]:
                ctx.params = [a.arg for a in fn.args.args if a.arg != "self"]
                ctx.method = bool(fn.args.args) and fn.args.args[0].arg == "self"
                ctx.before = {a.arg for a in fn.args.args}
                fn.body = transform(fn.body, ctx) or [ast.Pass()]
            return Disguised(ast.unparse(ast.fix_missing_locations(tree)) + "\n", ctx.helpers)
        helpers = []
        for first, last in reversed(spans):
            body_text = textwrap.dedent("\n".join(lines[first : last + 1]))
            indent = lines[first - 1][: len(lines[first - 1]) - len(lines[first - 1].lstrip())]
            before_text, after_text = "\n".join(lines[:first]), "\n".join(lines[last + 1 :])
            ctx = _Context(
                rng,
                _params_at(tree, first + 1),
                before=set(re.findall(r"[A-Za-z_]\w*", before_text)),
                after=set(re.findall(r"[A-Za-z_]\w*", after_text)),
            )
            ctx.method = "self" in body_text
            stmts = transform(ast.parse(body_text).body, ctx) or [ast.Pass()]
            module = ast.fix_missing_locations(ast.Module(stmts, []))
            new = textwrap.indent(ast.unparse(module), indent).splitlines()
            lines[first : last + 1] = new
            helpers = ctx.helpers + helpers
        return Disguised("\n".join(lines) + "\n", helpers)

    evasion.__name__ = transform.__name__
    return evasion


def _blocks(stmts: list[ast.stmt]):
    """Every statement list inside `stmts` (itself included)."""
    yield stmts
    for s in stmts:
        for f in ("body", "orelse", "finalbody"):
            if getattr(s, f, None):
                yield from _blocks(getattr(s, f))


# ---- renamed (text level over the whole definition, so the skeleton's names follow)


def renamed(source: str, rng: random.Random) -> Disguised:
    tree = ast.parse(source)
    params = {a.arg for n in ast.walk(tree) if isinstance(n, ast.arguments) for a in (*n.posonlyargs, *n.args)}
    keywords = {kw.arg for n in ast.walk(tree) if isinstance(n, ast.Call) for kw in n.keywords if kw.arg}
    stored = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    for old in sorted(stored - params - keywords - {"self", "_"}, key=len, reverse=True):
        new = f"{rng.choice(['t', 'v', 'tmp', 'val', 'q', 'z'])}{rng.randint(10, 99)}_{len(old)}"
        source = re.sub(rf"(?<![.\w'\"])(?<!def ){re.escape(old)}(?![\w'\"])", new, source)
    return Disguised(source)


# ---- reordered


def _touches(stmt: ast.stmt) -> tuple[set[str], set[str]]:
    """(names it mentions, names it may change): conservative, independent of the report's own analysis."""
    mentioned = _names(stmt)
    changed = {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    for n in ast.walk(stmt):
        if isinstance(n, (ast.Subscript, ast.Attribute)) and isinstance(n.ctx, ast.Store):
            changed |= _names(n)
    if isinstance(stmt, ast.Expr) or any(
        isinstance(n, ast.Call)
        and isinstance(n.func, ast.Attribute)
        and n.func.attr in ("append", "fill", "sort", "at", "update")
        for n in ast.walk(stmt)
    ):
        changed |= mentioned
    return mentioned, changed


def _independent(a: ast.stmt, b: ast.stmt) -> bool:
    barrier = (ast.Return, ast.Raise, ast.Break, ast.Continue)
    if any(isinstance(n, barrier) for s in (a, b) for n in ast.walk(s)):
        return False
    (ma, ca), (mb, cb) = _touches(a), _touches(b)
    return not (ca & mb or cb & ma)


def _shuffle_block(block: list[ast.stmt], rng: random.Random) -> list[ast.stmt]:
    n = len(block)
    after = [[j for j in range(i + 1, n) if not _independent(block[i], block[j])] for i in range(n)]
    for _ in range(6):  # a random topological order; retry for one that differs
        waiting = [sum(j in after[i] for i in range(j)) for j in range(n)]
        done, order = set(), []
        while len(order) < n:
            ready = [j for j in range(n) if j not in done and waiting[j] == 0]
            pick = rng.choice(ready)
            done.add(pick)
            order.append(pick)
            for j in after[pick]:
                waiting[j] -= 1
        if order != list(range(n)):
            break
    return [block[i] for i in order]


def reordered(stmts, ctx):
    for block in list(_blocks(stmts)):
        block[:] = _shuffle_block(block, ctx.rng)
    return stmts


# ---- dead code


def _dead_statement(ctx: _Context, sample: list[ast.stmt]) -> ast.stmt:
    p = ctx.rng.choice(ctx.params) if ctx.params else "np.pi"
    k = ctx.rng.randint(1, 99)
    choices = [
        f"unused_{k} = {p}",
        f"size_{k} = len(str({p})) * 0",
        "pass",
        f"print('checking', type({p}))",
        f"assert {k} > 0, 'sanity check'",
        f"isinstance({p}, tuple)",
        "while False:\n    pass",
        f"debug_{k} = {k}",
    ]
    if sample:
        choices.append("if False:\n" + textwrap.indent(ast.unparse(ctx.rng.choice(sample)), "    "))
    return ast.parse(ctx.rng.choice(choices)).body[0]


def dead_code(stmts, ctx):
    blocks = list(_blocks(stmts))
    for _ in range(ctx.rng.randint(2, 4)):
        block = ctx.rng.choice(blocks)
        block.insert(ctx.rng.randint(0, len(block)), _dead_statement(ctx, stmts))
    return stmts


# ---- dot swapped


class _Dots(ast.NodeTransformer):
    """Every matrix product written another way."""

    def __init__(self, rng):
        self.rng = rng

    def _as(self, a, b, current):
        form = self.rng.choice([f for f in ("@", "dot", "np.dot") if f != current])
        if form == "@":
            return ast.BinOp(a, ast.MatMult(), b)
        if form == "dot":
            return ast.Call(ast.Attribute(a, "dot", ast.Load()), [b], [])
        return ast.Call(ast.Attribute(ast.Name("np", ast.Load()), "dot", ast.Load()), [a, b], [])

    def visit_BinOp(self, node):
        node = self.generic_visit(node)
        return self._as(node.left, node.right, "@") if isinstance(node.op, ast.MatMult) else node

    def visit_Call(self, node):
        node = self.generic_visit(node)
        f = node.func
        if isinstance(f, ast.Attribute) and f.attr == "dot" and len(node.args) == 1 and not node.keywords:
            if isinstance(f.value, ast.Name) and f.value.id == "np":
                return node
            return self._as(f.value, node.args[0], "dot")
        if (
            isinstance(f, ast.Attribute)
            and f.attr == "dot"
            and isinstance(f.value, ast.Name)
            and f.value.id == "np"
            and len(node.args) == 2
        ):
            return self._as(node.args[0], node.args[1], "np.dot")
        return node


def dot_swapped(stmts, ctx):
    return [_Dots(ctx.rng).visit(s) for s in stmts]


# ---- augmented toggled


class _Augmented(ast.NodeTransformer):
    def visit_AugAssign(self, node):
        target_load = copy.deepcopy(node.target)
        for n in ast.walk(target_load):
            if hasattr(n, "ctx"):
                n.ctx = ast.Load()
        return ast.Assign([node.target], ast.BinOp(target_load, node.op, node.value))

    def visit_Assign(self, node):
        if (
            len(node.targets) == 1
            and isinstance(node.value, ast.BinOp)
            and ast.dump(node.value.left) == ast.dump(node.targets[0]).replace("Store()", "Load()")
        ):
            return ast.AugAssign(node.targets[0], node.value.op, node.value.right)
        return node


def augmented_toggled(stmts, ctx):
    return [_Augmented().visit(s) for s in stmts]


# ---- comprehension toggled


def _loop_for(comp: ast.ListComp, acc: str) -> ast.stmt:
    """[e for t in it if c ...] -> for t in it: if c: acc.append(e)"""
    inner: ast.stmt = ast.Expr(ast.Call(ast.Attribute(ast.Name(acc, ast.Load()), "append", ast.Load()), [comp.elt], []))
    for gen in reversed(comp.generators):
        for cond in reversed(gen.ifs):
            inner = ast.If(cond, [inner], [])
        inner = ast.For(gen.target, gen.iter, [inner], [], None)
    return inner


class _FindComp(ast.NodeVisitor):
    def __init__(self):
        self.found = None

    def visit_ListComp(self, node):
        self.found = self.found or node

    def visit_GeneratorExp(self, node):
        self.found = self.found or node


def _hoist_comprehension(stmt: ast.stmt, k: int) -> list[ast.stmt] | None:
    """A statement with a comprehension inside -> a loop filling a list, then the statement using it."""
    finder = _FindComp()
    finder.visit(stmt)
    comp = finder.found
    if comp is None or any(isinstance(n, ast.Lambda) for n in ast.walk(stmt)):
        return None
    acc = f"items_{k}"

    class Replace(ast.NodeTransformer):
        def visit_ListComp(self, node):
            return ast.Name(acc, ast.Load()) if node is comp else self.generic_visit(node)

        visit_GeneratorExp = visit_ListComp

    init = ast.Assign([ast.Name(acc, ast.Store())], ast.List([], ast.Load()))
    loop = _loop_for(ast.ListComp(comp.elt, comp.generators), acc)
    return [init, loop, Replace().visit(stmt)]


def _comprehension_of(block: list[ast.stmt], i: int) -> ast.stmt | None:
    """acc = [] ... for t in it: acc.append(e) -> acc = [e for t in it] (block[i] is the loop)."""
    loop = block[i]
    if not (isinstance(loop, ast.For) and len(loop.body) == 1 and not loop.orelse):
        return None
    inner = loop.body[0]
    if not (
        isinstance(inner, ast.Expr)
        and isinstance(inner.value, ast.Call)
        and isinstance(inner.value.func, ast.Attribute)
        and inner.value.func.attr == "append"
        and isinstance(inner.value.func.value, ast.Name)
        and i > 0
    ):
        return None
    acc, prev = inner.value.func.value.id, block[i - 1]
    if isinstance(prev, ast.Assign) and ast.unparse(prev) == f"{acc} = []":
        comp = ast.ListComp(inner.value.args[0], [ast.comprehension(loop.target, loop.iter, [], 0)])
        return ast.Assign([ast.Name(acc, ast.Store())], comp)
    return None


def comprehension_toggled(stmts, ctx):
    for block in list(_blocks(stmts)):
        i = 0
        while i < len(block):
            made = _comprehension_of(block, i)
            if made is not None:
                block[i - 1 : i + 1] = [made]
                continue
            if not isinstance(block[i], (ast.For, ast.While, ast.If)):
                hoisted = _hoist_comprehension(block[i], ctx.rng.randint(1, 99))
                if hoisted:
                    block[i : i + 1] = hoisted
                    i += len(hoisted)
                    continue
            i += 1
    return stmts


# ---- helpers


def _stored(stmts) -> set[str]:
    return {n.id for s in stmts for n in ast.walk(s) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}


_NOT_INPUTS = {"np", "self", "range", "len", "float", "int", "zip", "enumerate", "sum", "max", "min", "print"}


def _extractable(run: list[ast.stmt], everything: list[ast.stmt], ctx: _Context) -> tuple | None:
    """Can `run` become `outputs = helper(inputs)`: a computation whose results are new
    variables, read later? -> (inputs, outputs) or None."""
    nodes = [n for s in run for n in ast.walk(s)]
    if any(isinstance(n, (ast.Return, ast.Raise, ast.Break, ast.Continue, ast.Yield)) for n in nodes):
        return None
    if any(
        isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in ("append", "at") for n in nodes
    ):
        return None
    first, last = run[0].lineno, max(s.end_lineno for s in run)
    names = [n for s in everything for n in ast.walk(s) if isinstance(n, ast.Name)]
    earlier = ctx.before | {n.id for n in names if n.lineno < first}
    later = ctx.after | {n.id for n in names if n.lineno > last}
    stored = _stored(run)
    changed_in_place = set()
    for node in nodes:
        if isinstance(node, (ast.Subscript, ast.Attribute)) and isinstance(node.ctx, ast.Store):
            changed_in_place |= _names(node.value)
    if not stored or stored & earlier or changed_in_place - stored:
        return None
    loop_targets = {
        n.id
        for s in run
        for f in ast.walk(s)
        if isinstance(f, ast.For)
        for n in ast.walk(f.target)
        if isinstance(n, ast.Name)
    }
    outputs = sorted((stored - loop_targets) & later)
    called = {n.func.id for n in nodes if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    inputs = sorted({n.id for n in nodes if isinstance(n, ast.Name)} - stored - _NOT_INPUTS - called)
    return (inputs, outputs) if outputs and len(outputs) <= 2 else None


def _runs(stmts: list[ast.stmt]):
    """(block, start, stop) for every run of 1-3 consecutive statements in every block."""
    for block in _blocks(stmts):
        for start in range(len(block)):
            for length in (1, 2, 3):
                if start + length <= len(block):
                    yield block, start, start + length


def helpers(stmts, ctx):
    """Move 1-3 runs of statements (each a computation with fresh outputs) into helper functions."""
    wanted, moved = ctx.rng.randint(1, 3), 0
    candidates = list(_runs(stmts))
    ctx.rng.shuffle(candidates)
    for block, start, stop in candidates:
        if moved >= wanted:
            break
        if stop > len(block) or any(not hasattr(s, "lineno") for s in block[start:stop]):
            continue  # an earlier move changed this block
        found = _extractable(block[start:stop], stmts, ctx)
        if not found:
            continue
        inputs, outputs = found
        use_self = ctx.method and "self" in _names(ast.Module(block[start:stop], []))
        params = (["self"] if use_self else []) + inputs
        name = f"_part_{ctx.rng.getrandbits(24):06x}"  # unique: a later definition of the same name would win
        ret = outputs[0] if len(outputs) == 1 else ", ".join(outputs)
        body = ast.unparse(ast.Module(block[start:stop], [])) + f"\nreturn {ret}"
        ctx.helpers.append(f"def {name}({', '.join(params)}):\n" + textwrap.indent(body, "    ") + "\n")
        call = ast.parse(f"{ret} = {name}({', '.join(params)})").body[0]
        for node in ast.walk(call):  # takes the place (and the line) of what it replaces
            node.lineno, node.end_lineno = block[start].lineno, block[stop - 1].end_lineno
        block[start:stop] = [call]
        moved += 1
    return stmts


def _is_none_init(stmt: ast.stmt) -> bool:
    return (
        isinstance(stmt, ast.Assign)
        and isinstance(stmt.value, ast.Constant)
        and stmt.value.value is None
        and all(isinstance(t, ast.Name) for t in stmt.targets)
    )


def as_whole_functions(source: str, rng: random.Random) -> str:
    """Retyped as whole functions: no docstrings, markers or comments, `a, b = x, y`
    split into two lines, `x = None` placeholders dropped."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if not isinstance(body, list):
            continue
        if (
            body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            body = body[1:] or [ast.Pass()]
        out = []
        for stmt in body:
            if _is_none_init(stmt):
                continue
            if (
                isinstance(stmt, ast.Assign)
                and len(stmt.targets) == 1
                and isinstance(stmt.targets[0], ast.Tuple)
                and isinstance(stmt.value, ast.Tuple)
                and len(stmt.targets[0].elts) == len(stmt.value.elts)
                and all(isinstance(t, ast.Name) for t in stmt.targets[0].elts)
            ):
                out += [ast.Assign([t], v) for t, v in zip(stmt.targets[0].elts, stmt.value.elts)]
            else:
                out.append(stmt)
        node.body = out or [ast.Pass()]
    return ast.unparse(ast.fix_missing_locations(tree)) + "\n"


def whole_functions(source: str, rng: random.Random) -> Disguised:
    return Disguised(as_whole_functions(source, rng))


EVASIONS = {
    "markers_deleted": markers_deleted,
    "whole_functions": whole_functions,
    "renamed": renamed,
    "reordered": _code_level(reordered),
    "dead_code": _code_level(dead_code),
    "dot_swapped": _code_level(dot_swapped),
    "augmented_toggled": _code_level(augmented_toggled),
    "comprehension_toggled": _code_level(comprehension_toggled),
    "helpers": _code_level(helpers),
    "reformatted": reformatted,
}


def disguise(defs: dict[str, str], names: tuple[str, ...], rng: random.Random) -> tuple[dict[str, str], dict[str, str]]:
    """Apply the evasions `names` in order to every definition ->
    (new definitions, helper sources to put before each definition)."""
    out, extra = {}, {}
    for name, source in defs.items():
        helpers_before = []
        for evasion in names:
            result = EVASIONS[evasion](source, rng)
            source, helpers_before = result.source, helpers_before + result.helpers
        out[name] = source
        if helpers_before:
            extra[name] = "\n\n".join(helpers_before)
    return out, extra
