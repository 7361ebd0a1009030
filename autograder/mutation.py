"""Mutation run: how many deliberately broken copies of the reference
solution do the hidden tests catch?

    python -m autograder.mutation [--jobs 2] [--names affine_backward ...] [--limit N] [--out build/mutation.json]

An own AST mutator (no extra dependency) walks the SOLUTION regions of every
contract function and method (the code between BEGIN/END SOLUTION, i.e. what
students write) and makes one change at a time: flip an arithmetic, augmented
or comparison operator, drop one operand of a binary operation, drop a unary
minus, change a numeric constant, change an axis / keepdims / boolean
keyword, swap a numpy reduction (max<->min, sum<->mean, argmax<->argmin), or
remove a statement. Each mutant is appended as a last code cell to its part's
solution notebook (the later definition wins, as for students) and graded by
`grade_submission` in a real sandbox; it is killed when any item of that part
loses points. Survivors are listed with their change so they can be judged
(equivalent or a gap in the tests). Slow (minutes): not part of `make test`.
"""

from __future__ import annotations

import argparse
import ast
import copy
import json
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path

from course.config import load_config
from course.contract import contract_names, part_of
from course.rubric import load_rubric

from .extract import extract
from .reference import solution_notebooks

FLIP_BINOP = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.Div,
    ast.Div: ast.Mult,
    ast.MatMult: ast.Mult,
    ast.Pow: ast.Mult,
    ast.FloorDiv: ast.Div,
}
FLIP_CMP = {ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Eq: ast.NotEq, ast.NotEq: ast.Eq}
SWAP_FUNC = {
    "max": "min",
    "min": "max",
    "sum": "mean",
    "mean": "sum",
    "argmax": "argmin",
    "argmin": "argmax",
    "maximum": "minimum",
    "minimum": "maximum",
}
# A number in the code -> what its mutants put there (any other c: 2c, or 1 for 0.0);
# float keys because 1.0 == 1 looks the same entries up
CONSTANT_MUTANTS: dict[float, list[int]] = {0: [1], 1: [0, 2], 2: [1, 3]}
FLIP_AXIS: dict[object, int] = {0: 1, 1: 0, -1: 0}  # axis=... -> the other axis (anything else -> 0)


# Mutants judged equivalent (no input can tell them apart under the contract):
# (reason, test on the changed line before/after).
EQUIVALENT = [
    (
        "sampling minibatches without replacement is correct too (batch_size < N here)",
        lambda old, new: "replace=True" in old and new == old.replace("replace=True", "replace=False"),
    ),
    (
        "numpy treats any negative reshape size as 'infer this dimension', so -2 acts as -1",
        lambda old, new: ".reshape(" in old and new == old.replace(", -1)", ", -2)"),
    ),
]


@dataclass
class Mutant:
    name: str  # contract name whose definition is mutated
    part: str
    change: str  # human-readable description
    line: int  # line in the definition
    source: str  # the whole mutated definition
    before: str = ""  # the changed line, before and after (unparsed)
    after: str = ""

    @property
    def equivalent(self) -> str:
        """Why this mutant cannot change any result ("" when it can)."""
        for reason, test in EQUIVALENT:
            if test(self.before.strip(), self.after.strip()):
                return reason
        return ""


@dataclass
class Verdict:
    mutant: Mutant
    killed: bool
    items: list[str] = field(default_factory=list)  # items that lost points
    reason: str = ""
    seconds: float = 0.0


# ---------------------------------------------------------------- mutants


def solution_lines(source: str) -> set[int]:
    """1-based line numbers inside BEGIN/END SOLUTION in a definition's source."""
    from course.stubs import solution_walk

    return {i + 1 for i, _, where in solution_walk(source.splitlines()) if where == "inside"}


