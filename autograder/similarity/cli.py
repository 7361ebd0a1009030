"""`autograde similarity SUBMISSIONS --out OUT`: the class's similarity report.

Exit status 0 when the report was written (whatever it found, even for a
class of one, or when the time limit cut reading short: the report says
what was left out); 2 when it could not be (no such folder, no student
folders, unreadable release notebooks).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from course.config import load_config
from course.safe_text import printable

from ..discover import DiscoveryError, discover, submissions_root
from ..notebook_io import NotebookError, find_notebooks
from . import cluster, fingerprint
from . import index as idx
from .evidence import Starter
from .report import FLAG_SCORE, Context, Ranked, reported_groups, write_all
from .skipped import is_safe_notebook, skipped_entries
from .submissions import Submission, details, load, load_release

DEFAULT_TIME_LIMIT = 1800.0  # seconds for the whole run; reading stops there and the report says so
_SERIAL_BELOW = 50  # a pool costs more than it saves on a small class
_BATCH = 8  # hand-ins per task sent to a worker
_starter: Starter | None = None  # set once per worker process


def _init(starter: Starter) -> None:
    global _starter
    _starter = starter


def _analyse(job: tuple[int, str, list[Path]]) -> tuple[int, Submission]:
    i, sid, notebooks = job
    assert _starter is not None  # _init ran in this process first (serial run, or the pool's initializer)
    return i, load(sid, notebooks, _starter)


def _analyse_batch(batch: list[tuple[int, str, list[Path]]]) -> list[tuple[int, Submission]]:
    return [_analyse(job) for job in batch]


def analyse_all(
    jobs: list[tuple[str, list[Path]]], starter: Starter, workers: int, deadline: float
) -> tuple[list[Submission | None], bool]:
    """-> (one Submission per job, None where the time limit came first; whether it did)."""
    out: list[Submission | None] = [None] * len(jobs)
    numbered = [(i, sid, nbs) for i, (sid, nbs) in enumerate(jobs)]
    if workers <= 1 or len(jobs) < _SERIAL_BELOW:
        _init(starter)
        for job in numbered:
            if time.monotonic() > deadline:
                return out, True
            i, sub = _analyse(job)
            out[i] = sub
        return out, False
    batches = [numbered[k : k + _BATCH] for k in range(0, len(numbered), _BATCH)]
    pool = multiprocessing.get_context("fork").Pool(workers, initializer=_init, initargs=(starter,))
    try:
        results = pool.imap_unordered(_analyse_batch, batches)
        for _ in batches:
            for i, sub in results.next(timeout=max(deadline - time.monotonic(), 0.001)):
                out[i] = sub
    except multiprocessing.TimeoutError:
        pool.terminate()  # our own workers, stopped mid-read
        return out, True
    finally:
        pool.terminate()
        pool.join()
    return out, False


def release_notebooks(release_dir: Path | None) -> list[Path]:
    if release_dir is not None:
        return find_notebooks(release_dir)
    cfg = load_config()
    return [p for part in cfg.notebooks if (p := cfg.release_notebook(part)).is_file()]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="autograde similarity", description=__doc__.splitlines()[0])
    p.add_argument("submissions", type=Path, help="SUBMISSIONS/<student_id>/*.ipynb (or nbgrader's submitted/)")
    p.add_argument(
        "--out", type=Path, required=True, help="folder for report.html, pairs.csv, groups.csv, histogram.png"
    )
    p.add_argument(
        "--release",
        type=Path,
        default=None,
        help="folder with the student release notebooks (default: assignments/ from course.toml)",
    )
    p.add_argument(
        "--top",
        type=int,
        default=50,
        help="pairs shown side by side in report.html besides the flagged ones (default 50)",
    )
    p.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1), help="worker processes")
    p.add_argument(
        "--time-limit",
        type=float,
        default=DEFAULT_TIME_LIMIT,
        help=f"seconds for reading the hand-ins (default {DEFAULT_TIME_LIMIT:.0f}); "
        "hand-ins not read by then are listed as skipped",
    )
    return p


def _notes(n: int, release: list[Path]) -> list[str]:
    notes = []
    if n == 0:
        notes.append("No submission could be compared: see the list of what was skipped.")
    elif n == 1:
        notes.append("Only one submission could be compared: there is nothing to compare it with.")
    elif n < 2 * idx.COMMON_MIN:
        notes.append(
            f"Only {n} submissions: idioms common to a class cannot be recognised in so few, "
            "so scores are close to the raw overlap."
        )
    if not release:
        notes.append(
            "No release notebooks found: code given to every student (such as an untouched "
            "`raise NotImplementedError`) can count as a match. Run `make release` or pass --release."
        )
    return notes


def _safe_jobs(found, root: Path) -> list[tuple[str, list[Path]]]:
    """Every student's notebooks that are regular files reached through real folders."""
    return [(s.student_id, [nb for nb in s.notebooks if is_safe_notebook(nb, root)]) for s in found]


def _relative(path: Path, root: Path) -> str:
    try:
        return printable(str(path.relative_to(root)), 300)
    except ValueError:
        return printable(str(path), 300)


@dataclass
class Outcome:
    """What one run found (the bench reads it; the CLI only writes it)."""

    index: idx.Index
    pairs: idx.Pairs
    ranked: Ranked
    problems: list[tuple[str, str]]
    skipped: list[tuple[str, str]]


