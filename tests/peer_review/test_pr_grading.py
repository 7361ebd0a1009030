"""The course's rule: forgiveness on each reviewer's sheet, then the median of the reviews;
blank answers, overrides and flags. Every expected number is derived from rubric.toml."""

import dataclasses
import statistics

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograder.results import Status
from course.rubric import load_rubric
from peer_review.autograded import AutoResult
from peer_review.combine import Review, grade
from peer_review.rule import forgiveness, review_score

R = load_rubric()
FULL_AUTO = {i.id: i.points for i in R.auto}
PEER = R.peer_graded
PEER_MAX = sum(i.points for i in PEER)
INLINE = [i.id for i in R.inline]
POINTS = {i.id: i.points for i in PEER}
FORGIVEN = R.forgiveness_points  # the "+1" of "+1 point as we allow for one inline question mistake"


def review(reviewer="r", **deductions) -> Review:
    """A complete review: 0 everywhere but the given items ("1_2" stands for item 1.2)."""
    d = dict.fromkeys(POINTS, 0.0)
    d.update({k.replace("_", ".", 1) if k[1] == "_" else k: v for k, v in deductions.items()})
    return Review(reviewer, d, "feedback")


def auto(points=None, status="ok"):
    return AutoResult("s", dict(points or FULL_AUTO), Status.parse(status))


@pytest.mark.parametrize("below_max", [3, 0, R.max_raw, R.max_raw / 2, 0.5, 6])
def test_rescale_examples(below_max):
    raw = R.max_raw - below_max
    assert R.rescale(raw) == round(raw / R.max_raw * R.out_of, R.decimals)


@pytest.mark.parametrize("raw,score", [(20, 8.7), (23, 10.0), (0, 0.0), (11.5, 5.0), (22.5, 9.8), (17, 7.4)])
def test_rescale_of_the_course_sheet(raw, score):
    """The course's own numbers (23 raw points -> 10, one decimal), whatever rubric.toml says now."""
    assert dataclasses.replace(R, max_raw=23.0, out_of=10.0, decimals=1).rescale(raw) == score


def test_forgiveness_gives_back_largest_mistakes_up_to_points():
    assert forgiveness(R, [0.5, 1.0, 0.5]) == min(1.0, FORGIVEN)
    assert forgiveness(R, [0.5]) == min(0.5, FORGIVEN)
    assert forgiveness(R, []) == 0.0
    two = dataclasses.replace(R, forgiven_mistakes=2, forgiveness_points=0.5)
    assert forgiveness(two, [1.0, 1.0, 0.5]) == 1.0


def test_the_course_example_twenty_of_twenty_three():
    """Autograder one point short; "-0.5, -0.5, -1, +1 point as we allow for one inline
    question mistake" plus -1 elsewhere: 20 / 23 -> 8.7 (the course's own line)."""
    pts = {**FULL_AUTO, R.auto[0].id: R.auto[0].points - 1}
    r = review(**{"1_1": 1.0, "2_2": 1.0, "1_3": 0.5, "p1_experiments": 0.5})
    g = grade(R, "s", auto(pts), [r, dataclasses.replace(r, reviewer="q")], k=2)
    expected_raw = R.max_raw - 1 - 3.0 + min(1.0, FORGIVEN)
    assert (g.forgiveness, g.raw, g.score) == (min(1.0, FORGIVEN), expected_raw, R.rescale(expected_raw))


def test_two_reviewers_each_forgiving_a_different_mistake_give_full_marks():
    a, b = review("a", **{"1_1": 1.0}), review("b", **{"1_2": 1.0})
    g = grade(R, "s", auto(), [a, b], k=2)
    assert [o.score.total for o in g.outcomes] == [PEER_MAX, PEER_MAX]
    assert (g.peer_subtotal, g.forgiveness, g.raw, g.score) == (PEER_MAX - 1.0, 1.0, R.max_raw, R.out_of)
    assert not any("disagree" in f for f in g.flags)


def test_total_never_above_the_maximum_and_no_forgiveness_without_mistake():
    g = grade(R, "s", auto(), [review(), review("q")], k=2)
    assert (g.forgiveness, g.raw, g.score) == (0.0, R.max_raw, R.out_of)


def test_untouched_notebook_earns_nothing_from_forgiveness():
    zero_auto = dict.fromkeys(FULL_AUTO, 0.0)
    both_missing = review(**{"p1_experiments": 1.0, "p2_experiments": 1.0})
    g = grade(R, "s", auto(zero_auto), [both_missing, both_missing], k=2, blank=frozenset(INLINE))
    assert (g.peer_subtotal, g.forgiveness, g.raw, g.score) == (0.0, 0.0, 0.0, 0.0)


def test_blank_answer_earns_nothing_whatever_the_reviewer_chose_and_is_not_forgiven():
    lenient = review()  # gave the blank 1.2 full marks
    wrong_elsewhere = review(**{"1_1": 0.5})
    g = grade(R, "s", auto(), [lenient, wrong_elsewhere], k=2, blank=frozenset({"1.2"}))
    scores = [o.score for o in g.outcomes]
    assert scores[0].points["1.2"] == 0.0 and scores[0].forgiveness == 0.0
    assert scores[1].forgiveness == 0.5  # the answered mistake is forgiven, the blank is not
    assert g.raw == R.max_raw - POINTS["1.2"]


