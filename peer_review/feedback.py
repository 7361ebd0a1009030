"""A student's feedback file (DIR/feedback/<student>.md), written after overrides.

It reconciles the grade:  autograder subtotal + peer subtotal + forgiveness = raw -> score,
says how the reviews were combined, lists blank answers and the TA's changes,
and gives every reviewer's paragraph (as Reviewer A, B, ...; a reviewer who
signed their paragraph has their id, name or e-mail redacted) with the
deductions that reviewer made and their own total under the rule.
Reviewer ids and TA-only flags never appear here.
"""

from __future__ import annotations

from course.rubric import Rubric
from peer_review.anonymise import scrub_text
from peer_review.assign import identities
from peer_review.combine import Grade, ReviewOutcome
from peer_review.sheet import fmt
from peer_review.student_text import clean

COMBINE_NOTE = (
    "Each reviewer's sheet was totalled as the course does (their deductions, then the "
    "forgiven inline-question mistake); the median of the reviewers' totals is used "
    "(with two reviewers, their mean)."
)


def _totals(g: Grade, rubric: Rubric) -> list[str]:
    peer_max = sum(i.points for i in rubric.peer_graded)
    lines = [
        "| part | points |",
        "|---|---|",
        f"| Autograder | {_pts(g.auto_subtotal)} / {fmt(rubric.auto_max)} |",
        f"| Inline questions and experiments (peer review) | {_pts(g.peer_subtotal)} / {fmt(peer_max)} |",
        f"| Forgiveness (+{fmt(rubric.forgiveness_points)} point as we allow for "
        f"{rubric.forgiven_mistakes} inline question mistake) | +{_pts(g.forgiveness)} |",
        f"| Raw total | {_pts(g.raw)} / {fmt(rubric.max_raw)} |",
        f"| Score | {_pts(g.score)} / {fmt(rubric.out_of)} |",
        "",
    ]
    raw, score, auto = g.raw, g.score, g.auto_subtotal
    if g.raw_override is not None:
        assert raw is not None and score is not None  # combine() sets both from the override
        lines.append(
            f"Your TA set the raw total to {fmt(g.raw_override[0])} ({g.raw_override[1]}): "
            f"{fmt(raw)} / {fmt(rubric.max_raw)} -> {fmt(score)} / {fmt(rubric.out_of)}."
        )
    elif raw is not None:
        assert score is not None and auto is not None  # without an override, raw needs both parts
        lines.append(
            f"{fmt(auto)} + {_pts(g.peer_subtotal)} + {_pts(g.forgiveness)} = "
            f"{fmt(raw)} / {fmt(rubric.max_raw)} -> {fmt(score)} / {fmt(rubric.out_of)}"
        )
    else:
        lines.append("Your total is not final yet: your TA completes it.")
    return lines + [""]


def _pts(x: float | None) -> str:
    return "?" if x is None else fmt(round(x, 4))


def _review_lines(letter: str, o: ReviewOutcome, blank: frozenset[str], rubric: Rubric, roster: dict) -> list[str]:
    text = clean(scrub_text(o.review.feedback, identities(o.review.reviewer, roster)))
    taken = [f"{item} -{fmt(d)}" for item, d in o.review.deductions.items() if d and item not in blank]
    lines = [
        f"## Reviewer {letter}",
        "",
        text or "(no feedback paragraph)",
        "",
        f"Deductions: {', '.join(taken) or 'none'}",
    ]
    if o.score is not None:
        lines.append(
            f"This reviewer's total: {fmt(o.score.subtotal)} + {fmt(o.score.forgiveness)} forgiven = "
            f"{fmt(o.score.total)} / {fmt(sum(i.points for i in rubric.peer_graded))}"
        )
    else:
        lines.append("Part of this review is with your TA (an entry on the sheet could not be read).")
    return lines + [""]


def feedback_md(code: str, g: Grade, blank: frozenset[str], rubric: Rubric, roster: dict, late: str = "") -> str:
    """One student's feedback file; `late` is the late policy's statement ("" when on time)."""
    lines = [f"# Peer feedback for submission {code}", "", *_totals(g, rubric), COMBINE_NOTE, ""]
    if late:
        lines += [late, ""]
    if blank:
        lines += [f"Blank answers (no points from peers): {', '.join(sorted(blank))}.", ""]
    changes = [f"{item} set to {fmt(points)} ({reason})" for item, (points, reason) in sorted(g.item_overrides.items())]
    if changes:
        lines += [f"Changed by your TA: {'; '.join(changes)}.", ""]
    for n, outcome in enumerate(g.outcomes):
        lines += _review_lines(chr(ord("A") + n), outcome, blank, rubric, roster)
    if not g.outcomes:
        lines += ["No peer review could be used yet; your TA grades these items.", ""]
    return "\n".join(lines)
