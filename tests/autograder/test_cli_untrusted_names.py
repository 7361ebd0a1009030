"""Student ids and file names through `autograde` and `autograde merge` (stand-in grader):
formula-safe CSV cells that round-trip, printable logs, notices in the run log,
and a merge that never writes outside OUT whatever a grades.csv says."""

from __future__ import annotations

import csv
import shutil

import pytest
from pipeline_helpers import PART1, STANDIN, notebook, student

from autograder import cli
from autograder.batch import shard_of
from autograder.report import read_grades_csv

IDS = ["=1+2", "+cmd", "-2", "@SUM(A1)", "plain", "tab\tid", "x\ny"]
CLEAN = {"=1+2", "+cmd", "-2", "@SUM(A1)", "plain", "tab id", "x y"}


def grade(subs, out, *extra) -> int:
    return cli.main([str(subs), "--out", str(out), "--jobs", "1", "--grader", STANDIN, *map(str, extra)])


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("names")
    subs = root / "subs"
    for sid in IDS:
        student(subs, sid)
    notebook(subs / "copies" / "part1_linear_softmax.ipynb", PART1)
    notebook(subs / "copies" / "part1_linear_softmax (1).ipynb", PART1)
    assert grade(subs, root / "single") == 0
    n = 2
    assert {shard_of(s, n) for s in CLEAN} == {1, 2}
    for i in (1, 2):
        assert grade(subs, root / f"shard{i}", "--shard", f"{i}/{n}") == 0
    assert cli.main(["merge", str(root / "shard1"), str(root / "shard2"), "--out", str(root / "merged")]) == 0
    return root


def test_grades_csv_cells_are_formula_safe_and_read_back_as_the_ids(runs):
    single = runs / "single" / "grades.csv"
    with open(single, newline="") as f:
        cells = [r["student_id"] for r in csv.DictReader(f)]
    assert {"'=1+2", "'+cmd", "'-2", "'@SUM(A1)"} <= set(cells)
    _, rows = read_grades_csv(single)
    assert {r["student_id"] for r in rows} == CLEAN | {"copies"}
    assert {p.name for p in (runs / "single").iterdir() if p.is_dir()} == CLEAN | {"copies"}


def test_merge_equals_a_single_run_for_formula_ids(runs):
    assert (runs / "merged" / "grades.csv").read_text() == (runs / "single" / "grades.csv").read_text()
    merged_folders = {p.name for p in (runs / "merged").iterdir() if p.is_dir()}
    assert merged_folders == CLEAN | {"copies"}  # no "'=1+2" folder, no doubled apostrophe


def test_run_log_lists_notices_and_is_printable(runs):
    log = (runs / "single" / "run_log.txt").read_text()
    assert all(line.isprintable() for line in log.splitlines())
    assert "notice: 2 files hold part1_linear_softmax.ipynb" in log
    assert "notices: 1 submission(s)" in log


def test_merge_refuses_a_grades_csv_whose_id_is_a_path(runs, tmp_path, capsys):
    for i in (1, 2):
        shutil.copytree(runs / f"shard{i}", tmp_path / f"s{i}")
    path = tmp_path / "s1" / "grades.csv"
    header, rows = read_grades_csv(path)
    rows[0]["student_id"] = "../../escaped"
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    code = cli.main(["merge", str(tmp_path / "s1"), str(tmp_path / "s2"), "--out", str(tmp_path / "m")])
    assert code == cli.EXIT_CANNOT_RUN
    assert "is not one autograde writes" in capsys.readouterr().err
    assert not (tmp_path / "escaped").exists() and not (tmp_path / "m" / "grades.csv").exists()


def test_merge_refuses_an_unreadable_manifest(runs, tmp_path, capsys):
    for i in (1, 2):
        shutil.copytree(runs / f"shard{i}", tmp_path / f"s{i}")
    (tmp_path / "s2" / "manifest.json").write_text("[" * 100_000)
    code = cli.main(["merge", str(tmp_path / "s1"), str(tmp_path / "s2"), "--out", str(tmp_path / "m")])
    assert code == cli.EXIT_CANNOT_RUN and "cannot read its manifest.json" in capsys.readouterr().err
