"""`make publish DEST=folder`: the public student repository, and nothing hidden in it.

    python -m autograder.platforms.publish DEST [--release assignments/]

Writes DEST/README.md (for students: what the homework is, one "Open in Colab"
link per notebook, built from course.toml's repository_url, which must name
the public repository) and DEST/assignments/<assignment>/<part>.ipynb (the
release notebooks `make release` generated). Nothing else: DEST may be empty
or an earlier publish (its .git is kept, stale notebooks are removed); any
other file in it is refused, so a private file can never ride along.

Before writing anything it refuses, naming the notebook and what it found,
when a release notebook would leak:
  - a line of a reference solution (course.release.leaked_lines) or a
    BEGIN/END SOLUTION marker;
  - a reference answer to an inline question (the solution notebooks' answer cells);
  - a line of the hidden tests (autograder/hidden_tests/*.py).
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from pathlib import Path

import nbformat

from course.config import ASSIGNMENTS_DIR, REPO_ROOT, load_config
from course.markers import BEGIN_SOLUTION, END_SOLUTION
from course.readme_links import BADGE, TITLES
from course.release import leaked_lines

HIDDEN_TESTS = REPO_ROOT / "autograder" / "hidden_tests"
MIN_LEAK_CHARS = 30  # a shorter reference answer ("log C") may well be in the question itself
SHINGLE = 3  # consecutive lines of a hidden test that make a leak
ALLOWED_TOP = {".git", "README.md", "assignments"}


class PublishError(Exception):
    """Publishing is refused; the message says what and where."""


def _words(text: str) -> str:
    return " ".join(text.split())


def _notebook_text(nb) -> str:
    return _words("\n".join(c.source for c in nb.cells))


def reference_answer_leaks(release_nb, solution_paths: list[Path]) -> list[str]:
    from peer_review.answers import reference_answers

    text = _notebook_text(release_nb)
    return [
        f"reference answer to inline question {qid}"
        for qid, ref in reference_answers(solution_paths).items()
        if len(_words(ref)) >= MIN_LEAK_CHARS and _words(ref) in text
    ]


def _shingles(text: str) -> dict[tuple[str, ...], str]:
    """Runs of SHINGLE consecutive non-blank lines (whitespace-normalised) -> where they start.
    Single lines are too common to mean anything ("x = rng.standard_normal((4, 5))" is in
    the notebooks' own self-check); a run of them copied from a hidden test is a leak."""
    lines = [_words(line) for line in text.splitlines() if _words(line) and not _words(line).startswith("#")]
    return {tuple(lines[i : i + SHINGLE]): lines[i] for i in range(len(lines) - SHINGLE + 1)}


def hidden_test_leaks(release_nb, tests_dir: Path = HIDDEN_TESTS) -> list[str]:
    """Test names and runs of lines of the hidden tests found in the release notebook."""
    hidden: dict[tuple[str, ...], str] = {}  # a run of lines -> "file: its first line"
    names = set()
    for path in sorted(tests_dir.glob("*.py")):
        text = path.read_text()
        hidden |= {k: f"{path.name}: {v}" for k, v in _shingles(text).items()}
        names |= set(re.findall(r"^def (test_\w+)", text, re.M))
    cells = "\n".join(c.source for c in release_nb.cells)
    found = [f"hidden-test lines from {hidden[k]!r}" for k in sorted(set(_shingles(cells)) & set(hidden))]
    return found + [f"hidden test name {n!r}" for n in sorted(names) if re.search(rf"\b{n}\b", cells)]


def leaks(part: str, release: Path, solution: Path, solution_paths: list[Path]) -> list[str]:
    """Everything hidden that the release notebook of `part` holds ([] when it is clean)."""
    rel = nbformat.read(str(release), as_version=4)
    sol = nbformat.read(str(solution), as_version=4)
    found = [f"solution line {line!r}" for line in leaked_lines(sol, rel)]
    found += [f"marker {m!r}" for m in (BEGIN_SOLUTION, END_SOLUTION) if any(m in c.source for c in rel.cells)]
    return found + reference_answer_leaks(rel, solution_paths) + hidden_test_leaks(rel)


def student_readme() -> str:
    cfg = load_config()
    rows = [f"| {TITLES.get(p, p)} | [![Open In Colab]({BADGE})]({cfg.colab_url(p)}) |" for p in cfg.notebooks]
    return "\n".join(
        [
            "# Neural networks from scratch",
            "",
            "Part 1: a linear softmax classifier. Part 2: a two-layer neural network. Plain numpy: forward pass,",
            "loss, backpropagation by hand, vectorized, checked with numerical gradients.",
            "",
            "## Open the notebooks",
            "",
            "Each notebook runs on its own in a fresh Colab runtime; nothing to install.",
            "",
            "| Notebook | Open |",
            "|---|---|",
            *rows,
            "",
            "Or download `assignments/` and open the notebooks in Jupyter.",
            "",
            "## Hand in",
            "",
            "Fill in every region between `### START CODE HERE ###` and `### END CODE HERE ###`, answer",
            "the inline questions in their answer cells, run the self-check cell at the end, then",
            "File -> Download -> Download .ipynb and hand in the notebook files as your course says.",
            "",
        ]
    )


def _check_dest(dest: Path) -> None:
    if dest.exists() and not dest.is_dir():
        raise PublishError(f"DEST {dest} is a file")
    others = sorted(p.name for p in dest.iterdir() if p.name not in ALLOWED_TOP) if dest.exists() else []
    if others:
        raise PublishError(
            f"DEST {dest} holds {', '.join(others[:5])}: only README.md and assignments/ are "
            "published; give an empty folder or an earlier publish"
        )
    if dest.resolve() == REPO_ROOT.resolve() or REPO_ROOT.resolve() in [dest.resolve(), *dest.resolve().parents]:
        raise PublishError(f"DEST {dest} is inside the private kit; publish into the public repository's clone")


def publish(dest: Path, release_root: Path = ASSIGNMENTS_DIR) -> list[Path]:
    """Check everything, then write; -> the files written (relative to DEST)."""
    cfg = load_config()
    dest = Path(dest)
    _check_dest(dest)
    solutions = list(cfg.solution_notebooks().values())
    problems = []
    for part in cfg.notebooks:
        release = cfg.release_notebook(part, release_root)
        if not release.is_file():
            problems.append(f"{release}: missing; run `make release` first")
            continue
        problems += [f"{release}: {leak}" for leak in leaks(part, release, cfg.solution_notebook(part), solutions)]
    if problems:
        raise PublishError("refusing to publish, hidden material would leak:\n  " + "\n  ".join(problems))
    target = dest / "assignments" / cfg.assignment_id
    shutil.rmtree(dest / "assignments", ignore_errors=True)  # no stale notebook survives a rename
    target.mkdir(parents=True)
    written = [Path("README.md")]
    (dest / "README.md").write_text(student_readme(), encoding="utf-8")
    for part in cfg.notebooks:
        shutil.copyfile(cfg.release_notebook(part, release_root), target / cfg.notebooks[part])
        written.append(target.relative_to(dest) / cfg.notebooks[part])
    return written


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="make publish", description=__doc__.splitlines()[0])
    ap.add_argument("dest", type=Path, metavar="DEST")
    ap.add_argument("--release", type=Path, default=ASSIGNMENTS_DIR, help="release root (default assignments/)")
    args = ap.parse_args(argv)
    try:
        written = publish(args.dest, args.release)
    except (PublishError, ValueError) as exc:
        print(f"publish: error: {exc}", file=sys.stderr)
        return 2
    print(f"publish: wrote {len(written)} files to {args.dest}: " + ", ".join(map(str, written)))
    print(f"publish: commit and push {args.dest}; the Colab links point to {load_config().repository_url}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
