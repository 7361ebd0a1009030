"""`autograde`: the instructor's command line (CONTRACT.md section 2).

    autograde SUBMISSIONS --out OUT [--jobs N] [--timeout SECONDS] [--shard I/N]
    autograde merge SHARD_OUT... --out OUT
    autograde similarity SUBMISSIONS --out OUT      (autograder.similarity.cli)

Exit status: 0 when every submission was graded, whatever the scores (a
submission that cannot be graded is a row with a not_gradable status, which
counts as graded); 1 when the grader itself failed on some submissions (rows
with status "error: ...", details in OUT/run_log.txt; every other row is
still written); 2 when the grader could not run at all (bad SUBMISSIONS
path, OUT not writable, grader not loadable, bad shard outputs for merge).
A folder literally named "merge" or "similarity" is graded as ./merge.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import re
import shlex
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from course.config import ConfigError, load_config
from course.rubric import load_rubric
from course.safe_text import csv_text, printable

from . import report
from .batch import DEFAULT_TIMEOUT, GraderUnavailable, grade_all, parse_shard, select_shard
from .discover import DiscoveryError, discover, submissions_root
from .student_ids import clean_id

EXIT_OK, EXIT_GRADER_ERRORS, EXIT_CANNOT_RUN = 0, 1, 2
LOG_LINE = 2000  # characters of one run_log.txt line (a traceback line, a status)


class CannotRun(Exception):
    """The grader cannot run; the message names the path or setting at fault."""


# ------------------------------------------------------------------ parsing

def _grade_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="autograde",
        description="Grade a folder of notebooks with the hidden tests. Also: `autograde merge SHARD_OUT... "
                    "--out OUT` and `autograde similarity SUBMISSIONS --out OUT`.")
    p.add_argument("submissions", type=Path, metavar="SUBMISSIONS",
                   help="folder with one folder per student (or an nbgrader course root / its submitted/)")
    p.add_argument("--out", type=Path, required=True, metavar="OUT", help="where grades.csv and feedback go")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1, metavar="N",
                   help="submissions graded in parallel (default: number of cores)")
    p.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                   help=f"wall seconds per submission (default {DEFAULT_TIMEOUT:g}); unfinished items score 0")
    p.add_argument("--shard", type=parse_shard, default=None, metavar="I/N",
                   help="grade only shard I of N (split by student id); combine with `autograde merge`")
    p.add_argument("--grader", default=None, help=argparse.SUPPRESS)  # module:function, for the kit's tests
    return p


def _merge_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="autograde merge",
                                description="Combine the OUT folders of `autograde --shard I/N` runs.")
    p.add_argument("shards", type=Path, nargs="+", metavar="SHARD_OUT")
    p.add_argument("--out", type=Path, required=True, metavar="OUT")
    return p


def _load_grader(spec: str | None):
    if spec is None:
        return None
    import importlib
    module, _, name = spec.partition(":")
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as exc:
        raise CannotRun(f"--grader {spec}: {exc}") from exc


# ------------------------------------------------------------------- checks

def _check_out(out: Path, inputs: list[Path] = ()) -> None:
    """OUT must be creatable and writable, and must not be inside SUBMISSIONS' student folders."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / f".autograde-write-test-{os.getpid()}"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        raise CannotRun(f"cannot write to OUT folder {out}: {exc.strerror or exc}") from exc
    for src in inputs:
        if out.resolve() == Path(src).resolve() or Path(src).resolve() in out.resolve().parents:
            raise CannotRun(f"OUT {out} is inside the SUBMISSIONS folder {src}; the next run would take it "
                            "for a student. Choose an --out outside it")


# -------------------------------------------------------------------- grade

def _versions() -> str:
    import numpy
    from importlib.metadata import PackageNotFoundError, version
    parts = [f"python {platform.python_version()}", f"numpy {numpy.__version__}"]
    for pkg in ("nn-from-scratch-kit", "pytest", "nbgrader"):
        try:
            parts.append(f"{pkg} {version(pkg)}")
        except PackageNotFoundError:
            pass
    return ", ".join(parts) + f"; {platform.platform()}"


def _isolation_lines(results) -> list[str]:
    seen = []
    for r in results:
        for line in r.log:
            text = str(line)
            if text.lower().startswith("isolation:"):
                # the sandbox's uid differs per worker slot: one line for all of them
                text = re.sub(r"\buid \d+", "a uid per worker slot", text.split(":", 1)[1].strip())
                if text not in seen:
                    seen.append(text)
    return seen or ["unknown: no submission reached the sandbox in this run"]


def _log_line(line: str) -> str:
    """One printable log line that keeps its indentation (a traceback stays readable)."""
    indent = len(line) - len(line.lstrip(" "))
    return " " * min(indent, 16) + printable(line, LOG_LINE)


