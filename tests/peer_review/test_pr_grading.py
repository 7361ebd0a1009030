"""Rescale, forgiveness and the combine rule, with the course's own examples."""
import dataclasses

import pytest

from course.rubric import load_rubric
from peer_review.autograded import AutoResult
from peer_review.combine import combine, forgiveness, grade

R = load_rubric()
FULL_AUTO = {i.id: i.points for i in R.auto}
PEER_IDS = [i.id for i in (*R.inline, *R.peer)]


def review(**deductions):
    d = dict.fromkeys(PEER_IDS, 0.0)
    d.update({k.replace("_", ".", 1) if k[1] == "_" else k: v for k, v in deductions.items()})
    return d


def auto(points=None, status="ok"):
    return AutoResult("s", dict(points or FULL_AUTO), status)


@pytest.mark.parametrize("raw,score", [(20, 8.7), (23, 10.0), (0, 0.0), (11.5, 5.0), (22.5, 9.8), (17, 7.4)])
def test_rescale_examples(raw, score):
    assert R.rescale(raw) == score


def test_rescale_configurable():
    r = dataclasses.replace(R, max_raw=20, out_of=100, decimals=0)
    assert r.rescale(17) == 85


def test_combine_is_median():
    assert combine([0.0, 1.0]) == 0.5          # two reviews: their mean
    assert combine([0.0, 0.0, 1.0]) == 0.0     # a single outlier among three is ignored


def test_forgiveness_gives_back_largest_mistake_up_to_points():
    assert forgiveness(R, {"1.1": 0.5, "1.2": 1.0, "2.1": 0.5}) == 1.0
    assert forgiveness(R, {"1.1": 0.5}) == 0.5
    assert forgiveness(R, {}) == 0.0
    two = dataclasses.replace(R, forgiven_mistakes=2, forgiveness_points=0.5)
    assert forgiveness(two, {"1.1": 1.0, "1.2": 1.0, "1.3": 0.5}) == 1.0


def test_twenty_of_twenty_three_with_forgiveness():
    # autograder 14/15; inline -1 (1.1) -1 (2.2) -0.5 (1.3); experiments -0.5: 19 raw, +1 forgiven
    pts = {**FULL_AUTO, "p1_softmax_naive": 1.0}
    r = review(**{"1_1": 1.0, "2_2": 1.0, "1_3": 0.5, "p1_experiments": 0.5})
    g = grade(R, "s", auto(pts), [r, r], k=2)
    assert g.forgiveness == 1.0 and g.raw == 20.0 and g.score == 8.7


def test_forgiveness_never_above_the_maximum():
    g = grade(R, "s", auto(), [review(), review()], k=2)
    assert (g.forgiveness, g.raw, g.score) == (0.0, 23.0, 10.0)
    one_mistake = review(**{"1_2": 1.0})
    g = grade(R, "s", auto(), [one_mistake, one_mistake], k=2)
    assert (g.forgiveness, g.raw, g.score) == (1.0, 23.0, 10.0)


def test_disagreement_flagged_beyond_margin():
    lenient, harsh = review(), review(**{"1_1": 1.0, "1_2": 1.0})
    g = grade(R, "s", auto(), [lenient, harsh], k=2)
    assert g.spread == 2.0 and any("disagree" in f for f in g.flags)
    g = grade(R, "s", auto(), [lenient, review(**{"1_1": 1.0})], k=2)
    assert not any("disagree" in f for f in g.flags)


def test_missing_autograder_result_gives_no_total():
    g = grade(R, "s", None, [review(), review()], k=2)
    assert g.raw is None and g.score is None and "no autograder result" in g.flags


def test_overrides_win():
    g = grade(R, "s", auto(), [], k=2, overrides={i: (i_pts, "TA graded") for i, i_pts in
                                                   [(i.id, i.points) for i in (*R.inline, *R.peer)]})
    assert g.raw == 23.0
    g = grade(R, "s", auto(), [review(), review()], k=2, overrides={"raw": (12.0, "appeal")})
    assert g.raw == 12.0 and g.score == R.rescale(12.0) and any("appeal" in f for f in g.flags)
    g = grade(R, "s", auto(), [review(**{"1_1": 1.0})] * 2, k=2, overrides={"1.1": (1.0, "regrade")})
    assert g.items["1.1"] == 1.0 and g.forgiveness == 0.0


def test_one_review_of_two_is_flagged():
    g = grade(R, "s", auto(), [review()], k=2)
    assert "only 1 of 2 reviews" in g.flags and g.raw == 23.0
