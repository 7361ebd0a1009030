"""Generate the student release (assignments/) from solutions/ with nbgrader.

    python -m course.release            # regenerate assignments/ (make release)
    python -m course.release --into DIR # generate elsewhere (the drift test does)

After generation it checks what a release must never get wrong: no line of a
solution region reaches the release, and every contract function keeps its
START/END CODE HERE region with a stub.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

from .config import ASSIGNMENTS_DIR, REPO_ROOT, load_config
from .contract import CONTRACT
from .markers import START_CODE as START
from .stubs import code_stub, enclosing_name, solution_walk


def generate(into: Path) -> None:
    """Run `nbgrader generate_assignment` with nbgrader_config.py; output in `into`."""
    cfg = load_config()
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [
            sys.executable,
            "-m",
            "nbgrader",
            "generate_assignment",
            cfg.assignment_id,
            "--force",
            "--log-level=WARN",
            f"--CourseDirectory.release_directory={tmp}",
        ]
        done = subprocess.run(cmd, cwd=REPO_ROOT, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"nbgrader generate_assignment failed:\n{done.stdout}\n{done.stderr}")
        target = into / cfg.assignment_id
        shutil.rmtree(target, ignore_errors=True)  # no stale notebook survives a rename
        shutil.copytree(Path(tmp) / cfg.assignment_id, target)


def _lines(nb, keep: str) -> list[str]:
    """Stripped lines of every cell that are `keep` ("inside"/"outside") solution regions."""
    return [
        line.strip() for cell in nb.cells for _, line, where in solution_walk(cell.source.splitlines()) if where == keep
    ]


def solution_lines(nb) -> set[str]:
    """Stripped, non-trivial lines inside BEGIN/END SOLUTION regions."""
    return {line for line in _lines(nb, "inside") if len(line) > 3}


def leaked_lines(solution_nb, release_nb) -> list[str]:
    """Solution lines found in the release, except lines that also appear
    outside solution regions (e.g. a `return` shared with the starter code)."""
    starter = {ln.strip() for c in release_nb.cells for ln in c.source.splitlines()}
    return sorted((solution_lines(solution_nb) & starter) - set(_lines(solution_nb, "outside")))


def stubbed_functions(release_nb) -> set[str]:
    """Qualified names ('LinearSoftmax.train') whose region holds the release stub."""
    names = set()
    for cell in release_nb.cells:
        lines = cell.source.splitlines()
        for i, line in enumerate(lines):
            if line.strip() == START and i + 1 < len(lines):
                name = enclosing_name(lines, i)
                if lines[i + 1].strip() == code_stub(name):
                    names.add(name)
    return names


def missing_regions(release_nb, part: str) -> list[str]:
    """Contract names of `part` with no stubbed region in the release."""
    have = stubbed_functions(release_nb)
    missing = []
    for name, spec in CONTRACT[part].items():
        if "methods" in spec:
            if not any(q.startswith(name + ".") for q in have):
                missing.append(name)
        elif name not in have:
            missing.append(name)
    return missing


def check_release(release_root: Path) -> list[str]:
    cfg = load_config()
    problems = []
    for part in cfg.notebooks:
        sol = nbformat.read(cfg.solution_notebook(part), as_version=4)
        rel_path = cfg.release_notebook(part, release_root)
        rel = nbformat.read(rel_path, as_version=4)
        problems += [f"{rel_path.name}: solution line reached the release: {ln!r}" for ln in leaked_lines(sol, rel)]
        problems += [
            f"{rel_path.name}: no START/END CODE HERE region with a stub for {n}" for n in missing_regions(rel, part)
        ]
    return problems


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--into", type=Path, default=ASSIGNMENTS_DIR, help="release directory (default: assignments/)")
    args = parser.parse_args(argv)
    generate(args.into)
    problems = check_release(args.into)
    for p in problems:
        print("release check:", p, file=sys.stderr)
    if not problems:
        print(f"release written to {args.into}/{load_config().assignment_id}/ and checked")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
