"""Proof that the grader is right: variants of the solution notebooks.

- the solution scores full marks; the untouched release scores 0 with
  "not implemented" feedback;
- every buggy variant loses points on exactly the item(s) it should, and only
  there (the exact set of items that lost points is asserted);
- different but correct implementations score full marks;
- submissions that do no real work earn nothing on what they fake.

Bugs are graded two at a time, one in each part: Part 1 items only see Part 1
code and Part 2 items Part 2 code, so a pair is as telling as two runs (a
bug leaking into another item of its own part still shows) at half the cost.
"""

import re
from itertools import zip_longest

import pytest
from no_work_sources import NO_WORK
from variant_sources import BUGS, CORRECT
from variants import make_release, make_submission

from autograder.notebook_io import find_notebooks
from autograder.results import FAILED, PASSED
from autograder.runner import grade_submission
from course.rubric import load_rubric

ITEMS = [i.id for i in load_rubric().auto]
ARRAY = re.compile(r"\[\s*[-+]?(\d+\.\d*|\.\d+)")  # "[0.25, ..." or "[ -1.5 ..."


def grade(folder):
    return grade_submission(folder.name, find_notebooks(folder))


def lost_items(result) -> set[str]:
    return {i.id for i in result.items.values() if i.points < i.max_points - 1e-9}


def explain(result) -> str:
    return (
        "\n".join(f"  {i.id}: {i.points}/{i.max_points} {i.status} {i.feedback}" for i in result.items.values())
        + "\n  log: "
        + " | ".join(result.log[1:])
    )


def test_solution_scores_full_marks(tmp_path):
    result = grade(make_submission(tmp_path, "solution"))
    assert str(result.status) == "ok", explain(result)
    assert result.total == result.max_total == load_rubric().auto_max, explain(result)
    assert all(i.status == PASSED and not i.feedback for i in result.items.values()), explain(result)
    assert not [line for line in result.log if line.startswith("grader error")], explain(result)


def test_untouched_release_scores_zero_with_not_implemented_feedback(tmp_path):
    result = grade(make_release(tmp_path, "release"))
    assert result.total == 0, explain(result)
    for item in result.items.values():
        assert item.status == FAILED, explain(result)
        assert item.feedback and all("not implemented" in line for line in item.feedback), explain(result)


def items_of(expected) -> set[str]:
    """A bug's expected item, or items (a bug whose function computes no right value at
    all also loses that function's vectorization credit)."""
    return {expected} if isinstance(expected, str) else set(expected)


PART1_BUGS = [name for name, (item, _) in BUGS.items() if min(items_of(item)).startswith("p1")]
PART2_BUGS = [name for name, (item, _) in BUGS.items() if min(items_of(item)).startswith("p2")]
PAIRS = [tuple(n for n in pair if n) for pair in zip_longest(PART1_BUGS, PART2_BUGS)]


def test_every_rubric_item_has_a_bug_that_must_cost_it():
    """A new rubric item without a bug in the corpus would be graded by nothing that proves it."""
    assert set().union(*(items_of(i) for i, _ in BUGS.values())) == set(ITEMS)


@pytest.mark.slow
@pytest.mark.parametrize("pair", PAIRS, ids=["+".join(p) for p in PAIRS])
def test_bug_costs_its_item_only(tmp_path, pair):
    replace, expected = {}, set()
    for name in pair:
        item, sources = BUGS[name]
        replace.update(sources)
        expected |= items_of(item)
    result = grade(make_submission(tmp_path, "_".join(pair)[:60], replace=replace))
    assert lost_items(result) == expected, explain(result)
    for item_id in expected:
        item = result.items[item_id]
        assert item.status in (FAILED, "partial") and item.feedback, explain(result)
        for line in item.feedback:  # one actionable line, no arrays (hidden inputs or expected values)
            assert "\n" not in line and len(line) < 300 and not ARRAY.search(line), line
    assert not [line for line in result.log if line.startswith("grader error")], explain(result)


@pytest.mark.parametrize("name", sorted(CORRECT))
def test_correct_alternative_scores_full_marks(tmp_path, name):
    result = grade(make_submission(tmp_path, name, replace=CORRECT[name]))
    assert lost_items(result) == set(), explain(result)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(NO_WORK))
def test_no_work_earns_nothing_on_what_it_fakes(tmp_path, name):
    replace, caps = NO_WORK[name]
    result = grade(make_submission(tmp_path, name, replace=replace))
    over = {item: result.items[item].points for item, cap in caps.items() if result.items[item].points > cap + 1e-9}
    assert not over, explain(result)
