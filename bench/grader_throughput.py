"""Grader throughput against `nbgrader autograde`, on the same notebooks, in the same run.

    python -m bench.grader_throughput [--k K] [--jobs N] [--skip-nbgrader]   (or `make bench`)

1. Makes K submissions by cycling through the bundled examples that have the
   release's file names (complete, partial_bugs, untouched, syntax_error_part2).
2. Grades them with the autograder's batch pool (sandbox isolation on, --jobs N)
   and reports submissions per minute.
3. Sets up a temporary nbgrader course (source/ = the solution notebooks, which
   are nbgrader sources; `generate_assignment` fills the gradebook db; the same
   notebooks as submitted/<student>/<assignment>/) and times `nbgrader autograde`,
   which executes every notebook top to bottom - the point of the comparison.
4. Grader overhead per submission: grades one submission of each kind three more
   times, in this process, and subtracts the time spent in hidden tests and their
   fixtures (which run the student's code: training, say), minus any wait for a
   sandbox there, from the wall time of `grade_submission` + writing its reports.
   What remains is the grader's own cost: extraction, sandbox start-up, the
   pytest session, reports.

Targets (issue 5): throughput >= 10x nbgrader's with isolation on; overhead < 0.5 s.
Exit status 0 when both are met. BLAS is single-threaded everywhere.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

from course.config import EXAMPLES_DIR, load_config  # noqa: E402

BENCH_EXAMPLES = ("complete", "partial_bugs", "untouched", "syntax_error_part2")
TARGET_RATIO, TARGET_OVERHEAD_S = 10.0, 0.5
DEFAULT_K = int(
    os.environ.get("BENCH_K", "8")
)  # nbgrader takes ~20 s per submission; fewer than ~8 and the workers' one-off warm-up (~3 s) dominates


def _isolation(results) -> str:
    """The isolation the run log line of the first graded submission reports."""
    lines = (ln.partition(":")[2].strip() for r in results for ln in r.log if ln.startswith("isolation:"))
    return next(lines, "unknown")


def make_submissions(root: Path, k: int) -> list[Path]:
    """K student folders under root, cycling through BENCH_EXAMPLES."""
    names = load_config().notebooks.values()
    folders = []
    for i in range(k):
        src = EXAMPLES_DIR / BENCH_EXAMPLES[i % len(BENCH_EXAMPLES)]
        dst = root / f"student_{i:03d}"
        dst.mkdir(parents=True)
        for name in names:
            if not (src / name).is_file():
                raise SystemExit(f"bench: {src / name} is missing; run python examples/make_examples.py")
            shutil.copy(src / name, dst / name)
        folders.append(dst)
    return folders


# ------------------------------------------------------------- autograder


def time_autograder(subs_root: Path, out: Path, jobs: int) -> tuple[float, list]:
    from autograder import report
    from autograder.batch import grade_all
    from autograder.discover import discover

    subs = discover(subs_root)
    start = time.perf_counter()
    results = grade_all(subs, jobs=jobs, timeout=300)
    report.write_gradebook(out, results, {"tool": "bench"})
    return time.perf_counter() - start, results


def overhead_per_submission(folders: list[Path], out: Path, repeats: int = 3) -> list[dict]:
    """Grade each folder `repeats` times in this process -> one row per grading:
    {"wall": s, "hidden_tests": s, "sandbox_start": s, "overhead": s}.

    The runner splits its own wall time (SubmissionResult.timings): everything
    inside hidden tests and their fixtures (the student's code included) is the
    tests' compute, except waiting for a sandbox to start; all the rest
    (extraction, sandboxes, the pytest session, reports) is overhead."""
    from autograder import report
    from autograder.discover import discover
    from autograder.runner import grade_submission

    subs = {s.student_id: s for s in discover(folders[0].parent)}
    grade_submission("warm-up", subs[folders[0].name].notebooks)  # reference, imports, fork server: once
    rows = []
    for _ in range(repeats):
        for folder in folders:
            start = time.perf_counter()
            result = grade_submission(folder.name, subs[folder.name].notebooks)
            report.write_student(out, result)
            wall = time.perf_counter() - start
            rows.append(
                {
                    "wall": wall,
                    "hidden_tests": result.timings["hidden_tests"],
                    "sandbox_start": result.timings["sandbox_start"],
                    "overhead": wall - result.timings["hidden_tests"],
                    "overhead_strict": wall - result.timings["test_bodies"],
                }
            )
    return rows


# --------------------------------------------------------------- nbgrader


def _nbgrader(course: Path, *args: str) -> None:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    proc = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args], cwd=course, env=env, capture_output=True, text=True
    )
    if proc.returncode != 0:
        raise SystemExit(f"bench: nbgrader {' '.join(args)} failed:\n{proc.stderr[-3000:]}")


def time_nbgrader(folders: list[Path], course: Path) -> float:
    cfg = load_config()
    aid = cfg.assignment_id
    (course / "source" / aid).mkdir(parents=True)
    for part in cfg.notebooks:
        shutil.copy(cfg.solution_notebook(part), course / "source" / aid / cfg.notebooks[part])
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        f"c.CourseDirectory.root = {str(course)!r}\n"
        "c.CourseDirectory.course_id = 'bench'\n"
        "c.ExecutePreprocessor.timeout = 600\n"
    )
    _nbgrader(course, "generate_assignment", aid, "--force")
    for folder in folders:
        dst = course / "submitted" / folder.name / aid
        shutil.copytree(folder, dst)
        (dst / "timestamp.txt").write_text("2026-01-01 00:00:00.000000 UTC")
    start = time.perf_counter()
    _nbgrader(course, "autograde", aid, "--create", "--force")
    elapsed = time.perf_counter() - start
    graded = list((course / "autograded").glob(f"*/{aid}"))
    if len(graded) != len(folders):
        raise SystemExit(f"bench: nbgrader autograded {len(graded)} of {len(folders)} submissions")
    return elapsed


# ------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="autograde vs nbgrader autograde throughput")
    p.add_argument("--k", type=int, default=DEFAULT_K, help=f"submissions (default {DEFAULT_K}, env BENCH_K)")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    p.add_argument("--skip-nbgrader", action="store_true", help="only the autograder's own figures")
    args = p.parse_args(argv if argv is not None else [])
    with tempfile.TemporaryDirectory(prefix="bench-grader-") as tmp:
        tmp = Path(tmp)
        folders = make_submissions(tmp / "subs", args.k)
        ours_s, results = time_autograder(tmp / "subs", tmp / "out", args.jobs)
        ours_rate = args.k / ours_s * 60
        print(
            f"autograde: {args.k} submissions in {ours_s:.1f} s with --jobs {args.jobs} "
            f"-> {ours_rate:.1f} submissions/min (isolation: {_isolation(results)})"
        )
        rows = overhead_per_submission(folders[: min(len(BENCH_EXAMPLES), len(folders))], tmp / "out2")
        med = {key: statistics.median(r[key] for r in rows) for key in rows[0]}
        print(
            f"per submission, in one process ({len(rows)} gradings of {min(len(BENCH_EXAMPLES), len(folders))} "
            f"submissions, medians): {med['wall']:.2f} s wall = {med['hidden_tests']:.2f} s in hidden tests "
            f"(the student's code included) + overhead; sandbox start-up {med['sandbox_start']:.2f} s"
        )
        overhead = med["overhead"]
        print(
            f"grader overhead per submission (median): {overhead:.2f} s (target < {TARGET_OVERHEAD_S} s); "
            f"{med['overhead_strict']:.2f} s if fixtures (the student's training) counted as overhead too"
        )
        ok = overhead < TARGET_OVERHEAD_S
        figures = {
            "k": args.k,
            "jobs": args.jobs,
            "autograde_seconds": round(ours_s, 2),
            "autograde_per_min": round(ours_rate, 2),
            "overhead_s": round(overhead, 3),
            "overhead_strict_s": round(med["overhead_strict"], 3),
        }
        if not args.skip_nbgrader:
            nb_s = time_nbgrader(folders, tmp / "course")
            nb_rate = args.k / nb_s * 60
            ratio = ours_rate / nb_rate
            print(f"nbgrader autograde: {args.k} submissions in {nb_s:.1f} s -> {nb_rate:.2f} submissions/min")
            print(f"throughput ratio autograde / nbgrader: {ratio:.1f}x (target >= {TARGET_RATIO:g}x)")
            figures.update(nbgrader_seconds=round(nb_s, 2), nbgrader_per_min=round(nb_rate, 2), ratio=round(ratio, 2))
            ok = ok and ratio >= TARGET_RATIO
        print("figures: " + json.dumps(figures))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
