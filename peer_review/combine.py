"""From the reviews of one submission to its grade; every number recomputed here.

1. The course's rule is applied on EACH reviewer's sheet (rule.review_score):
   that reviewer's deductions, their forgiven mistake, their peer total.
2. The reviews are combined by the MEDIAN of their peer totals. With the usual
   two reviews that is their mean (both reviewers count equally); with three or
   more, one careless or hostile reviewer cannot move the grade, which a mean
   would let them do. Combining totals rather than items keeps each reviewer's
   forgiveness with the mistake that reviewer found: two reviewers who each
   found a different single mistake both give 8 / 8, so the student gets 23 / 23
   (a per-item median, then forgiveness, would give 22.5).
   The reconciled parts are those of the median review (of the mean of the two
   middle reviews when their number is even), so that
       autograder subtotal + peer subtotal + forgiveness = raw.
3. raw = min(max_raw, autograder subtotal + combined peer total); the score is
   Rubric.rescale(raw), applied once, at the end.

A review is used only when complete: an item lost to a bad row (sheet parsing
kept the rest) makes that review wait for the TA, who overrides the item.

TA overrides (overrides.csv: student_id,item,points,reason) are final:
  - `raw` IS the raw total (no forgiveness added on top);
  - a peer item fixes that item's points on every review, and the rule is
    re-applied to the rest (forgiveness then looks only at the other inline
    questions); once every peer item is fixed, the reviews no longer matter;
  - an autograder item replaces that item's points.
Flags are computed after the overrides, from what is final.

Disagreement: the spread (max - min) of the reviews' peer totals; above
rubric.toml's disagreement_margin the submission is flagged for a TA.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

from autograder.results import Status
from course.rubric import Rubric
from peer_review.autograded import AutoResult
from peer_review.rule import ReviewScore, missing_items, raw_total, review_score

# Overrides: {item id or "raw": (points, reason)}
Overrides = dict[str, tuple[float, str]]
RAW = "raw"
EPS = 1e-9


@dataclass
class Review:
    """One returned review of one submission, as parsed (only the valid items)."""

    reviewer: str
    deductions: dict[str, float]
    feedback: str = ""
    source: str = ""  # the returned file it came from (for messages)


@dataclass
class ReviewOutcome:
    review: Review
    score: ReviewScore | None  # None while items are missing
    missing: list[str]


@dataclass
class Grade:
    student_id: str
    auto: dict[str, float] | None
    outcomes: list[ReviewOutcome] = field(default_factory=list)
    peer_subtotal: float | None = None
    forgiveness: float | None = None
    raw: float | None = None
    score: float | None = None
    spread: float | None = None
    flags: list[str] = field(default_factory=list)
    raw_override: tuple[float, str] | None = None
    item_overrides: dict[str, tuple[float, str]] = field(default_factory=dict)

    @property
    def auto_subtotal(self) -> float | None:
        return None if self.auto is None else sum(self.auto.values())

    @property
    def peer_total(self) -> float | None:
        if self.peer_subtotal is None:
            return None
        assert self.forgiveness is not None  # median_parts() gives both
        return self.peer_subtotal + self.forgiveness

    @property
    def scored(self) -> list[tuple[ReviewOutcome, ReviewScore]]:
        """The usable reviews (every item scored), each with its score."""
        return [(o, o.score) for o in self.outcomes if o.score is not None]

    @property
    def used(self) -> list[ReviewOutcome]:
        return [o for o, _ in self.scored]


def median_parts(scores: list[ReviewScore]) -> tuple[float, float]:
    """Reviews' scores -> (peer subtotal, forgiveness) of the median review.

    Sorted by total (ties keep allocation order); an even count averages the
    two middle reviews part by part, so the parts add up to the median total."""
    ranked = sorted(scores, key=lambda s: s.total)
    n = len(ranked)
    middle = ranked[(n - 1) // 2 : n // 2 + 1]
    return (statistics.fmean(s.subtotal for s in middle), statistics.fmean(s.forgiveness for s in middle))


def split_overrides(rubric: Rubric, overrides: Overrides) -> tuple[dict, dict, tuple | None]:
    """-> (autograder item overrides, peer item overrides, raw override or None)."""
    auto_ids = {i.id for i in rubric.auto}
    peer_ids = {i.id for i in rubric.peer_graded}
    return (
        {k: v for k, v in overrides.items() if k in auto_ids},
        {k: v for k, v in overrides.items() if k in peer_ids},
        overrides.get(RAW),
    )


def grade(
    rubric: Rubric,
    student_id: str,
    auto: AutoResult | None,
    reviews: list[Review],
    k: int,
    blank: frozenset[str] = frozenset(),
    overrides: Overrides | None = None,
) -> Grade:
    """Everything known about one student -> their Grade (raw None while incomplete)."""
    auto_ovr, peer_ovr, raw_ovr = split_overrides(rubric, overrides or {})
    fixed = {item: points for item, (points, _) in peer_ovr.items()}
    g = Grade(
        student_id, _auto_points(rubric, auto, auto_ovr), raw_override=raw_ovr, item_overrides={**auto_ovr, **peer_ovr}
    )
    for r in reviews:
        missing = missing_items(rubric, r.deductions, blank, fixed)
        g.outcomes.append(
            ReviewOutcome(r, None if missing else review_score(rubric, r.deductions, blank, fixed), missing)
        )
    every_item_fixed = len(fixed) == len(rubric.peer_graded)
    scores = [review_score(rubric, {}, blank, fixed)] if every_item_fixed else [s for _, s in g.scored]
    if scores:
        g.peer_subtotal, g.forgiveness = median_parts(scores)
        totals = [s.total for s in scores]
        g.spread = max(totals) - min(totals)
    auto_subtotal, peer_total = g.auto_subtotal, g.peer_total
    if auto_subtotal is not None and peer_total is not None:
        g.raw = raw_total(rubric, auto_subtotal, peer_total)
    if raw_ovr is not None:
        g.raw = raw_ovr[0]
    g.score = None if g.raw is None else rubric.rescale(g.raw)
    g.flags = _flags(rubric, g, auto, k, every_item_fixed)
    return g


def _auto_points(rubric: Rubric, auto: AutoResult | None, auto_ovr: dict) -> dict[str, float] | None:
    """The autograder items after overrides; None unless every item has points."""
    points = {**(auto.points if auto else {}), **{k: v for k, (v, _) in auto_ovr.items()}}
    return points if len(points) == len(rubric.auto) else None


def _flags(rubric: Rubric, g: Grade, auto: AutoResult | None, k: int, every_item_fixed: bool) -> list[str]:
    flags = []
    if g.raw_override is not None:
        flags.append(f"override raw = {g.raw_override[0]:g} ({g.raw_override[1]})")
    flags += [f"override {item} = {points:g} ({reason})" for item, (points, reason) in sorted(g.item_overrides.items())]
    if g.raw_override is None and not every_item_fixed:
        flags += _review_flags(rubric, g, k)
    if g.raw_override is None:
        if g.auto is None:
            flags.append("no autograder result")
        elif auto is not None and auto.status.kind != Status.OK:
            flags.append(f"autograder status: {auto.status}")
    return flags


def _review_flags(rubric: Rubric, g: Grade, k: int) -> list[str]:
    flags = [
        f"review by {o.review.reviewer} lacks {', '.join(o.missing)} (bad rows, see problems.txt): "
        "override those items to use it"
        for o in g.outcomes
        if o.missing
    ]
    used = len(g.used)
    if used == 0:
        return flags + ["no usable peer review: a TA must grade the peer items (overrides)"]
    if used < k:
        flags.append(f"only {used} of {k} reviews")
    if g.spread is not None and g.spread > rubric.disagreement_margin + EPS:
        flags.append(f"reviewers disagree by {g.spread:g} points (margin {rubric.disagreement_margin:g}): TA check")
    return flags
