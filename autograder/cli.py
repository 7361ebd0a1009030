"""`autograde`: the instructor's command line (docs/CONTRACT.md section 2).

    autograde SUBMISSIONS --out OUT [--jobs N] [--timeout SECONDS] [--shard I/N]
              [--only ID ...] [--roster CSV] [--nbgrader-db PATH]
                                                  (the same as `autograde grade ...`)
    autograde merge SHARD_OUT... --out OUT [--expect N] [--allow-missing] [--submissions SUBMISSIONS]
    autograde similarity SUBMISSIONS --out OUT    (autograder.similarity.cli)
    autograde gradescope-bundle --out autograder.zip
    autograde nbgrader-export OUT --db PATH [--assignment NAME]

argparse subcommands; when the first word is not a command's name, `grade` is
meant, so the contract's `autograde SUBMISSIONS --out OUT` works unchanged. A
folder literally named like a command is graded with `autograde grade merge
--out OUT` (or `autograde ./merge --out OUT`).

Exit status: 0 when every submission was graded, whatever the scores (a
submission that cannot be graded is a row with a not_gradable status, which
counts as graded); 1 when the grader itself failed on some submissions (rows
with status "error: ...", details in OUT/run_log.txt; every other row is
still written), or when merge --allow-missing left out a failed shard; 2 when
the command could not run at all (bad SUBMISSIONS path, OUT not writable,
grader not loadable, bad shard outputs for merge, a wrong configuration).
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shlex
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from course.config import ConfigError, load_config
from course.rubric import load_rubric
from course.safe_text import printable

from . import merge as merging
from . import report
from .batch import DEFAULT_TIMEOUT, GraderUnavailable, grade_all, parse_shard, select_shard
from .discover import DiscoveryError, discover, submissions_root
from .platforms import handins as handin_rows
from .platforms import regrade
from .platforms.roster import RosterError, course_roster
from .results import Status

EXIT_OK, EXIT_GRADER_ERRORS, EXIT_CANNOT_RUN = 0, 1, 2
LOG_LINE = 2000  # characters of one run_log.txt line (a traceback line, a status)
COMMANDS = ("grade", "merge", "similarity", "gradescope-bundle", "nbgrader-export")
HELP_WORDS = ("-h", "--help")


class CannotRun(Exception):
    """The grader cannot run; the message names the path or setting at fault."""


# ------------------------------------------------------------------ parsing


def _grade_args(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    p.add_argument(
        "submissions",
        type=Path,
        metavar="SUBMISSIONS",
        help="folder with one folder per student, an nbgrader course root (or its submitted/), "
        "or an LMS bulk download (Canvas, Moodle, Blackboard)",
    )
    p.add_argument("--out", type=Path, required=True, metavar="OUT", help="where grades.csv and feedback go")
    p.add_argument(
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        metavar="N",
        help="submissions graded in parallel (default: number of cores)",
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"wall seconds per submission (default {DEFAULT_TIMEOUT:g}); unfinished items score 0",
    )
    p.add_argument(
        "--shard",
        type=parse_shard,
        default=None,
        metavar="I/N",
        help="grade only shard I of N (split by student id); combine with `autograde merge`",
    )
    p.add_argument(
        "--only",
        nargs="+",
        default=None,
        metavar="ID",
        help="regrade only these students into an existing OUT: their rows and files are replaced, "
        "everyone else's are untouched; the gradebook and summary are recomputed",
    )
    p.add_argument(
        "--roster",
        type=Path,
        default=None,
        metavar="CSV",
        help="class list mapping LMS ids to student ids (default: course.toml [roster] path)",
    )
    p.add_argument(
        "--nbgrader-db",
        type=Path,
        default=None,
        metavar="PATH",
        help="also write every student's per-item scores into this nbgrader gradebook.db",
    )
    p.add_argument("--grader", default=None, help=argparse.SUPPRESS)  # module:function, for the kit's tests
    return p


def _merge_args(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    p.add_argument("shards", type=Path, nargs="+", metavar="SHARD_OUT")
    p.add_argument("--out", type=Path, required=True, metavar="OUT")
    p.add_argument(
        "--expect",
        type=int,
        default=None,
        metavar="N",
        help="the number of shards the class was split into (so a shard with no folder at all is noticed)",
    )
    p.add_argument(
        "--allow-missing",
        action="store_true",
        help="merge the shards that finished, list the failed ones in OUT/missing_shards.txt and "
        "exit 1 (instead of refusing)",
    )
    p.add_argument(
        "--submissions",
        type=Path,
        default=None,
        metavar="SUBMISSIONS",
        help="with --allow-missing: name the students of the failed shards and the --only command that grades them",
    )
    return p


EPILOG = """A folder named like a command (merge, similarity, ...) is graded with
`autograde grade merge --out OUT` or `autograde ./merge --out OUT`.
Exit status: 0 all graded (whatever the scores); 1 the grader failed on some
submissions (or merge --allow-missing left out a shard); 2 could not run."""


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="autograde",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=EPILOG,
        description="Grade a folder of notebooks with the hidden tests. `autograde SUBMISSIONS --out OUT` "
        "is `autograde grade SUBMISSIONS --out OUT`.",
    )
    sub = ap.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _grade_args(
        sub.add_parser(
            "grade",
            help="grade SUBMISSIONS into OUT (the default command)",
            epilog=EPILOG,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
    )
    _merge_args(sub.add_parser("merge", help="combine the OUT folders of `--shard I/N` runs"))
    sim = sub.add_parser("similarity", add_help=False, help="the similarity report (see `autograde similarity -h`)")
    sim.add_argument("args", nargs=argparse.REMAINDER)
    bundle = sub.add_parser("gradescope-bundle", help="write the autograder.zip Gradescope's autograder takes")
    bundle.add_argument("--out", type=Path, default=Path("autograder.zip"), metavar="ZIP")
    nb = sub.add_parser("nbgrader-export", help="write an OUT's per-item scores into an nbgrader gradebook")
    nb.add_argument("out", type=Path, metavar="OUT")
    nb.add_argument("--db", type=Path, required=True, metavar="PATH", help="nbgrader's gradebook.db")
    nb.add_argument("--assignment", default=None, help="assignment name (default: course.toml assignment_id)")
    return ap


def with_command(argv: list[str]) -> list[str]:
    """argv with `grade` in front unless it starts with a command's name (or asks for help)."""
    return argv if argv and (argv[0] in COMMANDS or argv[0] in HELP_WORDS) else ["grade", *argv]


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


