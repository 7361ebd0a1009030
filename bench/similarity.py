"""Benchmark of `autograde similarity`: does a disguised copy stand out, and how fast is it.

Quality: a class of independent, correct hand-ins that really differ
(tests/similarity/sim_population.py: the phrasebook's combinations, the
alternative implementations the tests hold, the reference, whole-function
rewriters), written as full release notebooks, plus planted copies of
distinct originals under each evasion alone and under every combination of
two (tests/similarity/sim_evasions.py), plus rings of 6 to 12 students
sharing one solution. Reported per evasion:
  recall   share of planted copies whose pair scores above every pair of
           independent students (or that land in one group with their original)
  flagged  share of planted copies at or above the report's flag line
and the false-positive rate: independent pairs at or above the flag line,
over all n(n-1)/2 independent pairs (plus independent students grouped together).

Speed: the whole `autograde similarity` run (reading every notebook,
extraction, canonical forms, fingerprints, groups, index, scores, CSV,
histogram, HTML) over --speed-students hand-ins, --jobs 2. Generating the
notebooks is not timed.

    .venv/bin/python -m bench.similarity [--students 1000] [--single 40] [--pairs 12]
                                         [--speed-students 10000] [--jobs 2] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import resource
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

TESTS = Path(__file__).resolve().parent.parent / "tests" / "similarity"
sys.path.insert(0, str(TESTS))  # the population and evasions of the test suite

from sim_evasions import EVASIONS, disguise  # noqa: E402
from sim_population import (  # noqa: E402
    held_alternatives,
    load_release,
    notebooks_for,
    student_answers,
    student_definitions,
    write_hand_in,
)

RECALL_SINGLE_MIN, RECALL_PAIR_MIN = 0.95, 0.90
SPEED_BUDGET_S, SPEED_STUDENTS = 300.0, 10_000
RING_SIZES = (6, 8, 12)
QUESTIONS = ("1.1", "1.2", "1.3", "2.1", "2.2", "2.3")


@dataclass
class Truth:
    planted: list[tuple[str, str, str]] = field(default_factory=list)  # (original, copier, evasion label)
    rings: list[list[str]] = field(default_factory=list)  # students sharing one solution
    independent: list[str] = field(default_factory=list)


def _changed(before: dict[str, str], after: dict[str, str], extra: dict[str, str]) -> bool:
    return bool(extra) or any(before[k] != after[k] for k in before)


def generate(
    root: Path,
    n: int,
    single: int,
    pairs: int,
    rings: tuple[int, ...],
    seed: int = 2026,
    combinations: int | None = None,
) -> Truth:
    """Write the class to root/submissions and return who copied whom: `single` copies per
    evasion, `pairs` per combination of two (of the first `combinations` combinations
    in a seeded random order, or all of them), rings of the given sizes."""
    rng, rel, truth = random.Random(seed), load_release(), Truth()
    subs = root / "submissions"
    defs, held = {}, {}
    for k, (name, source) in zip(rng.sample(range(n), n), held_alternatives()):
        held.setdefault(k, {})[name] = source  # each alternative the tests hold: one student writes it
    for i in range(n):
        sid = f"s{i:05d}"
        defs[sid] = student_definitions(rel, rng, held.get(i))
        write_hand_in(subs / sid, notebooks_for(rel, defs[sid], student_answers(rng, QUESTIONS)))
        truth.independent.append(sid)
    originals = iter(rng.sample(truth.independent, len(truth.independent)))
    combos = list(itertools.combinations(EVASIONS, 2))
    if combinations is not None:
        combos = rng.sample(combos, combinations)
    labels = [(e,) for e in EVASIONS for _ in range(single)]
    per_combination = pairs if combinations is None else max(pairs, 1)
    labels += [combo for combo in combos for _ in range(per_combination)]
    for k, names in enumerate(labels):
        for original in originals:  # the next original this evasion really changes
            copied, extra = disguise(defs[original], names, rng)
            if _changed(defs[original], copied, extra):
                break
        else:
            raise RuntimeError("ran out of originals: raise --students")
        copier = f"c{k:04d}_{'+'.join(names)}"
        write_hand_in(subs / copier, notebooks_for(rel, copied, student_answers(rng, QUESTIONS), extra))
        truth.planted.append((original, copier, " + ".join(names)))
    for r, size in enumerate(rings):
        source = next(originals)
        members = [source]
        for m in range(size - 1):
            copied, extra = disguise(defs[source], (rng.choice(list(EVASIONS)),), rng)
            sid = f"ring{r}_{m:02d}"
            write_hand_in(subs / sid, notebooks_for(rel, copied, student_answers(rng, QUESTIONS), extra))
            members.append(sid)
        truth.rings.append(members)
    return truth


def _linked(truth: Truth) -> set[frozenset]:
    out = {frozenset((a, b)) for a, b, _ in truth.planted}
    for ring in truth.rings:
        out |= {frozenset(p) for p in itertools.combinations(ring, 2)}
    return out


def evaluate(outcome, truth: Truth, flag: float) -> dict:
    """Recall per evasion label, false positives, rings."""
    index, ranked = outcome.index, outcome.ranked
    names, p = index.students, ranked.pairs
    score = {frozenset((names[a], names[b])): c for a, b, c in zip(p.a.tolist(), p.b.tolist(), ranked.code.tolist())}
    rep = {names[i]: int(r) for i, r in enumerate(index.representative)}
    linked = _linked(truth)
    independent = [c for key, c in score.items() if key not in linked]
    worst = max(independent, default=0.0)
    top = sorted(((c, sorted(key)) for key, c in score.items() if key not in linked), reverse=True)[:5]
    grouped_wrongly = sum(
        1
        for g in index.groups()
        for x, y in itertools.combinations(g.tolist(), 2)
        if frozenset((names[x], names[y])) not in linked
    )
    n = len(truth.independent) + len(truth.planted) + sum(len(r) - 1 for r in truth.rings)
    per_label: dict[str, list[tuple[bool, bool, float]]] = {}
    for original, copier, label in truth.planted:
        s = score.get(frozenset((original, copier)), 0.0)
        together = rep.get(original, -1) == rep.get(copier, -2)
        per_label.setdefault(label, []).append((s > worst or together, s >= flag or together, s))
    rings = []
    for ring in truth.rings:
        found = [
            score.get(frozenset(q), 0.0) > worst or rep.get(q[0], -1) == rep.get(q[1], -2)
            for q in itertools.combinations(ring, 2)
        ]
        rings.append((len(ring), sum(found), len(found), len({rep.get(s) for s in ring})))
    return {
        "per_label": per_label,
        "worst_independent": worst,
        "top_independent": top,
        "false_positives": sum(c >= flag for c in independent) + grouped_wrongly,
        "independent_pairs": n * (n - 1) // 2 - len(linked),
        "rings": rings,
        "sampled_max": _sampled_independent_max(index, truth, linked),
    }


def _sampled_independent_max(index, truth: Truth, linked: set, samples: int = 20_000) -> float:
    """Exact scores of random independent pairs, whether or not the index paired them."""
    from autograder.similarity import index as idx

    rng = np.random.default_rng(0)
    pos = {s: i for i, s in enumerate(index.students)}
    pool = np.array([pos[s] for s in truth.independent if s in pos])
    a, b = rng.choice(pool, samples), rng.choice(pool, samples)
    keep = np.array(
        [
            x != y and frozenset((index.students[x], index.students[y])) not in linked
            for x, y in zip(a.tolist(), b.tolist())
        ],
        dtype=bool,
    )
    a, b = a[keep], b[keep]
    shared = idx.shared_weights(index, a, b)
    denom = np.minimum(index.totals[a], index.totals[b])
    code = index.corpus.is_code
    return float(idx._pooled(shared, denom, code).max()) if len(a) else 0.0


def print_quality(result: dict, flag: float) -> bool:
    print(f"{'evasion':<46} {'copies':>6} {'recall':>7} {'flagged':>8} {'median':>7} {'lowest':>7}")
    ok = True
    for label, rows in result["per_label"].items():
        recall = np.mean([r[0] for r in rows])
        target = RECALL_PAIR_MIN if "+" in label else RECALL_SINGLE_MIN
        ok &= recall >= target
        print(
            f"{label:<46} {len(rows):>6} {recall:>7.0%} {np.mean([r[1] for r in rows]):>8.0%} "
            f"{np.median([r[2] for r in rows]):>7.2f} {min(r[2] for r in rows):>7.2f}"
            f"{'' if recall >= target else '   < target'}"
        )
    singles = [r for label, rows in result["per_label"].items() if "+" not in label for r in rows]
    doubles = [r for label, rows in result["per_label"].items() if "+" in label for r in rows]
    for name, rows in (("all single evasions", singles), ("all combinations of two", doubles)):
        if rows:
            print(
                f"{name:<46} {len(rows):>6} {np.mean([r[0] for r in rows]):>7.1%} "
                f"{np.mean([r[1] for r in rows]):>8.1%} {np.median([r[2] for r in rows]):>7.2f} "
                f"{min(r[2] for r in rows):>7.2f}"
            )
    fp, total = result["false_positives"], result["independent_pairs"]
    print("best-scoring independent pairs: " + ", ".join(f"{a}/{b} {c:.3f}" for c, (a, b) in result["top_independent"]))
    print(
        f"best-scoring independent pair: {result['worst_independent']:.3f} "
        f"(exact scores of 20,000 random independent pairs: max {result['sampled_max']:.3f}); flag line {flag}"
    )
    print(f"false positives: {fp} of {total:,} independent pairs at or above the flag line ({fp / max(total, 1):.2e})")
    for size, found, total_pairs, groups in result["rings"]:
        print(f"ring of {size} sharing one solution: {found}/{total_pairs} pairs found, in {groups} group(s)")
        ok &= found == total_pairs
    return ok and fp == 0


def _cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the report's workers)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _run(root: Path, jobs: int):
    """One timed `autograde similarity` run -> (outcome, wall seconds, CPU seconds, load average at the end)."""
    from autograder.similarity.cli import run

    start, cpu = time.perf_counter(), _cpu_seconds()
    outcome = run([str(root / "submissions"), "--out", str(root / "out"), "--jobs", str(jobs)])
    return outcome, time.perf_counter() - start, _cpu_seconds() - cpu, os.getloadavg()[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=1500, help="independent students in the quality class")
    parser.add_argument("--single", type=int, default=40, help="planted copies per single evasion")
    parser.add_argument("--pairs", type=int, default=10, help="planted copies per combination of two")
    parser.add_argument("--speed-students", type=int, default=SPEED_STUDENTS, help="0 to skip the speed run")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--workdir", type=Path, default=None, help="keep the generated classes here")
    args = parser.parse_args(argv or [])  # bench.run calls main() with no arguments

    from autograder.similarity.report import FLAG_SCORE

    with tempfile.TemporaryDirectory() as tmp:
        work = args.workdir or Path(tmp)
        t0 = time.perf_counter()
        truth = generate(work / "quality", args.students, args.single, args.pairs, RING_SIZES)
        print(
            f"bench similarity: quality class of {len(truth.independent)} independent students, "
            f"{len(truth.planted)} planted copies, rings of {RING_SIZES}: generated in "
            f"{time.perf_counter() - t0:.0f} s (not timed)",
            flush=True,
        )
        outcome, seconds, _, _ = _run(work / "quality", args.jobs)
        print(f"bench similarity: quality run took {seconds:.1f} s")
        ok = print_quality(evaluate(outcome, truth, FLAG_SCORE), FLAG_SCORE)
        if args.speed_students:
            n = args.speed_students
            t0 = time.perf_counter()
            planted = 5 * len(EVASIONS) + len(list(itertools.combinations(EVASIONS, 2)))
            generate(work / "speed", n - planted - sum(RING_SIZES) + len(RING_SIZES), 5, 1, RING_SIZES, seed=7)
            print(
                f"bench similarity: speed class of {n} hand-ins generated in {time.perf_counter() - t0:.0f} s "
                "(not timed)",
                flush=True,
            )
            outcome, seconds, cpu, load = _run(work / "speed", args.jobs)
            print(
                f"bench similarity: {len(outcome.index.students)} submissions compared in {seconds:.1f} s "
                f"(budget {SPEED_BUDGET_S:.0f} s on {args.jobs} workers); CPU time {cpu:.0f} s; the machine's "
                f"load average over the last 5 minutes: {load:.1f} on {os.cpu_count()} cores"
            )
            ok &= seconds < SPEED_BUDGET_S
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