def run_log(args, argv, results, started: float, wall: float) -> str:
    graded_times = [r.duration_s for r in results if r.duration_s]
    lines = [
        f"autograde run started {datetime.fromtimestamp(started, timezone.utc):%Y-%m-%d %H:%M:%S} UTC",
        "command: autograde " + shlex.join(argv),
        f"SUBMISSIONS: {args.submissions.resolve()}    OUT: {args.out.resolve()}",
        f"versions: {_versions()}",
        f"jobs: {args.jobs}    timeout: {args.timeout:g} s per submission    "
        f"shard: {'%d/%d' % args.shard if args.shard else 'all'}",
        *("isolation: " + l for l in _isolation_lines(results)),
        f"timing: {len(results)} submissions in {wall:.1f} s wall"
        + (f"; per submission mean {sum(graded_times) / len(graded_times):.2f} s, "
           f"max {max(graded_times):.2f} s" if graded_times else ""),
        "",
        "per submission:",
    ]
    for r in sorted(results, key=lambda r: r.student_id):
        lines.append(f"  {printable(r.student_id)}: {report.fmt(report.total_of(r))} points, {r.duration_s:.2f} s, "
                     + printable(r.status, LOG_LINE))
        lines += [f"      notice: {printable(n, LOG_LINE)}" for n in r.notices]
        lines += ["      " + _log_line(l) for entry in r.log
                  if not str(entry).lower().startswith("isolation:") for l in str(entry).splitlines()]
    errors = [r for r in results if r.status.startswith("error")]
    noticed = sum(1 for r in results if r.notices)
    lines.append(f"\nnotices: {noticed} submission(s) with files handed in but not graded"
                 + ("" if noticed else " (none)"))
    lines.append(f"errors: {len(errors)}" + ("" if errors else " (none)"))
    return "\n".join(lines) + "\n"


def grade(argv: list[str]) -> int:
    args = _grade_parser().parse_args(argv)
    if args.jobs < 1:
        raise CannotRun(f"--jobs {args.jobs}: need at least 1")
    if args.timeout <= 0:
        raise CannotRun(f"--timeout {args.timeout:g}: need a positive number of seconds")
    grade_fn = _load_grader(args.grader)
    started = time.time()
    try:
        subs = discover(args.submissions)
    except DiscoveryError as exc:
        raise CannotRun(str(exc)) from exc
    _check_out(args.out, [args.submissions, submissions_root(args.submissions)])
    if args.shard:
        subs = select_shard(subs, *args.shard)
    from tqdm import tqdm
    with tqdm(total=len(subs), desc="grading", unit="sub", file=sys.stderr, dynamic_ncols=True) as bar:
        def done(r):
            bar.set_postfix_str(r.student_id, refresh=False)
            bar.update(1)
        try:
            results = grade_all(subs, jobs=args.jobs, timeout=args.timeout, grade_fn=grade_fn, on_result=done)
        except GraderUnavailable as exc:
            raise CannotRun(str(exc)) from exc
    wall = time.time() - started
    manifest = {"tool": "autograde", "shard": list(args.shard) if args.shard else None,
                "students": sorted(r.student_id for r in results),
                "items": [a.id for a in load_rubric().auto],
                "submissions": str(args.submissions.resolve()), "seconds": round(wall, 2)}
    report.write_atomic(args.out / "run_log.txt", run_log(args, argv, results, started, wall))
    report.write_gradebook(args.out, results, manifest)
    print(report.summary_text(results))
    print()
    print(report.gradebook_table(results))
    print(f"\nWrote {args.out / 'grades.csv'}, one folder per student (results.json, feedback.md), "
          f"{args.out / 'run_log.txt'}")
    return EXIT_GRADER_ERRORS if any(r.status.startswith("error") for r in results) else EXIT_OK


# -------------------------------------------------------------------- merge

def _read_shard(folder: Path) -> tuple[dict, list[str], list[dict]]:
    manifest_path, csv_path = folder / "manifest.json", folder / "grades.csv"
    if not csv_path.is_file() or not manifest_path.is_file():
        raise CannotRun(f"{folder}: no grades.csv/manifest.json; is it the OUT folder of a finished "
                        "`autograde --shard I/N` run?")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        header, rows = report.read_grades_csv(csv_path)
    except (OSError, UnicodeDecodeError, ValueError, RecursionError, csv.Error) as exc:
        raise CannotRun(f"{folder}: cannot read its manifest.json/grades.csv ({type(exc).__name__}: {exc})") from exc
    if not isinstance(manifest, dict) or not manifest.get("shard"):
        raise CannotRun(f"{folder} was graded without --shard; merge combines shard outputs only")
    for line, row in enumerate(rows, start=2):
        sid = row.get("student_id") or ""
        if clean_id(sid) != sid:  # it names a folder below OUT: never a path, a dot name or control text
            raise CannotRun(f"{csv_path}:{line}: student id {printable(repr(sid))} is not one autograde writes; "
                            "was this grades.csv edited?")
    return manifest, header, rows


