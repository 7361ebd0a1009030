"""Index, groups and scores: idioms weigh little, a shared solution is a group whatever its size."""

import numpy as np
import pytest

from autograder.similarity import index as idx


def prints(**units) -> dict:
    return {u: np.array(sorted(set(h)), dtype=np.uint64) for u, h in units.items()}


def unique(i: int, n: int = 30) -> list[int]:
    """Fingerprints nobody else holds."""
    return [10_000 * (i + 1) + j for j in range(n)]


def build(students: dict[str, dict]) -> tuple[idx.Index, idx.Pairs]:
    index = idx.build_index(idx.Corpus.build(list(students), list(students.values())))
    return index, idx.score_pairs(index)


def score_of(index, pairs, a, b) -> float:
    ia, ib = sorted((index.students.index(a), index.students.index(b)))
    hit = np.flatnonzero((pairs.a == ia) & (pairs.b == ib))
    return float(pairs.code[hit[0]]) if len(hit) else 0.0


def test_students_sharing_nothing_form_no_pair():
    index, pairs = build({f"s{i}": prints(f=unique(i)) for i in range(30)})
    assert len(pairs.a) == 0 and index.groups() == []


def test_a_copy_scores_one_and_an_independent_pair_scores_low():
    idiom = list(range(1, 21))  # written by every student
    students = {f"s{i:02d}": prints(f=idiom + unique(i)) for i in range(40)}
    students["copy"] = students["s03"]
    index, pairs = build(students)
    assert score_of(index, pairs, "copy", "s03") == pytest.approx(1.0)
    assert score_of(index, pairs, "s01", "s02") == 0.0  # only the idiom in common: never paired


def test_a_solution_shared_by_many_is_one_group_whatever_its_size():
    shared = unique(99, 60)
    students = {f"s{i:02d}": prints(f=unique(i)) for i in range(30)}
    students |= {f"g{i:02d}": prints(f=shared + ([5_000_000 + i] if i % 2 else [])) for i in range(12)}
    index, pairs = build(students)
    groups = [sorted(index.students[s] for s in g) for g in index.groups()]
    assert groups == [sorted(f"g{i:02d}" for i in range(12))]
    within = np.flatnonzero(pairs.within)
    assert len(within) == 11 and np.all(pairs.code[within] > 0.95)


def test_weights_are_inverse_document_frequency_over_hand_ins():
    students = {f"s{i}": prints(f=[1] + ([2] if i < 3 else []) + unique(i)) for i in range(9)}
    index, _ = build(students)
    fid = index.corpus.fids_of("f", np.array([1, 2], dtype=np.uint64))
    assert index.df[fid].tolist() == [9, 3]
    assert index.weight[fid] == pytest.approx([np.log(10 / 9), np.log(10 / 3)])


def test_an_idiom_counts_little_in_the_score():
    idiom = list(range(1, 31))
    students = {f"s{i:02d}": prints(f=idiom + unique(i, 10)) for i in range(40)}
    students["s00"] = prints(f=idiom + unique(0, 10) + [777, 778, 779])
    students["s01"] = prints(f=idiom + unique(1, 10) + [777, 778, 779])
    index, pairs = build(students)
    # 30 shared idioms + 3 shared rare fingerprints out of 43: idioms weigh ~0.03 each, the rest ~2.6
    assert 0.05 < score_of(index, pairs, "s00", "s01") < 0.35


def test_code_and_answers_are_scored_separately():
    students = {f"s{i}": prints(f=unique(i), **{"answer 1.1": unique(100 + i)}) for i in range(10)}
    students["s1"]["answer 1.1"] = students["s0"]["answer 1.1"]
    index, pairs = build(students)
    k = np.flatnonzero((pairs.a == 0) & (pairs.b == 1))[0]
    assert pairs.answers[k] == pytest.approx(1.0) and pairs.code[k] == 0.0


def test_exact_scores_agree_with_a_direct_count():
    rng = np.random.default_rng(0)
    students = {
        f"s{i}": prints(f=rng.integers(0, 60, 25).tolist(), g=rng.integers(0, 40, 15).tolist()) for i in range(25)
    }
    index, _ = build(students)
    a, b = np.array([0, 3, 7]), np.array([1, 9, 24])
    got = idx.shared_weights(index, a, b)
    for k, (i, j) in enumerate(zip(a, b)):
        for u, unit in enumerate(index.corpus.units):
            common = np.intersect1d(students[f"s{i}"][unit], students[f"s{j}"][unit])
            fids = index.corpus.fids_of(unit, common)
            assert got[k, u] == pytest.approx(index.weight[fids].sum())


def test_a_huge_class_bounds_the_pairs_it_forms(monkeypatch):
    monkeypatch.setattr(idx, "MAX_PAIR_INCIDENCES", 50)
    students = {f"s{i:02d}": prints(f=[i // 5] + unique(i)) for i in range(60)}  # 12 fingerprints held by 5
    index = idx.build_index(idx.Corpus.build(list(students), list(students.values())))
    assert index.generated_limit < index.limit and "Large class" in index.notes[0]
