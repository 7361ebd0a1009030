"""`autograde similarity SUBMISSIONS --out OUT`: the class's similarity report.

Exit status 0 when the report was written (whatever it found, even for a
class of one); 2 when it could not be (no such folder, no student folders).
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from tqdm import tqdm

from course.config import load_config

from ..discover import DiscoveryError, discover
from ..notebook_io import NotebookError, find_notebooks
from . import fingerprint, index as idx
from .report import Context, write_all
from .submissions import Submission, load, load_release

_starter: idx.Starter | None = None  # set once per worker process


def _init(starter: idx.Starter) -> None:
    global _starter
    _starter = starter


def _analyse(job: tuple[str, list[Path]]) -> tuple[Submission, dict]:
    sub = load(*job)
    return sub, idx.submission_fingerprints(sub, _starter)


def release_notebooks(release_dir: Path | None) -> list[Path]:
    if release_dir is not None:
        return find_notebooks(release_dir)
    cfg = load_config()
    return [p for part in cfg.notebooks if (p := cfg.release_notebook(part)).is_file()]


def analyse_all(jobs: list[tuple[str, list[Path]]], starter: idx.Starter, workers: int):
    """[(student_id, notebooks)] -> [(Submission, fingerprints)], in input order."""
    bar = dict(total=len(jobs), desc="similarity: reading", unit="student", disable=None, file=sys.stderr)
    if workers <= 1 or len(jobs) < 50:  # a pool costs more than it saves on a small class
        _init(starter)
        return [_analyse(j) for j in tqdm(jobs, **bar)]
    with ProcessPoolExecutor(workers, initializer=_init, initargs=(starter,)) as pool:
        return list(tqdm(pool.map(_analyse, jobs, chunksize=16), **bar))


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="autograde similarity", description=__doc__.splitlines()[0])
    p.add_argument("submissions", type=Path, help="SUBMISSIONS/<student_id>/*.ipynb (or nbgrader's submitted/)")
    p.add_argument("--out", type=Path, required=True, help="folder for report.html, pairs.csv, histogram.png")
    p.add_argument("--release", type=Path, default=None,
                   help="folder with the student release notebooks (default: assignments/ from course.toml)")
    p.add_argument("--top", type=int, default=50, help="pairs shown in detail in report.html (default 50)")
    p.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1), help="worker processes")
    return p


def _notes(n: int, release: list[Path]) -> list[str]:
    notes = []
    if n == 0:
        notes.append("No submission could be read: see the list of problems.")
    elif n == 1:
        notes.append("Only one submission could be read: there is nothing to compare it with.")
    elif n == 2:
        notes.append("Only two submissions: idioms common to a class cannot be recognised, "
                     "so the score is their raw overlap.")
    if not release:
        notes.append("No release notebooks found: code given to every student (such as an untouched "
                     "`raise NotImplementedError`) can count as a match. Run `make release` or pass --release.")
    return notes


def _triage(analysed):
    """-> (submissions with something to compare, problems for the report)."""
    problems = [f"{s.student_id}: {p}" for s, _ in analysed for p in s.problems]
    problems += [f"{s.student_id}: no code inside START/END CODE HERE and no inline answers found; left out"
                 for s, _ in analysed if not (s.code or s.answers) and not s.problems]
    return [(s, fp) for s, fp in analysed if s.code or s.answers], problems


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    start = time.perf_counter()
    try:  # the same discovery as grading: flat, nbgrader and loose-file layouts
        found = {s.student_id: s.notebooks for s in discover(args.submissions)}
    except DiscoveryError as exc:
        print(f"autograde similarity: {exc}", file=sys.stderr)
        return 2
    if args.release is not None and not args.release.is_dir():
        print(f"autograde similarity: --release {args.release} is not a folder", file=sys.stderr)
        return 2
    release = release_notebooks(args.release)
    try:
        starter = idx.Starter.from_release(*load_release(release))
    except NotebookError as exc:
        print(f"autograde similarity: {exc}", file=sys.stderr)
        return 2

    analysed = analyse_all(list(found.items()), starter, args.jobs)
    usable, problems = _triage(analysed)
    for p in problems:
        print(f"autograde similarity: {p}", file=sys.stderr)

    index = idx.build_index([s.student_id for s, _ in usable], [fp for _, fp in usable])
    pairs = idx.candidate_pairs(index)
    ctx = Context(str(args.submissions), index.students, problems, _notes(len(usable), release),
                  [str(p) for p in release], _parameters(index))
    ranked = write_all(args.out, ctx, index, pairs, [s for s, _ in usable], args.top)

    print(f"similarity: {len(usable)} of {len(found)} submissions compared, {len(ranked.order)} pair(s) share "
          f"fingerprints, {time.perf_counter() - start:.1f} s; report: {args.out / 'report.html'}")
    for note in ctx.notes:
        print(f"similarity: note: {note}")
    return 0


def _parameters(index: idx.Index) -> dict[str, str]:
    k, w = fingerprint.KGRAM, fingerprint.WINDOW
    return {
        "method": "winnowing (Schleimer, Wilkerson & Aiken 2003, as in MOSS) over normalised tokens, "
                  "plus the multiset of normalised statements; inline answers as word "
                  f"{idx.SHINGLE_WORDS}-shingles",
        "k-gram length K": f"{k} tokens", "window W": f"{w} hashes",
        "guaranteed detection": f"any shared run of at least W + K - 1 = {w + k - 1} normalised tokens",
        "statements counted": f"at least {fingerprint.MIN_STATEMENT_TOKENS} tokens",
        "common idiom": f"a fingerprint held by more than {index.limit} students "
                        f"(max({idx.COMMON_MIN}, {idx.COMMON_SHARE:.0%} of the class)) is not evidence",
    }


if __name__ == "__main__":
    sys.exit(main())
