"""A small version of `python -m bench.similarity` (the full one runs in `make bench`):
planted copies under every evasion rank above every pair of independent students and
are flagged, no independent pair is flagged, and a ring of six sharing one solution
is one group."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from autograder.similarity.cli import run
from autograder.similarity.report import FLAG_SCORE
from bench.similarity import evaluate, generate


@pytest.fixture(scope="module")
def outcome(tmp_path_factory):
    root = tmp_path_factory.mktemp("bench")
    truth = generate(root, 45, single=1, pairs=0, rings=(6,), seed=11, combinations=6)
    result = run([str(root / "submissions"), "--out", str(root / "out"), "--jobs", "2"])
    return evaluate(result, truth, FLAG_SCORE)


def test_every_planted_copy_ranks_above_every_independent_pair_and_is_flagged(outcome):
    missed = {label: rows for label, rows in outcome["per_label"].items() if not all(r[0] and r[1] for r in rows)}
    assert not missed, (missed, outcome["worst_independent"])
    assert len(outcome["per_label"]) == 10 + 6


def test_no_independent_pair_is_flagged(outcome):
    assert outcome["false_positives"] == 0, outcome["top_independent"]
    assert outcome["sampled_max"] < FLAG_SCORE


def test_a_ring_sharing_one_solution_is_one_group(outcome):
    assert outcome["rings"] == [(6, 15, 15, 1)]
