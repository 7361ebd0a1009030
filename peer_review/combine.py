"""From reviews to grades: combine, forgive, total, rescale; all recomputed here.

Combine statistic: for each peer-graded item (inline questions and
experiments) the deduction is the MEDIAN of the usable reviews' deductions.
With the default two reviews the median is their mean (both reviewers count
equally: 0 and 1 give 0.5); with three or more it ignores one careless or
hostile reviewer, which a mean would not. Reviewer arithmetic is never read.

Forgiveness (rubric.toml [forgiveness]): the largest `mistakes` combined
inline-question deductions are given back, each at most `points`.

Raw points = autograder items + peer-graded items + forgiveness, capped at
max_raw; the score is `Rubric.rescale(raw)`, applied once, at the end.

Disagreement: each review's peer-graded subtotal (before forgiveness); a
spread (max - min) above rubric.toml's disagreement_margin flags the
submission for a TA.

Overrides (a TA's CSV: student_id,item,points,reason): `item` is any rubric
item id (sets that item's points) or `raw` (sets the raw total); they win
over everything, and are listed in the flags.
"""
from __future__ import annotations

import statistics
from dataclasses import dataclass, field

from course.rubric import Rubric
from peer_review.autograded import AutoResult


def peer_items(rubric: Rubric):
    return rubric.peer_graded


def combine(deductions: list[float]) -> float:
    """k reviewers' deductions for one item -> the one used (median)."""
    return statistics.median(deductions)


def subtotal(rubric: Rubric, deductions: dict[str, float]) -> float:
    """One review's peer-graded points, before forgiveness."""
    return sum(i.points - deductions[i.id] for i in peer_items(rubric))


def forgiveness(rubric: Rubric, inline_deductions: dict[str, float]) -> float:
    """Points given back for the largest `mistakes` inline deductions."""
    largest = sorted(inline_deductions.values(), reverse=True)[:rubric.forgiven_mistakes]
    return sum(min(d, rubric.forgiveness_points) for d in largest)


@dataclass
class Grade:
    student_id: str
    auto: dict[str, float] | None
    items: dict[str, float] | None          # peer-graded item id -> points
    forgiveness: float = 0.0
    raw: float | None = None
    score: float | None = None
    reviews: int = 0
    spread: float | None = None
    flags: list[str] = field(default_factory=list)


def grade(rubric: Rubric, student_id: str, auto: AutoResult | None,
          reviews: list[dict[str, float]], k: int,
          overrides: dict[str, tuple[float, str]] | None = None) -> Grade:
    """Everything known about one student -> their Grade (raw None when incomplete)."""
    overrides = overrides or {}
    g = Grade(student_id, dict(auto.points) if auto else None, None, reviews=len(reviews))
    _review_flags(rubric, g, reviews, k)
    if reviews:
        g.items = {i.id: i.points - combine([r[i.id] for r in reviews]) for i in peer_items(rubric)}
    _apply_item_overrides(rubric, g, overrides)
    if auto is None and not _all_auto_overridden(rubric, overrides):
        g.flags.append("no autograder result")
    elif auto is not None and auto.status != "ok":
        g.flags.append(f"autograder status: {auto.status}")
    if g.auto is not None and g.items is not None and len(g.auto) == len(rubric.auto):
        inline = {i.id: i.points - g.items[i.id] for i in rubric.inline}
        g.forgiveness = forgiveness(rubric, inline)
        g.raw = min(rubric.max_raw, sum(g.auto.values()) + sum(g.items.values()) + g.forgiveness)
    if "raw" in overrides:
        g.raw = overrides["raw"][0]
        g.flags.append(f"override raw = {g.raw:g} ({overrides['raw'][1]})")
    g.raw = None if g.raw is None else round(g.raw, 4)
    g.score = None if g.raw is None else rubric.rescale(g.raw)
    return g


def _review_flags(rubric: Rubric, g: Grade, reviews: list[dict[str, float]], k: int) -> None:
    if not reviews:
        g.flags.append("no usable peer review: a TA must grade the peer items (overrides)")
        return
    if len(reviews) < k:
        g.flags.append(f"only {len(reviews)} of {k} reviews")
    totals = [subtotal(rubric, r) for r in reviews]
    g.spread = max(totals) - min(totals)
    if g.spread > rubric.disagreement_margin + 1e-9:
        g.flags.append(f"reviewers disagree by {g.spread:g} points "
                       f"(margin {rubric.disagreement_margin:g}): TA check")


def _apply_item_overrides(rubric: Rubric, g: Grade, overrides) -> None:
    auto_ids, peer_ids = {i.id for i in rubric.auto}, {i.id for i in peer_items(rubric)}
    for item_id, (points, reason) in sorted(overrides.items()):
        if item_id in auto_ids:
            g.auto = {**(g.auto or {}), item_id: points}
        elif item_id in peer_ids:
            g.items = {**(g.items or {}), item_id: points}
        else:
            continue
        g.flags.append(f"override {item_id} = {points:g} ({reason})")
    if g.items is not None and len(g.items) < len(peer_ids):
        g.items = None  # some peer items still ungraded: no total


def _all_auto_overridden(rubric: Rubric, overrides) -> bool:
    return all(i.id in overrides for i in rubric.auto)