def _edits(node: ast.AST):
    """(description, apply) pairs for one node; apply(node) mutates it in place."""

    def setter(attr, value):
        return lambda n: setattr(n, attr, value)

    if isinstance(node, ast.BinOp):
        if type(node.op) in FLIP_BINOP:
            new_op = FLIP_BINOP[type(node.op)]
            yield f"{type(node.op).__name__} -> {new_op.__name__}", setter("op", new_op())
    if isinstance(node, ast.AugAssign) and type(node.op) in FLIP_BINOP:
        new_op = FLIP_BINOP[type(node.op)]
        yield f"augmented {type(node.op).__name__} -> {new_op.__name__}", setter("op", new_op())
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in FLIP_CMP:
        new_cmp = FLIP_CMP[type(node.ops[0])]
        yield f"{type(node.ops[0]).__name__} -> {new_cmp.__name__}", setter("ops", [new_cmp()])
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        v = node.value
        for new in CONSTANT_MUTANTS.get(v, [v * 2 if v else 1]):
            yield f"constant {v!r} -> {new!r}", setter("value", type(v)(new))
    if isinstance(node, ast.Constant) and isinstance(node.value, bool):
        yield f"{node.value} -> {not node.value}", setter("value", not node.value)
    if isinstance(node, ast.keyword) and node.arg == "axis" and isinstance(node.value, ast.Constant):
        axis: object = node.value.value  # whatever constant the code wrote
        new_axis = FLIP_AXIS.get(axis, 0)
        yield f"axis={axis} -> axis={new_axis}", lambda n, new=new_axis: setattr(n, "value", ast.Constant(new))
    if isinstance(node, ast.Attribute) and node.attr in SWAP_FUNC:
        yield f".{node.attr} -> .{SWAP_FUNC[node.attr]}", setter("attr", SWAP_FUNC[node.attr])


def _replacements(node: ast.AST):
    """(description, new node) for replacing `node` entirely."""
    if isinstance(node, ast.BinOp):
        yield f"drop right operand of {type(node.op).__name__}", node.left
        yield f"drop left operand of {type(node.op).__name__}", node.right
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        yield "drop unary minus", node.operand


def _statements(tree):
    """Every statement list (body/orelse) in the tree: for statement removal."""
    for node in ast.walk(tree):
        for attr in ("body", "orelse"):
            block = getattr(node, attr, None)
            if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                yield node, attr, block


def mutants_of(name: str, source: str) -> list[Mutant]:
    part = part_of(name)
    tree = ast.parse(source)
    region = solution_lines(source)
    original = ast.unparse(tree)
    out, seen = [], set()

    def emit(change, line, mutated_tree):
        text = ast.unparse(ast.fix_missing_locations(mutated_tree))
        if text != original and text not in seen:
            seen.add(text)
            old, new = _changed_line(original, text)
            out.append(Mutant(name, part, change, line, text, old, new))

    nodes = [(n, line) for n in ast.walk(tree) if (line := getattr(n, "lineno", None)) in region]
    for node, line in nodes:
        for change, apply in _edits(node):
            clone = copy.deepcopy(tree)
            target = _twin(clone, tree, node)
            apply(target)
            emit(change, line, clone)
        for change, _ in _replacements(node):
            clone = copy.deepcopy(tree)
            target = _twin(clone, tree, node)
            new = dict(_replacements(target))[change]
            if _replace_child(clone, target, new):
                emit(change, line, clone)
    for owner, attr, block in list(_statements(tree)):
        for i, stmt in enumerate(block):
            if stmt.lineno not in region:
                continue
            clone = copy.deepcopy(tree)
            twin = _twin(clone, tree, owner)
            body = getattr(twin, attr)
            body[i] = ast.Pass()
            emit(f"remove statement `{ast.unparse(stmt)[:60]}`", stmt.lineno, clone)
    return out


def _changed_line(a: str, b: str) -> tuple[str, str]:
    """First differing line of two sources (what a survivor listing shows)."""
    for x, y in zip(a.splitlines(), b.splitlines()):
        if x != y:
            return x, y
    return "", ""


def _twin(clone, tree, node):
    """The node of `clone` at the position `node` has in `tree`."""
    return list(ast.walk(clone))[list(ast.walk(tree)).index(node)]


def _replace_child(tree, target, new) -> bool:
    for parent in ast.walk(tree):
        for fname, value in ast.iter_fields(parent):
            if value is target:
                setattr(parent, fname, new)
                return True
            if isinstance(value, list) and any(v is target for v in value):
                setattr(parent, fname, [new if v is target else v for v in value])
                return True
    return False