def _check_out(out: Path, inputs: Sequence[Path] = ()) -> None:
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
            raise CannotRun(
                f"OUT {out} is inside the SUBMISSIONS folder {src}; the next run would take it "
                "for a student. Choose an --out outside it"
            )


# -------------------------------------------------------------------- grade


def _versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    import numpy

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
        f"autograde run started {datetime.fromtimestamp(started, UTC):%Y-%m-%d %H:%M:%S} UTC",
        "command: autograde " + shlex.join(argv),
        f"SUBMISSIONS: {args.submissions.resolve()}    OUT: {args.out.resolve()}",
        f"versions: {_versions()}",
        f"jobs: {args.jobs}    timeout: {args.timeout:g} s per submission    "
        f"shard: {'{}/{}'.format(*args.shard) if args.shard else 'all'}",
        *("isolation: " + ln for ln in _isolation_lines(results)),
        f"timing: {len(results)} submissions in {wall:.1f} s wall"
        + (
            f"; per submission mean {sum(graded_times) / len(graded_times):.2f} s, max {max(graded_times):.2f} s"
            if graded_times
            else ""
        ),
        "",
        "per submission:",
    ]
    for r in sorted(results, key=lambda r: r.student_id):
        lines.append(
            f"  {printable(r.student_id)}: {report.fmt(report.total_of(r))} points, {r.duration_s:.2f} s, "
            + printable(str(r.status), LOG_LINE)
        )
        lines += [f"      notice: {printable(n, LOG_LINE)}" for n in r.notices]
        lines += [
            "      " + _log_line(ln)
            for entry in r.log
            if not str(entry).lower().startswith("isolation:")
            for ln in str(entry).splitlines()
        ]
    errors = [r for r in results if r.status.kind == Status.ERROR]
    noticed = sum(1 for r in results if r.notices)
    lines.append(
        f"\nnotices: {noticed} submission(s) with files handed in but not graded" + ("" if noticed else " (none)")
    )
    lines.append(f"errors: {len(errors)}" + ("" if errors else " (none)"))
    broken = report.checks_not_completed(results)
    lines.append(
        f"hidden checks that could not complete: {len(broken)} submission(s)"
        + (": " + ", ".join(printable(r.student_id) for r in broken) if broken else " (none)")
    )
    return "\n".join(lines) + "\n"


def _discover(args) -> list:
    try:
        return discover(args.submissions, roster=course_roster(args.roster))
    except (DiscoveryError, RosterError) as exc:
        raise CannotRun(str(exc)) from exc


