"""Benchmark: `autograde similarity` over 1,000 synthetic submissions (budget: 60 s).

Each synthetic student writes every contract function of the test fixtures
in one of three genuinely different styles, reorders independent statements
or not, and adds a few statements of their own drawn from a pool (so some
fingerprints are unique, some shared by a handful, some by hundreds, as in
a real class). A few copy rings are planted. Generating the notebooks is not
timed; everything `autograde similarity` does is: reading 2,000 notebooks,
extraction, fingerprinting, indexing, scoring, CSV, histogram and HTML.

    .venv/bin/python -m bench.similarity [--students 1000] [--jobs 2]
"""
from __future__ import annotations

import argparse
import csv
import random
import sys
import tempfile
import time
from pathlib import Path

BUDGET_S = 60.0
TESTS = Path(__file__).resolve().parent.parent / "tests" / "similarity"
sys.path.insert(0, str(TESTS))  # the fixture solutions and notebook writer of the test suite

from sim_helpers import ANSWERS, reorder_independent, rename_assigned, style, write_release, write_submission  # noqa: E402

NUMPY_CALLS = ["sum", "mean", "max", "min", "exp", "log", "abs", "sqrt", "square", "cumsum", "argmax",
               "argmin", "clip", "tanh", "sign", "ravel", "transpose", "diff", "median", "std", "var",
               "prod", "floor", "ceil", "round", "sort", "argsort", "unique", "nonzero", "ptp"]
ATTRIBUTES = ["T", "shape", "ndim", "size", "dtype", "real", "imag", "flat", "base", "nbytes"]


def statement_pool(rng: random.Random, size: int = 400) -> list[str]:
    """Statements a student might add (checks, prints of shapes...): structurally varied."""
    pool = []
    for _ in range(size):
        inner = f"np.{rng.choice(NUMPY_CALLS)}(aux{rng.randint(0, 3)})"
        for _ in range(rng.randint(0, 2)):
            inner = f"np.{rng.choice(NUMPY_CALLS)}({inner}, axis={rng.randint(0, 1)})"
        pool.append(f"check_{rng.randint(0, 9)} = {inner}.{rng.choice(ATTRIBUTES)}")
    return pool


def student_code(rng: random.Random, pool: list[str]) -> dict[str, str]:
    code = {}
    for name, region in style(0).items():
        region = style(rng.randint(0, 2))[name]
        if rng.random() < 0.5:
            region = reorder_independent(region)
        lines = region.strip("\n").splitlines()
        for _ in range(rng.randint(1, 3)):  # own additions at top level, between statements
            spots = [i for i, l in enumerate(lines) if not l.startswith((" ", "\t"))] + [len(lines)]
            lines.insert(rng.choice(spots), rng.choice(pool).replace("aux", "x" if "x" in region else "X"))
        code[name] = rename_assigned("\n".join(lines), f"_{rng.randint(0, 99)}")
    return code


def student_answers(rng: random.Random) -> dict[str, str]:
    words = " ".join(ANSWERS["1.1"] + ANSWERS["2.1"]).split()
    return {q: " ".join(rng.choice(words) for _ in range(rng.randint(10, 30))) for q in ("1.1", "2.1")}


def generate(root: Path, n: int, seed: int = 2026) -> list[tuple[str, str]]:
    """Write n submissions; returns the planted copy pairs (original, copier)."""
    rng, planted = random.Random(seed), []
    pool = statement_pool(rng)
    codes = {}
    for i in range(n):
        sid = f"student{i:04d}"
        if i >= 10 and rng.random() < 0.02:  # copier: someone's code, renamed and reordered
            original = f"student{rng.randint(0, i - 1):04d}"
            codes[sid] = {k: reorder_independent(rename_assigned(v, "_c")) for k, v in codes[original].items()}
            planted.append((original, sid))
        else:
            codes[sid] = student_code(rng, pool)
        write_submission(root / "submissions" / sid, codes[sid], student_answers(rng))
    write_release(root / "release")
    return planted


def separated(ranked: list[tuple[str, str]], planted: list[tuple[str, str]]) -> int:
    """How many planted pairs rank above the best pair of students not linked by a
    chain of copies (a copy of a copy links three students: all three pairs are fair hits)."""
    group = {}
    for a, b in planted:  # union of copy chains; tiny, so no union-find needed
        merged = group.get(a, {a}) | group.get(b, {b})
        for s in merged:
            group[s] = merged
    linked = lambda a, b: b in group.get(a, ())  # noqa: E731
    first_unlinked = next((i for i, (a, b) in enumerate(ranked) if not linked(a, b)), len(ranked))
    above = {frozenset(p) for p in ranked[:first_unlinked]}
    return sum(frozenset(p) in above for p in planted)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv or [])  # bench.run calls main() with no arguments

    from autograder.similarity.cli import main as similarity

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        planted = generate(root, args.students)
        print(f"bench similarity: generated {args.students} submissions ({len(planted)} planted copies) "
              f"in {time.perf_counter() - t0:.1f} s (not timed)")
        start = time.perf_counter()
        rc = similarity([str(root / "submissions"), "--out", str(root / "out"),
                         "--release", str(root / "release"), "--jobs", str(args.jobs)])
        elapsed = time.perf_counter() - start
        with open(root / "out" / "pairs.csv", newline="") as f:
            ranked = [(r["student_a"], r["student_b"]) for r in csv.DictReader(f)]
    found = separated(ranked, planted)
    print(f"bench similarity: {args.students} submissions in {elapsed:.1f} s "
          f"(budget {BUDGET_S:.0f} s, --jobs {args.jobs}); planted copies ranked above every pair "
          f"not linked by copying: {found}/{len(planted)}")
    return 0 if rc == 0 and elapsed < BUDGET_S else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
