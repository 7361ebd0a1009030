"""The bundled examples (what `make grade` grades) and the real grader end to end.

One batch with the real grader (sandbox on): examples/submissions/ plus a few
hostile students, graded with `autograde --jobs 2`. Every example gets the grade
it was built for, and the hostile students cost only their own rows.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import sys
from pathlib import Path

import pytest
from hostile import ATTACKS
from variants import make_submission

from autograder import cli
from course.config import EXAMPLES_DIR
from course.rubric import load_rubric

sys.path.insert(0, str(EXAMPLES_DIR.parent))
import make_examples

AUTO = {a.id: a for a in load_rubric().auto}
PART1 = [i for i, a in AUTO.items() if a.part == "part1"]
PART2 = [i for i, a in AUTO.items() if a.part == "part2"]
TOKEN = "ghp_instructorSecretThatMustNotLeak0123"
# Attacks on the batch itself (other rows, OUT, leftovers); all hit relu_forward, so only p2_relu
# and p2_vectorization may change. Namespaced attacks join when the machine offers namespaces.
BATCH_ATTACKS = ["os_exit", "setsid_sleeper", "read_grader_proc"]
NAMESPACED_ATTACKS = ["write_results", "kill_supervisor"]
HOSTILE_MAY_LOSE = {"p2_relu", "p2_vectorization"}


def full_isolation() -> bool:
    from autograder.sandbox import Sandbox

    with Sandbox([], slot=7) as sb:
        return "own PID namespace" in sb.isolation and "network: none" in sb.isolation


def test_examples_are_up_to_date_with_the_solutions():
    assert make_examples.main(["--check"]) == 0, "run: python examples/make_examples.py"


def test_examples_cover_the_cases_the_issue_asks_for():
    names = {p.name for p in EXAMPLES_DIR.iterdir()}
    assert {"complete", "partial_bugs", "untouched", "colab_saved"} <= names
    handed_in = [p for p in EXAMPLES_DIR.iterdir() if any(p.glob("*.ipynb"))]
    assert len(handed_in) >= 4  # peer review needs at least four
    for nb_path in (EXAMPLES_DIR / "colab_saved").glob("*.ipynb"):
        nb = json.loads(nb_path.read_text())
        assert "colab" in nb["metadata"] and "accelerator" in nb["metadata"]
        assert all("id" not in c for c in nb["cells"])
        assert "/content/drive/MyDrive/" in nb_path.read_text()
        assert nb_path.name.startswith("Copy of ")


def sleepers() -> list[str]:
    found = []
    for cmd in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if b"4242.4242" in cmd.read_bytes():
                found.append(cmd.parent.name)
        except OSError:
            pass
    return found


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """The examples plus hostile students, graded once by the real `autograde`."""
    root = tmp_path_factory.mktemp("examples")
    subs = root / "subs"
    shutil.copytree(EXAMPLES_DIR, subs)
    attacks = BATCH_ATTACKS + (NAMESPACED_ATTACKS if full_isolation() else [])
    for name in attacks:
        make_submission(subs, f"hostile_{name}", replace={"relu_forward": ATTACKS[name].source}, parts=("part2",))
    cwd, env = os.getcwd(), os.environ.get("GITHUB_TOKEN")
    os.chdir(root)  # a submission that writes into the grader's cwd writes here, where we look
    os.environ["GITHUB_TOKEN"] = TOKEN
    try:
        code = cli.main([str(subs), "--out", str(root / "out"), "--jobs", "2", "--timeout", "60"])
    finally:
        os.chdir(cwd)
        os.environ.pop("GITHUB_TOKEN") if env is None else os.environ.update(GITHUB_TOKEN=env)
    with open(root / "out" / "grades.csv", newline="") as f:
        rows = {r["student_id"]: r for r in csv.DictReader(f)}
    return code, root, rows, attacks


def points(row) -> dict[str, float]:
    return {i: float(row[i]) for i in AUTO}


def lost(row) -> set[str]:
    return {i for i, p in points(row).items() if p < AUTO[i].points - 1e-9}


@pytest.mark.slow
def test_every_example_gets_the_grade_it_was_built_for(batch):
    code, root, rows, _ = batch
    assert code == cli.EXIT_OK
    full = load_rubric().auto_max
    assert float(rows["complete"]["total"]) == full and rows["complete"]["status"] == "ok"
    assert points(rows["colab_saved"]) == points(rows["complete"])
    assert float(rows["untouched"]["total"]) == 0
    assert "not implemented" in (root / "out" / "untouched" / "feedback.md").read_text().lower()
    bugs = {
        "softmax_loss_vectorized": "p1_softmax_vectorized",
        "affine_backward": "p2_affine",
        "relu_backward": "p2_relu",
    }
    assert lost(rows["partial_bugs"]) == {bugs[b[1]] for b in make_examples.BUGS}
    assert lost(rows["syntax_error_part2"]) <= set(PART2) and lost(rows["syntax_error_part2"])
    assert all(points(rows["syntax_error_part2"])[i] == AUTO[i].points for i in PART1)
    assert "SyntaxError" in (root / "out" / "syntax_error_part2" / "feedback.md").read_text()
    assert rows["not_a_notebook"]["status"].startswith("not_gradable: ")
    assert "not a notebook" in rows["not_a_notebook"]["status"]


@pytest.mark.slow
def test_hostile_students_cost_only_their_own_rows(batch):
    code, root, rows, attacks = batch
    for name in attacks:
        row = rows[f"hostile_{name}"]
        assert not row["status"].startswith("error"), (name, row["status"])
        assert lost(row) - set(PART1) <= HOSTILE_MAY_LOSE, (name, lost(row))
        assert all(points(row)[i] == 0 for i in PART1)  # no Part 1 notebook handed in
    out = root / "out"
    assert sorted(p.name for p in out.iterdir() if p.is_file()) == [
        "grades.csv",
        "handins.csv",
        "manifest.json",
        "run_log.txt",
    ]
    students = {p.name for p in out.iterdir() if p.is_dir()}
    assert students == set(rows)
    for folder in out.iterdir():
        if folder.is_dir():
            assert sorted(p.name for p in folder.iterdir()) == ["feedback.md", "results.json"]
    assert not (root / "grades.csv").exists()
    assert "evil" not in (out / "grades.csv").read_text()
    assert not any(TOKEN in p.read_text() for p in out.rglob("*") if p.is_file())
    assert sleepers() == []