def all_mutants(names=None) -> list[Mutant]:
    ext = extract(solution_notebooks())
    return [m for name in (names or contract_names()) for m in mutants_of(name, ext.definitions[name].source)]


# ---------------------------------------------------------------- grading


@cache
def _solution_notebook(part: str) -> dict:
    """The parsed solution notebook of a part (read once per process; copy before changing it)."""
    return json.loads(load_config().solution_notebook(part).read_text())


def _submission(mutant: Mutant, folder: Path) -> list[Path]:
    cfg = load_config()
    nb = copy.deepcopy(_solution_notebook(mutant.part))
    nb["cells"].append(
        {
            "cell_type": "code",
            "execution_count": None,
            "metadata": {},
            "outputs": [],
            "source": mutant.source.splitlines(keepends=True),
        }
    )
    path = folder / cfg.notebooks[mutant.part]
    path.write_text(json.dumps(nb))
    return [path]


def judge(mutant: Mutant, slot: int = 0) -> Verdict:
    from .runner import grade_submission
    from .sandbox import Limits

    start = time.perf_counter()
    items = {i.id for i in load_rubric().auto if i.part == mutant.part}
    with tempfile.TemporaryDirectory() as tmp:
        result = grade_submission(
            "mutant", _submission(mutant, Path(tmp)), slot=slot, limits=Limits(call_seconds=10.0, wall_seconds=120.0)
        )
    lost = sorted(i.id for i in result.items.values() if i.id in items and i.points < i.max_points)
    reason = "; ".join(line for i in lost for line in result.items[i].feedback[:1])
    return Verdict(mutant, bool(lost), lost, reason, round(time.perf_counter() - start, 2))


def _worker(args):
    mutant, slot = args
    return judge(mutant, slot)


def run(mutants: list[Mutant], jobs: int) -> list[Verdict]:
    verdicts = []
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(_worker, (m, i % jobs)) for i, m in enumerate(mutants)]
        for done, fut in enumerate(as_completed(futures), start=1):
            verdicts.append(fut.result())
            if done % 10 == 0 or done == len(mutants):
                print(f"{done}/{len(mutants)} mutants graded", file=sys.stderr, flush=True)
    return verdicts


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m autograder.mutation", description=__doc__.split("\n\n")[0])
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--names", nargs="*", help="contract names to mutate (default: all)")
    ap.add_argument("--limit", type=int, default=0, help="grade only the first N mutants")
    ap.add_argument("--out", type=Path, default=Path("build/mutation.json"))
    args = ap.parse_args(argv)
    mutants = all_mutants(args.names)
    if args.limit:
        mutants = mutants[: args.limit]
    start = time.perf_counter()
    verdicts = run(mutants, args.jobs)
    killed = [v for v in verdicts if v.killed]
    survivors = sorted((v for v in verdicts if not v.killed), key=lambda v: (v.mutant.name, v.mutant.line))
    equivalent = [v for v in survivors if v.mutant.equivalent]
    real = len(verdicts) - len(equivalent)
    print(
        f"{len(killed)}/{len(verdicts)} mutants killed ({100 * len(killed) / max(1, len(verdicts)):.1f}%) "
        f"in {time.perf_counter() - start:.0f} s; {len(equivalent)} survivors are equivalent, so "
        f"{len(killed)}/{real} non-equivalent mutants killed ({100 * len(killed) / max(1, real):.1f}%)"
    )
    by_name: dict[str, tuple[int, int]] = {}  # function -> (mutants killed, mutants)
    for v in verdicts:
        k, n = by_name.get(v.mutant.name, (0, 0))
        by_name[v.mutant.name] = (k + v.killed, n + 1)
    for name, (k, n) in by_name.items():
        print(f"  {name:26s} {k}/{n} killed")
    print("survivors:")
    for v in survivors:
        why = (
            f"EQUIVALENT: {v.mutant.equivalent}" if v.mutant.equivalent else "NOT EQUIVALENT: a gap in the hidden tests"
        )
        print(f"  {v.mutant.name}: {v.mutant.change}")
        print(f"      - {v.mutant.before.strip()}\n      + {v.mutant.after.strip()}\n      {why}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps([asdict(v) for v in verdicts], indent=1))
    print(f"details: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
