"""Read the file the HTML sheet's Save button writes (peer-review-<SHEET ID>.json).

    {"format": "nn-from-scratch peer review sheet", "version": 1,
     "sheet_id": "...", "saved_at": "2026-12-01T10:00:00.000Z",
     "reviews": {"<CODE>": {"deductions": {"<item id>": 0.5, ...},
                            "feedback": "...", "shown": {...}}}}

The file passed through a reviewer's hands, so it is checked like a Markdown
sheet: each deduction must be one of the item's allowed values, codes must be
the sheet's own; one bad entry costs only that item. `shown` (the totals the
page displayed) is informational: collect recomputes every total.
"""

from __future__ import annotations

import json
from datetime import datetime

from peer_review.parsed import Expected, ParsedSheet, Problem, SheetReview, code_problem, feedback_problem
from peer_review.sheet import SAVE_FORMAT, SAVE_VERSION, allowed_text

EPS = 1e-9


def parse(text: str, rel: str, exp: Expected) -> ParsedSheet:
    """The saved JSON's text -> its reviews (valid items only) and every problem found."""
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        return _unusable(
            rel,
            f"not readable JSON ({getattr(exc, 'msg', 'nested too deeply')}, line "
            f"{getattr(exc, 'lineno', '?')}): was the file edited? Save it again from the sheet",
        )
    if not isinstance(data, dict) or data.get("format") != SAVE_FORMAT:
        return _unusable(rel, "not a file saved by the peer review sheet (no 'format' entry saying so)")
    if data.get("version") != SAVE_VERSION:
        return _unusable(
            rel, f"saved by a sheet of version {data.get('version')!r}; this collect reads version {SAVE_VERSION}"
        )
    sheet_id = data.get("sheet_id")
    if not isinstance(sheet_id, str) or sheet_id not in exp.sheets:
        return _unusable(rel, f"unknown sheet id {sheet_id!r}")
    problems: list[Problem] = []
    reviews = {c: SheetReview(c) for c in sorted(exp.sheets[sheet_id])}
    given = _object(data.get("reviews"))
    for code, entry in given.items():
        if p := code_problem(rel, None, str(code), exp.sheets[sheet_id], exp.codes):
            problems.append(p)
        elif not isinstance(entry, dict):
            problems.append(Problem(rel, None, f"review of {code} is not an object", code))
        else:
            _read_review(rel, code, entry, exp, reviews[code], problems)
    problems += [
        Problem(rel, None, f"no review of {code} in the file", code) for code in sorted(set(reviews) - set(given))
    ]
    return ParsedSheet(rel, sheet_id, reviews, problems, saved_at=_saved_at(data.get("saved_at")))


def _unusable(rel: str, message: str) -> ParsedSheet:
    return ParsedSheet(rel, None, {}, [Problem(rel, None, message)])


def _object(value: object) -> dict:
    """A JSON object of the file, or {} for any other value."""
    return value if isinstance(value, dict) else {}


def _saved_at(value) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _read_review(rel: str, code: str, entry: dict, exp: Expected, review: SheetReview, problems) -> None:
    items = {i.id: i for i in exp.rubric.peer_graded}
    deductions = _object(entry.get("deductions"))
    blank = exp.blank.get(code, frozenset())
    for item_id in sorted(set(deductions) - set(items)):
        problems.append(Problem(rel, None, f"unknown item {item_id!r} for {code}", code))
    for item in exp.rubric.peer_graded:
        value = deductions.get(item.id)
        number = float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
        if item.id in blank:
            if number is not None and number < item.points - EPS:
                problems.append(
                    Problem(
                        rel,
                        None,
                        f"{code} item {item.id}: the answer is blank, so it earns "
                        f"no points from a peer; deduction {value!r} was not used",
                        code,
                    )
                )
        elif value is None:
            problems.append(
                Problem(rel, None, f"missing deduction for {code} item {item.id} (one of {allowed_text(item)})", code)
            )
        elif number is None or not any(abs(number - a) < EPS for a in (0.0, *item.deductions)):
            problems.append(
                Problem(
                    rel,
                    None,
                    f"deduction {value!r} for {code} item {item.id} is not one "
                    f"of the allowed values {allowed_text(item)}",
                    code,
                )
            )
        else:
            review.deductions[item.id] = number
    feedback = entry.get("feedback")
    review.feedback = feedback.strip() if isinstance(feedback, str) else ""
    if p := feedback_problem(rel, None, code, review.feedback, exp.rubric.min_feedback_words):
        problems.append(p)