def test_raw_override_is_the_raw_total():
    g = grade(R, "s", auto(), [review(**{"1_1": 1.0})] * 2, k=2, overrides={"raw": (20.0, "appeal")})
    assert g.raw == 20.0 and g.score == R.rescale(20.0) and "override raw = 20 (appeal)" in g.flags


def test_item_override_reapplies_the_rule_to_the_rest():
    """Each reviewer forgave 1.1; the TA rules 1.1 wrong: forgiveness moves to the next mistake."""
    r = review(**{"1_1": 1.0, "1_2": 0.5})
    g = grade(R, "s", auto(), [r, dataclasses.replace(r, reviewer="q")], k=2, overrides={"1.1": (0.0, "regrade")})
    assert g.forgiveness == 0.5 and g.peer_subtotal == PEER_MAX - 1.0 - 0.5
    assert g.raw == R.max_raw - 1.0 and "override 1.1 = 0 (regrade)" in g.flags


def test_flags_are_recomputed_after_overrides():
    harsh, lenient = review("h", **{"1_1": 1.0, "1_2": 1.0, "1_3": 1.0}), review("l")
    assert any("disagree" in f for f in grade(R, "s", auto(), [harsh, lenient], k=2).flags)
    fixed = {"1.1": (1.0, "TA"), "1.2": (1.0, "TA")}
    g = grade(R, "s", auto(), [harsh, lenient], k=2, overrides=fixed)
    assert not any("disagree" in f for f in g.flags) and g.raw == R.max_raw
    everything = {i.id: (i.points, "TA graded") for i in PEER}
    g = grade(R, "s", auto(), [], k=2, overrides=everything)
    assert g.raw == R.max_raw and not any("review" in f for f in g.flags)


def test_incomplete_review_waits_for_the_ta_and_the_other_carries():
    partial = review("p", **{"1_3": 1.0})
    del partial.deductions["1.2"]  # a bad row on that sheet
    g = grade(R, "s", auto(), [partial, review("q")], k=2)
    assert g.outcomes[0].score is None and g.outcomes[0].missing == ["1.2"]
    assert g.raw == R.max_raw and "only 1 of 2 reviews" in g.flags
    assert any("review by p lacks 1.2" in f for f in g.flags)
    g = grade(R, "s", auto(), [partial, review("q")], k=2, overrides={"1.2": (1.0, "TA")})
    assert g.outcomes[0].score is not None and len(g.used) == 2


def test_median_of_three_ignores_one_hostile_reviewer():
    hostile = review("h", **dict.fromkeys((i.id.replace(".", "_", 1) for i in PEER), 1.0))
    g = grade(R, "s", auto(), [review("a"), review("b"), hostile], k=3)
    assert g.raw == R.max_raw and any("disagree" in f for f in g.flags)


def test_missing_autograder_result_gives_no_total():
    g = grade(R, "s", None, [review(), review("q")], k=2)
    assert g.raw is None and g.score is None and "no autograder result" in g.flags


def _by_hand(reviews: list[dict], blank: set, auto_total: float) -> float:
    """The rule written out independently: per sheet, then the median."""
    totals = []
    for d in reviews:
        kept = {i: (0.0 if i in blank else POINTS[i] - d[i]) for i in POINTS}
        mistakes = sorted((d[i] for i in INLINE if i not in blank), reverse=True)[: R.forgiven_mistakes]
        totals.append(sum(kept.values()) + sum(min(m, FORGIVEN) for m in mistakes))
    return round(min(R.max_raw, auto_total + statistics.median(totals)), 4)


deduction_sets = st.fixed_dictionaries({i.id: st.sampled_from((0.0, *i.deductions)) for i in PEER})


@settings(max_examples=300, deadline=None)
@given(
    reviews=st.lists(deduction_sets, min_size=1, max_size=4),
    blank=st.sets(st.sampled_from(INLINE)),
    auto_pts=st.fixed_dictionaries({i.id: st.sampled_from((0.0, i.points / 2, i.points)) for i in R.auto}),
)
def test_rule_matches_a_hand_computation_and_the_parts_reconcile(reviews, blank, auto_pts):
    g = grade(
        R,
        "s",
        auto(auto_pts),
        [Review(f"r{n}", d) for n, d in enumerate(reviews)],
        k=len(reviews),
        blank=frozenset(blank),
    )
    assert g.raw == pytest.approx(_by_hand(reviews, blank, sum(auto_pts.values())), abs=1e-9)
    assert g.auto_subtotal + g.peer_subtotal + g.forgiveness == pytest.approx(g.raw, abs=1e-9)
    assert g.score == R.rescale(g.raw)
    for o in g.outcomes:
        assert o.score.total == review_score(R, o.review.deductions, frozenset(blank)).total