def grade(args, argv: list[str]) -> int:
    if args.only and args.shard:
        raise CannotRun("--only and --shard: regrade into the merged OUT (or the shard's) without --shard")
    if args.jobs < 1:
        raise CannotRun(f"--jobs {args.jobs}: need at least 1")
    if args.timeout <= 0:
        raise CannotRun(f"--timeout {args.timeout:g}: need a positive number of seconds")
    grade_fn = _load_grader(args.grader)
    started = time.time()
    subs = _discover(args)
    _check_out(args.out, [args.submissions, submissions_root(args.submissions)])
    if args.shard:
        subs = select_shard(subs, *args.shard)
    if args.only:
        try:
            subs = regrade.select(subs, args.only, regrade.existing(args.out)[2])
        except (regrade.RegradeError, ValueError) as exc:
            raise CannotRun(str(exc)) from exc
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
    log = run_log(args, argv, results, started, wall)
    if args.only:
        shown = regrade.write(args.out, results, subs, log)
    else:
        manifest = {
            "tool": "autograde",
            "shard": list(args.shard) if args.shard else None,
            "students": sorted(r.student_id for r in results),
            "items": [a.id for a in load_rubric().auto],
            "submissions": str(args.submissions.resolve()),
            "seconds": round(wall, 2),
        }
        report.write_atomic(args.out / "run_log.txt", log)
        report.write_atomic(
            args.out / handin_rows.FILENAME, handin_rows.handins_csv([handin_rows.from_submission(s) for s in subs])
        )
        report.write_gradebook(args.out, results, manifest)
        shown = results
    print(report.summary_text(shown))
    print()
    print(report.gradebook_table(shown))
    print(
        f"\nWrote {args.out / 'grades.csv'}"
        + (f" ({len(results)} student(s) regraded)" if args.only else "")
        + f", one folder per student (results.json, feedback.md), {args.out / 'run_log.txt'}"
    )
    if args.nbgrader_db:
        _nbgrader_export(args.out, args.nbgrader_db, None)
    return EXIT_GRADER_ERRORS if any(r.status.kind == Status.ERROR for r in results) else EXIT_OK


# -------------------------------------------------------------------- merge


def merge(args) -> int:
    folders = [Path(f) for f in args.shards]
    try:
        plan = merging.plan(folders, args.expect, args.allow_missing)
    except merging.MergeError as exc:
        raise CannotRun(str(exc)) from exc
    _check_out(args.out)
    try:
        students = merging.write(plan, args.out, folders, args.submissions)
    except DiscoveryError as exc:
        raise CannotRun(f"--submissions: {exc}") from exc
    rows = sum(len(s.rows) for s in plan.shards)
    print(f"Merged {len(plan.shards)} of {plan.n} shards, {rows} students -> {args.out / 'grades.csv'}")
    if plan.failed:
        print(
            f"autograde merge: shard(s) {', '.join(f'{i}/{plan.n}' for i in sorted(plan.failed))} failed"
            + (f"; {len(students)} student(s) have no row" if students else "")
            + f": see {args.out / 'missing_shards.txt'}",
            file=sys.stderr,
        )
        return EXIT_GRADER_ERRORS
    return EXIT_OK


# ------------------------------------------------------------ other commands


def similarity(args) -> int:
    try:  # another engineer's module: loaded only when asked for
        from .similarity.cli import main as similarity_main
    except ImportError as exc:
        raise CannotRun(f"autograde similarity is not available: {exc}") from exc
    return similarity_main(args.args)


def gradescope_bundle(args) -> int:
    from .platforms.gradescope import BundleError, write_bundle

    try:
        files = write_bundle(args.out)
    except BundleError as exc:
        raise CannotRun(str(exc)) from exc
    print(f"Wrote {args.out} ({len(files)} files): upload it as the assignment's autograder on Gradescope")
    return EXIT_OK


def _nbgrader_export(out: Path, db: Path, assignment: str | None) -> None:
    from .platforms.nbgrader_db import NbgraderError, export_out

    try:
        n = export_out(out, db, assignment)
    except NbgraderError as exc:
        raise CannotRun(str(exc)) from exc
    print(f"Wrote the scores of {n} student(s) into nbgrader's gradebook {db}")


def nbgrader_export(args) -> int:
    _nbgrader_export(args.out, args.db, args.assignment)
    return EXIT_OK


# --------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    argv = with_command(list(sys.argv[1:] if argv is None else argv))
    args = parser().parse_args(argv)
    commands = {
        "grade": lambda: grade(args, argv[1:]),
        "merge": lambda: merge(args),
        "similarity": lambda: similarity(args),
        "gradescope-bundle": lambda: gradescope_bundle(args),
        "nbgrader-export": lambda: nbgrader_export(args),
    }
    try:
        check_configuration()
        return commands[args.command]()
    except (CannotRun, ConfigError) as exc:
        print(f"autograde: error: {exc}", file=sys.stderr)
        return EXIT_CANNOT_RUN


def check_configuration() -> None:
    """Fail early, with one line naming the file and the fix (ConfigError), when the
    kit's own configuration is wrong: course.toml, rubric.toml, the solution notebooks."""
    from .platforms.late_policy import LatePolicy
    from .reference import load_reference

    load_config()
    load_rubric()
    load_reference()
    LatePolicy(load_config().late)


if __name__ == "__main__":
    sys.exit(main())
