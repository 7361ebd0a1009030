"""Hostile hand-ins (hostile_handins.py) graded in one batch by the real `autograde`,
then read by `autograde similarity` and `peer-review assign`.

Containment, for every attack: the batch exits 0 with no grader-error row; the
row says what was wrong; the attack costs only what it attacked; the honest
students keep full marks; nothing outside SUBMISSIONS was read (the marked
copies of the solutions the links point at leave no trace in any output);
every line the instructor's terminal and logs get is printable, every CSV text
cell formula-safe, and no student's file name forges another student's line.
"""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hostile_handins import CANARY, HANDINS, HONEST, honest, make_secret

from autograder.report import read_grades_csv
from course.rubric import load_rubric
from course.safe_text import FORMULA_STARTS

AUTO = load_rubric().auto
BIN = Path(sys.executable).parent
TIMEOUT = 900  # the whole batch; it takes ~1 minute on 2 busy cores (before: forever, on the FIFO)
pytestmark = pytest.mark.slow


def run(*argv, timeout=TIMEOUT) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run([str(a) for a in argv], capture_output=True, text=True, timeout=timeout, env=env)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile_handins")
    subs, secret = root / "subs", make_secret(root / "secret")
    subs.mkdir()
    for sid in HONEST:
        honest(subs, sid)
    for hand_in in HANDINS.values():
        hand_in.build(subs, secret)
    return root, subs


@pytest.fixture(scope="module")
def graded(world):
    root, subs = world
    proc = run(BIN / "autograde", subs, "--out", root / "out", "--jobs", 2, "--timeout", 60)
    header, rows = read_grades_csv(root / "out" / "grades.csv")
    return proc, root / "out", {r["student_id"]: r for r in rows}


def part_points(row, part) -> tuple[float, float]:
    items = [a for a in AUTO if a.part == part]
    return sum(float(row[a.id]) for a in items), sum(a.points for a in items)


def run_log_entry(out: Path, sid: str) -> list[str]:
    """The student's line in run_log.txt and the indented lines under it."""
    lines = (out / "run_log.txt").read_text().splitlines()
    start = lines.index(next(ln for ln in lines if ln.startswith(f"  {sid}: ")))
    block = [lines[start]]
    for line in lines[start + 1 :]:
        if not line.startswith("      "):
            break
        block.append(line)
    return block


def test_the_batch_exits_0_without_grader_errors(graded):
    proc, out, rows = graded
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert set(rows) == set(HANDINS) | set(HONEST)
    assert [sid for sid, r in rows.items() if r["status"].startswith("error")] == []


def test_honest_students_keep_full_marks(graded):
    _, _, rows = graded
    for sid in (*HONEST, "alice"):
        assert rows[sid]["status"] == "ok" and float(rows[sid]["total"]) == load_rubric().auto_max, rows[sid]


@pytest.mark.parametrize("sid", sorted(HANDINS))
def test_each_attack_is_contained_in_its_own_row(graded, sid):
    _, out, rows = graded
    row, expect = rows[sid], HANDINS[sid].expect
    assert row["status"].startswith(expect.status), row["status"]
    for word in expect.says:
        assert word in row["status"], row["status"]
    for part in expect.zero_parts:
        assert part_points(row, part)[0] == 0, (part, row)
    for part in expect.full_parts:
        got, full = part_points(row, part)
        assert got == full, (part, row)
    entry = run_log_entry(out, sid)
    seconds = float(re.search(r"points, ([\d.]+) s,", entry[0]).group(1))
    assert seconds < expect.seconds, entry[0]
    if expect.notice:
        assert any(line.strip().startswith("notice:") and expect.notice in line for line in entry), entry


def test_of_two_copies_the_newer_is_graded_and_named(graded):
    _, out, rows = graded
    got, full = part_points(rows["copies"], "part1")
    assert 0 < got < full  # the newer copy has a broken softmax_loss_naive
    notice = next(ln for ln in run_log_entry(out, "copies") if "notice:" in ln)
    assert "graded 'part1_linear_softmax (1).ipynb'" in notice and "not graded: 'part1_linear_softmax.ipynb'" in notice


def test_a_loose_file_is_reported_never_merged(graded):
    _, out, rows = graded
    entry = "\n".join(run_log_entry(out, "alice"))
    assert entry.count("not merged, not graded") == 2 and entry.count("lay loose") == 2


def test_nothing_outside_submissions_was_read(graded):
    _, out, _ = graded
    for path in out.rglob("*"):
        if path.is_file():
            assert CANARY not in path.read_text(errors="replace"), path


def test_everything_printed_or_logged_is_printable_and_unforged(graded):
    proc, out, rows = graded
    for name, text in (
        ("stdout", proc.stdout),
        ("run_log.txt", (out / "run_log.txt").read_text()),
        ("grades.csv", (out / "grades.csv").read_text()),
    ):
        bad = [line for line in text.splitlines() if not line.isprintable()]
        assert bad == [], (name, bad[:3])
    assert "\x1b" not in proc.stderr and "\x07" not in proc.stderr
    log = (out / "run_log.txt").read_text().splitlines()
    for sid in ("honest_a", "honest_b"):  # one line each: no file or folder name forged another
        assert len([ln for ln in log if ln.startswith(f"  {sid}: ")]) == 1
    assert not any(ln.lstrip().startswith("honest_a: 0 points") for ln in proc.stdout.splitlines())


def test_csv_text_cells_are_formula_safe_and_ids_round_trip(graded):
    _, out, rows = graded
    with open(out / "grades.csv", newline="") as f:
        raw = list(csv.DictReader(f))
    for row in raw:
        assert not row["student_id"].startswith(FORMULA_STARTS) and not row["status"].startswith(FORMULA_STARTS)
    assert {r["student_id"] for r in raw} >= {"'=1+2", "'@SUM(A1)", "'-2+3"}
    assert {"=1+2", "@SUM(A1)", "-2+3"} <= set(rows)  # read back as the ids they are
    folders = {p.name for p in out.iterdir() if p.is_dir()}
    assert folders == set(rows)  # one OUT folder per id: none collapsed, none named with a quote


def test_similarity_reads_the_same_class_without_hanging_or_following_links(world, tmp_path):
    root, subs = world
    proc = run(BIN / "autograde", "similarity", subs, "--out", tmp_path / "sim", "--jobs", 1)
    assert proc.returncode == 0, proc.stderr[-3000:]
    for path in (tmp_path / "sim").rglob("*"):
        if path.is_file() and path.suffix in (".html", ".csv", ".txt", ".json"):
            text = path.read_text(errors="replace")
            assert CANARY not in text, path
            assert "\x1b" not in text
    assert "\x1b" not in proc.stderr + proc.stdout


def test_peer_review_assign_hands_out_no_linked_solution(world, graded, tmp_path):
    root, subs = world
    _, out, _ = graded
    proc = run(BIN / "peer-review", "assign", subs, "--out", tmp_path / "pr", "--grades", out / "grades.csv")
    assert proc.returncode == 0, proc.stderr[-3000:]
    written = [p for p in (tmp_path / "pr").rglob("*") if p.is_file()]
    assert any(p.suffix == ".ipynb" for p in written)
    for path in written:
        assert CANARY not in path.read_text(errors="replace"), path
