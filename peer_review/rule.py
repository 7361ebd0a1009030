"""The course's rule on ONE reviewer's sheet, as that reviewer sees it.

    "-0.5, -0.5, -1, +1 point as we allow for one inline question mistake,
     Total: 20 / 23 -> 8.7"

For one review of one submission:
  item points   = item max - the reviewer's deduction, for each peer-graded
                  item (inline questions, then experiments, rubric order);
                  a BLANK inline answer earns 0 whatever the reviewer chose;
                  an item the TA overrode (`fixed`) earns the TA's points.
  peer subtotal = the sum of those points.
  forgiveness   = the largest `forgiven_mistakes` deductions among the inline
                  questions the student answered and the TA did not fix, each
                  given back up to `forgiveness_points`. A blank answer is not
                  a mistake in an answer, so it is never forgiven: an untouched
                  notebook earns nothing from forgiveness alone.
  peer total    = peer subtotal + forgiveness (never above the peer items'
                  maximum: forgiveness only gives back deductions).
  raw           = min(max_raw, autograder subtotal + peer total)
  score         = Rubric.rescale(raw)

The HTML sheet computes the same numbers in the browser (templates/sheet.js.j2)
from the parameters `page_rule` renders into the page, so both read one copy of
the numbers (course/rubric.toml); tests/peer_review/test_pr_browser.py checks
that the page's totals equal these for many cases. combine.py combines the
reviews of one submission after this rule was applied to each.
"""

from __future__ import annotations

from dataclasses import dataclass

from course.rubric import Rubric

# Raw totals are kept to this many decimals (means of reviews can add quarters).
RAW_DECIMALS = 4


@dataclass(frozen=True)
class ReviewScore:
    """One review under the rule: points per peer item (rubric order), the sum, forgiveness."""

    points: dict[str, float]
    subtotal: float
    forgiveness: float

    @property
    def total(self) -> float:
        return self.subtotal + self.forgiveness


def forgiveness(rubric: Rubric, eligible: list[float]) -> float:
    """Points given back for the largest `forgiven_mistakes` of the eligible inline deductions."""
    largest = sorted(eligible, reverse=True)[: rubric.forgiven_mistakes]
    return sum(min(d, rubric.forgiveness_points) for d in largest)


def review_score(
    rubric: Rubric,
    deductions: dict[str, float],
    blank: frozenset[str] = frozenset(),
    fixed: dict[str, float] | None = None,
) -> ReviewScore:
    """A complete review -> its ReviewScore.

    deductions: {peer item id: deduction >= 0} for every item that is neither
    blank nor fixed (entries for blank or fixed items are ignored).
    blank: inline question ids whose answer is blank; fixed: {item id: TA points}.
    """
    fixed = fixed or {}
    points = {}
    for item in rubric.peer_graded:
        if item.id in fixed:
            points[item.id] = fixed[item.id]
        elif item.id in blank:
            points[item.id] = 0.0
        else:
            points[item.id] = item.points - deductions[item.id]
    eligible = [deductions[i.id] for i in rubric.inline if i.id not in blank and i.id not in fixed]
    return ReviewScore(points, sum(points.values()), forgiveness(rubric, eligible))


def missing_items(
    rubric: Rubric,
    deductions: dict[str, float],
    blank: frozenset[str] = frozenset(),
    fixed: dict[str, float] | None = None,
) -> list[str]:
    """Items a review still needs before it has a total (rubric order)."""
    fixed = fixed or {}
    return [i.id for i in rubric.peer_graded if i.id not in deductions and i.id not in blank and i.id not in fixed]


def raw_total(rubric: Rubric, auto_subtotal: float, peer_total: float) -> float:
    """Autograder subtotal + peer total (forgiveness included), capped at max_raw."""
    return round(min(rubric.max_raw, auto_subtotal + peer_total), RAW_DECIMALS)


def page_rule(rubric: Rubric) -> dict:
    """The rule's parameters as the HTML sheet reads them (rubric.toml, nothing else)."""
    return {
        "items": [
            {"id": i.id, "kind": i.kind, "points": i.points, "deductions": list(i.deductions)}
            for i in rubric.peer_graded
        ],
        "forgiven_mistakes": rubric.forgiven_mistakes,
        "forgiveness_points": rubric.forgiveness_points,
        "max_raw": rubric.max_raw,
        "out_of": rubric.out_of,
        "decimals": rubric.decimals,
        "raw_decimals": RAW_DECIMALS,
        "auto_max": rubric.auto_max,
        "min_feedback_words": rubric.min_feedback_words,
    }


def word_count(text: str) -> int:
    """Words in a feedback paragraph (the page counts the same way: runs of non-space)."""
    return len(text.split())