class _Unusable(Exception):
    """SUBMISSIONS or the release cannot be used: exit status 2."""


def main(argv: list[str] | None = None) -> int:
    try:
        run(argv)
    except _Unusable as exc:
        print(f"autograde similarity: {printable(exc, 500)}", file=sys.stderr)
        return 2
    return 0


def run(argv: list[str] | None = None) -> Outcome:
    """Everything `main` does; returns what was found (raises _Unusable for exit status 2)."""
    args = _parser().parse_args(argv)
    start = time.monotonic()
    root, found, release, starter = _inputs(args)
    skipped = [(_relative(p, args.submissions), why) for p, why in skipped_entries(root)]
    jobs = _safe_jobs(found, root)
    subs, timed_out = analyse_all(jobs, starter, args.jobs, start + args.time_limit)
    usable = [s for s in subs if s is not None and s.prints]
    problems = _problems(jobs, subs, args.time_limit)

    index = idx.build_index(idx.Corpus.build([s.student_id for s in usable], [s.prints for s in usable]))
    pairs = idx.score_pairs(index)
    notes = _notes(len(usable), release) + index.notes
    if timed_out:
        notes.append(
            f"The time limit ({args.time_limit:.0f} s) was reached while reading: "
            f"{sum(s is None for s in subs)} hand-in(s) were not read and are listed below."
        )
    ctx = Context(
        printable(args.submissions, 300),
        len(found),
        skipped,
        problems,
        notes,
        [printable(p, 300) for p in release],
        _parameters(index),
        time.monotonic() - start,
    )
    by_id = dict(jobs)
    notebooks = {i: by_id[s.student_id] for i, s in enumerate(usable)}
    ranked = write_all(
        args.out, ctx, index, pairs, args.top, lru_cache(maxsize=None)(lambda i: details(notebooks[i], starter))
    )
    _summary(args, ctx, index, ranked, len(usable), time.monotonic() - start)
    return Outcome(index, pairs, ranked, problems, skipped)


def _inputs(args):
    """-> (the folder of student folders, its submissions, release notebooks, what they give everyone)."""
    try:  # the same discovery as grading: flat, nbgrader and loose-file layouts
        root, found = submissions_root(args.submissions), discover(args.submissions)
    except DiscoveryError as exc:
        raise _Unusable(str(exc)) from exc
    if args.release is not None and not args.release.is_dir():
        raise _Unusable(f"--release {args.release} is not a folder")
    release = release_notebooks(args.release)
    try:
        return root, found, release, load_release(release)
    except NotebookError as exc:
        raise _Unusable(str(exc)) from exc


def _problems(jobs, subs, time_limit: float) -> list[tuple[str, str]]:
    """(student, what could not be compared), for the report: not read in time, unreadable
    notebooks, units not compared, nothing of their own."""
    out = []
    for (sid, _), sub in zip(jobs, subs):
        if sub is None:
            out.append((printable(sid), f"not read: the time limit of {time_limit:.0f} s was reached first"))
            continue
        out += [(printable(sid), printable(p, 500)) for p in sub.problems]
        if not sub.prints and not sub.problems:
            out.append(
                (
                    printable(sid),
                    "nothing of the student's own to compare (no code beyond the release, no inline answer); left out",
                )
            )
    return sorted(out)


def _summary(args, ctx: Context, index: idx.Index, ranked: Ranked, compared: int, seconds: float) -> None:
    flagged = int(sum(ranked.flagged(k) for k in ranked.order))
    print(
        f"similarity: {compared} of {ctx.found} submissions compared, {len(ranked.order)} pair(s) scored, "
        f"{flagged} flagged, {len(reported_groups(index))} group(s); {len(ctx.skipped)} file(s) skipped; "
        f"{seconds:.1f} s; report: {printable(args.out / 'report.html', 300)}"
    )
    for note in ctx.notes:
        print(f"similarity: note: {printable(note, 500)}")
    for who, what in ctx.problems:
        print(f"autograde similarity: {who}: {what}", file=sys.stderr)


def _parameters(index: idx.Index) -> dict[str, str]:
    k, w = fingerprint.KGRAM, fingerprint.WINDOW
    return {
        "method": "canonical form of each contract function and method (helpers inlined, release lines removed), "
        "winnowing (Schleimer, Wilkerson & Aiken 2003, as in MOSS) over its normalised tokens, plus the "
        "multiset of its normalised statements; inline answers as word 3-shingles",
        "k-gram length K": f"{k} tokens",
        "window W": f"{w} hashes",
        "guaranteed detection": f"any shared run of at least W + K - 1 = {w + k - 1} normalised tokens",
        "weights": "ln((m + 1) / df): m hand-ins, df of them hold the fingerprint (a group counted once)",
        "common idiom": f"a fingerprint held by more than {index.limit} hand-ins "
        f"(max({idx.COMMON_MIN}, {idx.COMMON_SHARE:.0%} of {index.hand_ins})) is no reason "
        f"to pair two hand-ins on its own",
        "near-identical group": f"Jaccard similarity of the pooled code fingerprints at least {cluster.GROUP_JACCARD}",
        "flag line": f"code score at least {FLAG_SCORE}",
    }


if __name__ == "__main__":
    sys.exit(main())
