"""`autograde`'s argparse subcommands (a folder named like a command is gradable), regrades
with --only into an existing OUT, and a merge that reports failed shards (stand-in grader)."""

from __future__ import annotations

import json
import shutil

import pytest
from pipeline_helpers import STANDIN, small_class, student

from autograder import cli
from autograder.batch import shard_of
from autograder.report import read_grades_csv
from course.rubric import load_rubric

AUTO_MAX = load_rubric().auto_max


def run(*argv) -> int:
    return cli.main([str(a) for a in argv])


def rows(out):
    return {r["student_id"]: r for r in read_grades_csv(out / "grades.csv")[1]}


@pytest.mark.parametrize("name", ["merge", "similarity", "grade"])
def test_a_folder_named_like_a_command_is_graded(tmp_path, monkeypatch, name):
    student(tmp_path / name, "alice")
    monkeypatch.chdir(tmp_path)
    assert run("grade", name, "--out", "o1", "--jobs", 1, "--grader", STANDIN) == 0
    assert float(rows(tmp_path / "o1")["alice"]["total"]) == AUTO_MAX
    assert run(f"./{name}", "--out", "o2", "--jobs", 1, "--grader", STANDIN) == 0
    assert (tmp_path / "o2" / "grades.csv").read_text() == (tmp_path / "o1" / "grades.csv").read_text()


def test_help_says_how_to_grade_such_a_folder(capsys):
    for argv in (["--help"], ["grade", "--help"]):
        with pytest.raises(SystemExit):
            cli.main(argv)
        assert "autograde grade merge --out OUT" in capsys.readouterr().out


def test_the_contract_command_line_is_unchanged():
    args = cli.parser().parse_args(
        cli.with_command(["subs", "--out", "o", "--jobs", "3", "--timeout", "9", "--shard", "2/4"])
    )
    assert (args.command, str(args.submissions), args.jobs, args.timeout, args.shard) == (
        "grade",
        "subs",
        3,
        9.0,
        (2, 4),
    )


@pytest.fixture()
def graded(tmp_path):
    subs = small_class(tmp_path / "subs")
    assert run(subs, "--out", tmp_path / "out", "--jobs", 2, "--grader", STANDIN) == 0
    return subs, tmp_path / "out"


def test_only_replaces_the_named_rows_and_leaves_the_others_byte_for_byte(graded, capsys):
    subs, out = graded
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    (subs / "bob" / "part1_linear_softmax.ipynb").unlink()
    student(subs, "bob")  # bob fixed his bug; carol still has only part 1
    capsys.readouterr()
    assert run(subs, "--out", out, "--jobs", 1, "--grader", STANDIN, "--only", "bob") == 0
    printed = capsys.readouterr().out
    after = rows(out)
    assert float(after["bob"]["total"]) == AUTO_MAX and "1 student(s) regraded" in printed
    assert sorted(after) == ["alice", "bob", "carol", "dave", "erin"]
    assert "Graded 4 of 5" in printed  # the summary is the whole class's, recomputed
    for rel, data in before.items():
        if rel.parts[0] not in ("bob",) and rel.name not in (
            "grades.csv",
            "manifest.json",
            "run_log.txt",
            "handins.csv",
        ):
            assert (out / rel).read_bytes() == data, rel
    old = {r.split(",")[0]: r for r in before[out.relative_to(out) / "grades.csv"].decode().splitlines()}
    new = {r.split(",")[0]: r for r in (out / "grades.csv").read_text().splitlines()}
    assert {k for k in old if old[k] != new[k]} == {"bob"}
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["regrades"][-1]["students"] == ["bob"]
    assert "=== regrade" in (out / "run_log.txt").read_text()
    assert not list(out.rglob("*.tmp"))


def test_only_refuses_unknown_ids_and_a_missing_gradebook(graded, tmp_path, capsys):
    subs, out = graded
    assert run(subs, "--out", out, "--grader", STANDIN, "--only", "zoe") == cli.EXIT_CANNOT_RUN
    assert "no hand-in for 'zoe'" in capsys.readouterr().err
    assert run(subs, "--out", tmp_path / "fresh", "--grader", STANDIN, "--only", "bob") == cli.EXIT_CANNOT_RUN
    assert "existing gradebook" in capsys.readouterr().err


@pytest.fixture()
def shards(tmp_path):
    subs = small_class(tmp_path / "subs")
    for i in range(6):
        student(subs, f"extra{i}")
    folders = [tmp_path / f"shard{i}" for i in (1, 2, 3)]
    for i, folder in enumerate(folders, 1):
        assert run(subs, "--out", folder, "--jobs", 1, "--grader", STANDIN, "--shard", f"{i}/3") == 0
    return subs, folders


def test_merge_allow_missing_reports_the_failed_shard_and_its_students(shards, tmp_path, capsys):
    subs, (s1, s2, s3) = shards
    shutil.rmtree(s2 / "alice", ignore_errors=True)
    (s2 / "grades.csv").unlink()  # shard 2 died before finishing
    code = run("merge", s1, s2, s3, "--out", tmp_path / "m", "--allow-missing", "--expect", 3, "--submissions", subs)
    assert code == cli.EXIT_GRADER_ERRORS
    assert "shard(s) 2/3 failed" in capsys.readouterr().err
    in_two = sorted(p.name for p in subs.iterdir() if shard_of(p.name, 3) == 2)
    merged = rows(tmp_path / "m")
    assert in_two and not set(in_two) & set(merged)
    assert set(merged) == {p.name for p in subs.iterdir()} - set(in_two)
    note = (tmp_path / "m" / "missing_shards.txt").read_text()
    assert "shard 2/3 failed" in note and "--only " + " ".join(in_two) in note
    # a shard whose artifact never arrived at all: --expect notices it
    assert run("merge", s1, s3, "--out", tmp_path / "m2", "--allow-missing", "--expect", 3) == cli.EXIT_GRADER_ERRORS
    assert "2/3" in json.loads((tmp_path / "m2" / "manifest.json").read_text())["missing_shards"]
    # without --allow-missing the old refusal stands
    assert run("merge", s1, s3, "--out", tmp_path / "m3") == cli.EXIT_CANNOT_RUN
    assert not (tmp_path / "m3" / "grades.csv").exists()


def test_merge_carries_handins_csv(shards, tmp_path):
    subs, folders = shards
    assert run("merge", *folders, "--out", tmp_path / "m") == 0
    text = (tmp_path / "m" / "handins.csv").read_text().splitlines()
    assert text[0].startswith("student_id,source,lms_id") and len(text) == 1 + len(list(subs.iterdir()))
