"""The worker pool: slots, time limits, crashes that never cost another row, shards."""

from __future__ import annotations

import pytest
import standin_grader
from pipeline_helpers import student

from autograder import batch
from autograder.discover import discover


def grade(root, **kw):
    kw.setdefault("grade_fn", standin_grader.grade_submission)
    return {r.student_id: r for r in batch.grade_all(discover(root), **kw)}


def test_parse_shard():
    assert batch.parse_shard("2/4") == (2, 4)
    for bad in ("0/4", "5/4", "a/b", "3", "1/0"):
        with pytest.raises(ValueError, match="--shard"):
            batch.parse_shard(bad)


def test_shards_partition_the_class_deterministically():
    ids = [f"student{i:03d}" for i in range(200)]
    for n in (1, 3, 4):
        owners = [batch.shard_of(s, n) for s in ids]
        assert owners == [batch.shard_of(s, n) for s in ids]
        assert set(owners) == set(range(1, n + 1))
        assert max(owners.count(i) for i in range(1, n + 1)) < 2 * len(ids) / n  # roughly balanced


def test_crash_and_dead_worker_cost_only_their_own_row(tmp_path):
    student(tmp_path, "a_crash", "# STANDIN_CRASH")
    student(tmp_path, "b_dies", "# STANDIN_DIE")
    student(tmp_path, "c_fine")
    student(tmp_path, "d_bug", "# BUG_p1_softmax_naive")
    rows = grade(tmp_path, jobs=1)  # one worker: the dead one must be replaced for c and d
    assert str(rows["a_crash"].status).startswith("error: grader raised RuntimeError")
    assert str(rows["b_dies"].status).startswith("error: grading worker died (exit code 7)")
    assert str(rows["c_fine"].status) == "ok" and rows["c_fine"].total == rows["c_fine"].max_total
    assert rows["d_bug"].items["p1_softmax_naive"].points == 1.0
    assert any("Traceback" in line for line in rows["a_crash"].log)


def test_hung_grader_is_killed_at_the_deadline_and_the_batch_goes_on(tmp_path, monkeypatch):
    monkeypatch.setattr(batch, "HARD_KILL_GRACE", 0.5)
    student(tmp_path, "hangs", "# STANDIN_HANG")
    student(tmp_path, "next")
    rows = grade(tmp_path, jobs=1, timeout=1.0)
    assert str(rows["hangs"].status).startswith(f"error: grading did not finish within {batch._hard_limit(1.0):.0f} s")
    assert str(rows["next"].status) == "ok"
    assert rows["hangs"].duration_s < 10


def test_each_worker_has_its_own_slot_and_gets_the_timeout(tmp_path):
    for i in range(4):
        student(tmp_path, f"s{i}", "# STANDIN_SLOW")
    rows = grade(tmp_path, jobs=2, timeout=7)
    slots = {line for r in rows.values() for line in r.log if line.startswith("slot=")}
    assert {s.split()[0] for s in slots} == {"slot=0", "slot=1"}
    assert all("wall_limit=7.0" in s for s in slots)
    # each slot belongs to one process at a time: two pids, one per slot
    assert len({s.split()[1] for s in slots}) == 2


def test_missing_notebook_is_a_row_without_a_worker(tmp_path):
    (tmp_path / "empty").mkdir()
    rows = grade(tmp_path, jobs=2)
    assert str(rows["empty"].status).startswith("not_gradable: no .ipynb found in empty/ (in Colab: File -> Download")
    assert rows["empty"].total == 0 and rows["empty"].max_total > 0
