"""`autograde` end to end (with the stand-in grader): outputs, exit codes, shards + merge."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import types
from pathlib import Path

import pytest
from pipeline_helpers import STANDIN, gradescope_problems, small_class, student
from standin_grader import ARRAY_LEAK

from autograder import cli
from autograder.batch import shard_of
from course.rubric import load_rubric

HERE = Path(__file__).parent
ITEMS = [a.id for a in load_rubric().auto]


def run(*argv) -> int:
    return cli.main([str(a) for a in argv])


def grade(subs, out, *extra) -> int:
    return run(subs, "--out", out, "--jobs", 2, "--grader", STANDIN, *extra)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """One run over the small class, shared by the read-only tests below."""
    root = tmp_path_factory.mktemp("cli")
    small_class(root / "subs")
    rc = grade(root / "subs", root / "out")
    return rc, root / "out"


def test_exit_zero_and_one_row_per_student(graded):
    rc, out = graded
    assert rc == 0
    header, *rows = (out / "grades.csv").read_text().splitlines()
    assert header == ",".join(["student_id", *ITEMS, "total", "max_total", "status"])
    by_id = {r.split(",")[0]: r for r in rows}
    assert sorted(by_id) == ["alice", "bob", "carol", "dave", "erin"]
    assert by_id["alice"].endswith(",15,15,ok".replace("15", f"{load_rubric().auto_max:g}"))
    assert "not_gradable: no .ipynb found in" in by_id["dave"]
    assert by_id["carol"].split(",")[len(ITEMS) + 3].startswith('"partial: not defined: affine_forward')


def test_every_student_gets_valid_results_json_and_feedback(graded):
    _, out = graded
    for sid in ("alice", "bob", "carol", "dave", "erin"):
        doc = json.loads((out / sid / "results.json").read_text())
        assert gradescope_problems(doc) == [], sid
        assert (out / sid / "feedback.md").read_text().startswith(f"# Autograder feedback for {sid}")
    bob = (out / "bob" / "feedback.md").read_text()
    assert r"largest at W\[3,1\]" in bob  # Markdown-escaped: shows as W[3,1]


def test_no_expected_arrays_reach_students(graded):
    _, out = graded
    for path in (out / "erin").iterdir():
        text = path.read_text()
        assert "0.125" not in text and ARRAY_LEAK not in text, path.name
    assert "hidden check failed" in (out / "erin" / "feedback.md").read_text()


def test_run_log_and_no_temp_files(graded):
    _, out = graded
    log = (out / "run_log.txt").read_text()
    for needle in ("isolation: stand-in grader", "numpy", "jobs: 2", "timing: 5 submissions"):
        assert needle in log
    assert not [p for p in out.rglob("*.tmp")]


def test_a_crashing_grader_call_keeps_the_other_rows_and_exits_1(tmp_path, capsys):
    small_class(tmp_path / "subs")
    student(tmp_path / "subs", "frank", "# STANDIN_CRASH")
    assert grade(tmp_path / "subs", tmp_path / "out") == cli.EXIT_GRADER_ERRORS
    rows = (tmp_path / "out" / "grades.csv").read_text().splitlines()[1:]
    assert len(rows) == 6 and any(r.startswith("frank,") and ",error: grader raised" in r for r in rows)
    assert any(r.startswith("alice,") and r.endswith(",ok") for r in rows)
    assert "frank: grader raised RuntimeError" in capsys.readouterr().out


@pytest.mark.parametrize("case", ["missing", "file", "out_is_a_file", "out_inside", "bad_grader", "bad_jobs"])
def test_grader_that_cannot_run_exits_2_naming_the_path(tmp_path, capsys, case):
    subs = small_class(tmp_path / "subs")
    (tmp_path / "a_file").write_text("x")
    argv = {
        "missing": [tmp_path / "nope", "--out", tmp_path / "o"],
        "file": [tmp_path / "a_file", "--out", tmp_path / "o"],
        "out_is_a_file": [subs, "--out", tmp_path / "a_file" / "o"],
        "out_inside": [subs, "--out", subs / "grades"],
        "bad_grader": [subs, "--out", tmp_path / "o", "--grader", "no_such_module:f"],
        "bad_jobs": [subs, "--out", tmp_path / "o", "--jobs", "0"],
    }[case]
    assert run(*argv) == cli.EXIT_CANNOT_RUN
    err = capsys.readouterr().err
    assert err.startswith("autograde: error:")
    named = {
        "missing": "nope",
        "file": "a_file",
        "out_is_a_file": "a_file",
        "out_inside": "grades",
        "bad_grader": "no_such_module",
        "bad_jobs": "--jobs",
    }[case]
    assert named in err
    assert not (tmp_path / "o" / "grades.csv").exists()


@pytest.fixture(scope="module")
def sharded(tmp_path_factory):
    """A class graded once whole and once in 3 shards (one worker each: shards run side by side in CI)."""
    root = tmp_path_factory.mktemp("shards")
    subs = small_class(root / "subs")
    for i in range(8):
        student(subs, f"extra{i}", "# BUG_p1_linear_classifier" if i % 2 else "")
    assert grade(subs, root / "single") == 0
    shards = [root / f"shard{i}" for i in range(1, 4)]
    for i, folder in enumerate(shards, 1):
        assert run(subs, "--out", folder, "--jobs", 1, "--grader", STANDIN, "--shard", f"{i}/3") == 0
    return root, subs, shards


def test_shards_then_merge_equal_a_single_run(sharded):
    root, subs, shards = sharded
    assert len({shard_of(p.name, 3) for p in subs.iterdir()}) == 3  # every shard has someone
    assert run("merge", *shards, "--out", root / "merged") == 0
    single, merged = root / "single", root / "merged"
    assert (merged / "grades.csv").read_text() == (single / "grades.csv").read_text()
    for folder in single.iterdir():
        if folder.is_dir():
            assert (merged / folder.name / "feedback.md").read_text() == (folder / "feedback.md").read_text()
            a, b = (json.loads((d / folder.name / "results.json").read_text()) for d in (single, merged))
            a.pop("execution_time"), b.pop("execution_time")
            assert a == b


def test_merge_refuses_incomplete_or_overlapping_shards(sharded, tmp_path, capsys):
    root, subs, (s1, s2, s3) = sharded
    grade(subs, tmp_path / "other_n", "--shard", "1/2")
    cases = {
        "missing shard(s) 3/3": [s1, s2],
        "are both shard 1/3": [s1, s1, s2, s3],
        "without --shard": [s1, s2, s3, root / "single"],
        "different splits": [s1, s2, s3, tmp_path / "other_n"],
        "does not exist": [s1, s2, s3, tmp_path / "nope"],
    }
    for message, folders in cases.items():
        assert run("merge", *folders, "--out", tmp_path / "m") == cli.EXIT_CANNOT_RUN
        assert message in capsys.readouterr().err
    # the same student in two shard outputs (e.g. a folder re-graded under another split)
    import shutil

    shutil.copytree(s1, tmp_path / "s3dup")
    (tmp_path / "s3dup" / "manifest.json").write_text(json.dumps({"shard": [3, 3]}))
    assert run("merge", s1, s2, tmp_path / "s3dup", "--out", tmp_path / "m") == cli.EXIT_CANNOT_RUN
    assert "appears in two shards" in capsys.readouterr().err
    assert not (tmp_path / "m" / "grades.csv").exists()


def test_similarity_subcommand_dispatches_lazily(monkeypatch):
    seen = []
    fake = types.ModuleType("autograder.similarity.cli")
    fake.main = lambda argv: seen.append(argv) or 0
    monkeypatch.setitem(sys.modules, "autograder.similarity.cli", fake)
    assert run("similarity", "subs", "--out", "o") == 0
    assert seen == [["subs", "--out", "o"]]


def test_console_script_prints_summary_to_stdout_and_progress_to_stderr(tmp_path):
    subs = small_class(tmp_path / "subs")
    exe = Path(sys.executable).with_name("autograde")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run(
        [str(exe), str(subs), "--out", str(tmp_path / "out"), "--jobs", "2", "--grader", STANDIN],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Graded 4 of 5 submissions" in proc.stdout and "Not gradable:" in proc.stdout
    assert "columns: 1=" in proc.stdout
    assert "grading" in proc.stderr and "5/5" in proc.stderr