def check_shards(shards: list[tuple[Path, tuple]]) -> None:
    """Every shard 1..N exactly once, same N, same columns, no student twice."""
    ns = {tuple(m["shard"])[1] for _, (m, _, _) in shards}
    if len(ns) != 1:
        raise CannotRun(f"shard outputs come from different splits (N = {sorted(ns)}); re-run with one N")
    n = ns.pop()
    seen: dict[int, Path] = {}
    for folder, (m, _, _) in shards:
        i = m["shard"][0]
        if i in seen:
            raise CannotRun(f"{seen[i]} and {folder} are both shard {i}/{n}")
        seen[i] = folder
    missing = sorted(set(range(1, n + 1)) - set(seen))
    if missing:
        raise CannotRun("missing shard(s) " + ", ".join(f"{i}/{n}" for i in missing)
                        + "; pass every shard's OUT folder")
    headers = {tuple(h) for _, (_, h, _) in shards}
    if len(headers) != 1:
        raise CannotRun("shard outputs have different grades.csv columns (different rubric versions?)")
    owner: dict[str, Path] = {}
    for folder, (_, _, rows) in shards:
        for row in rows:
            sid = row["student_id"]
            if sid in owner:
                raise CannotRun(f"student {sid} appears in two shards: {owner[sid]} and {folder}")
            owner[sid] = folder


def merge(argv: list[str]) -> int:
    args = _merge_parser().parse_args(argv)
    folders = [Path(f) for f in args.shards]
    for f in folders:
        if not f.is_dir():
            raise CannotRun(f"shard output {f} does not exist or is not a folder")
    shards = [(f, _read_shard(f)) for f in folders]
    check_shards(shards)
    _check_out(args.out)
    header = shards[0][1][1]
    rows = sorted((row for _, (_, _, rs) in shards for row in rs), key=lambda r: r["student_id"])
    for folder, (_, _, rs) in shards:
        for row in rs:
            src, dst = folder / row["student_id"], args.out / row["student_id"]
            if src.resolve() != dst.resolve():
                for name in ("results.json", "feedback.md"):
                    if (src / name).is_file():
                        report.write_atomic(dst / name, (src / name).read_text(encoding="utf-8"))
    logs = [f"=== {f} ===\n" + ((f / "run_log.txt").read_text() if (f / "run_log.txt").is_file() else "(no log)\n")
            for f in folders]
    report.write_atomic(args.out / "run_log.txt", f"autograde merge of {len(folders)} shards\n\n" + "\n".join(logs))
    manifest = {"tool": "autograde merge", "shard": None, "merged_from": [str(f) for f in folders],
                "students": [r["student_id"] for r in rows], "items": header[1:-3]}
    report.write_atomic(args.out / "manifest.json", json.dumps(manifest, indent=2) + "\n")
    report.write_atomic(args.out / "grades.csv", _csv_text(header, rows))
    print(f"Merged {len(folders)} shards, {len(rows)} students -> {args.out / 'grades.csv'}")
    return EXIT_OK


def _csv_text(header: list[str], rows: list[dict]) -> str:
    """The merged grades.csv: text cells formula-safe exactly as in a single run's."""
    return csv_text(header, [[row.get(h, "") for h in header] for row in rows], report.GRADES_TEXT_COLUMNS)


# --------------------------------------------------------------- similarity

def similarity(argv: list[str]) -> int:
    try:  # another engineer's module: loaded only when asked for
        from .similarity.cli import main as similarity_main
    except ImportError as exc:
        raise CannotRun(f"autograde similarity is not available: {exc}") from exc
    return similarity_main(argv)


# --------------------------------------------------------------------- main

def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = {"merge": merge, "similarity": similarity}.get(argv[0] if argv else "", grade)
    if command is not grade:
        argv = argv[1:]
    try:
        check_configuration()
        return command(argv)
    except (CannotRun, ConfigError) as exc:
        print(f"autograde: error: {exc}", file=sys.stderr)
        return EXIT_CANNOT_RUN


def check_configuration() -> None:
    """Fail early, with one line naming the file and the fix (ConfigError), when the
    kit's own configuration is wrong: course.toml, rubric.toml, the solution notebooks."""
    from .reference import load_reference
    load_config()
    load_rubric()
    load_reference()


if __name__ == "__main__":
    sys.exit(main())
