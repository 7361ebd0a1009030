"""Late submissions and reviewers who drop out, after `assign`.

  peer-review late DIR SUBMISSIONS [--student ID ...]
      Every submitter found in SUBMISSIONS but not yet in allocation.csv (or
      only the --student ids given) is added: their submission gets a code and
      k reviews, each from the least-loaded active reviewer (never the author,
      never someone who already reviews it, no reciprocal pair when it can be
      avoided; allocation.reassign). A late student reviews nobody: the round
      is already under way and their sheet would come back after the others.
  peer-review drop DIR --reviewer ID
      The reviewer's reviews are marked "withdrawn" in allocation.csv and each
      is re-assigned the same way; their own submission is still reviewed.

When no peer qualifies, the review goes to the TA queue: reviewer "TA", with a
sheet in DIR/reviewers/TA/ that a TA fills in like any other. New reviews
come on an extra sheet (reviewers/<id>/sheet-2.md, ...), so a sheet already
being filled in never changes; allocation.csv records why every row exists.
"""

from __future__ import annotations

import sys
from pathlib import Path

from course.rubric import load_rubric
from peer_review import allocation, anonymise, store
from peer_review.assign import (
    NO_ROSTER_WARNING,
    Context,
    anonymise_submission,
    identities,
    issue_sheets,
    load_autos,
    load_references,
)
from peer_review.submissions import find_submissions


def _context(out: Path, rows, grades, solutions, salt_file, people: dict) -> tuple[Context, str]:
    rubric = load_rubric()
    salt = anonymise.load_or_create_salt(salt_file or store.salt_path(out))
    ctx = Context(
        out,
        rubric,
        load_references(solutions, rubric),
        load_autos(store.grades_or_saved(grades, out), rubric, out),
        {r.author: r.code for r in rows},
    )
    ctx.identities = {r.author: identities(r.author, people) for r in rows}
    return ctx, salt


def active_reviewers(rows: list[store.Row]) -> list[str]:
    return sorted({r.reviewer for r in rows if r.status == store.ACTIVE} - {allocation.TA})


def _issue(ctx: Context, salt: str, rows: list[store.Row], new_pairs, reason: str) -> list[store.Row]:
    """New rows + an extra sheet per reviewer for the new pairs."""

    def next_sheet(reviewer: str) -> tuple[str, str]:
        n = len({r.sheet_file for r in rows if r.reviewer == reviewer}) + 1
        return (
            anonymise.code(salt, "sheet", f"{reviewer}#{n}"),
            f"reviewers/{reviewer}/sheet{'' if n == 1 else f'-{n}'}.md",
        )

    return issue_sheets(ctx, new_pairs, next_sheet, rows[0].seed, rows[0].reviews, reason)


def _people(out: Path, roster) -> dict:
    path = roster or store.roster_path(out)
    if not Path(path).exists():
        print(NO_ROSTER_WARNING, file=sys.stderr)
    return store.read_roster(path)


def _finish(out: Path, rows, people: dict) -> None:
    store.write_rows(out / "allocation.csv", rows)
    store.write_distribution(out, rows, people)


def late(
    out: Path,
    submissions: Path,
    students: list[str] | None = None,
    grades=None,
    solutions=None,
    salt_file=None,
    roster=None,
) -> list[store.Row]:
    out = Path(out)
    rows = store.read_rows(out / "allocation.csv")
    people = _people(out, roster)
    ctx, salt = _context(out, rows, grades, solutions, salt_file, people)
    saved = store.roster_path(out)
    found = find_submissions(submissions, roster or (saved if saved.exists() else None))
    new = [s for s in (students or sorted(set(found) - set(ctx.code_of)))]
    for s in new:
        if s not in found:
            raise ValueError(f"{submissions}/{s}: no notebook found for late student {s}")
        if s in ctx.code_of:
            raise ValueError(f"{s} is already in {out}/allocation.csv")
    ctx.code_of.update({s: anonymise.code(salt, "submission", s) for s in new})
    k = rows[0].reviews
    live = [(r.reviewer, r.author) for r in rows if r.status == store.ACTIVE]
    reviewers = active_reviewers(rows)
    pairs: list[tuple[str, str]] = []  # (reviewer, author)
    for s in new:
        anonymise_submission(ctx, s, found[s], identities(s, people))
        pairs += allocation.reassign(live + pairs, [s] * k, reviewers, seed=f"{rows[0].seed}:late:{s}")
    new_rows = _issue(ctx, salt, rows, pairs, "late submission")
    _finish(out, rows + new_rows, people)
    return new_rows


def drop(out: Path, reviewer: str, grades=None, solutions=None, salt_file=None, roster=None) -> list[store.Row]:
    out = Path(out)
    rows = store.read_rows(out / "allocation.csv")
    mine = [r for r in rows if r.reviewer == reviewer and r.status == store.ACTIVE]
    if not mine:
        raise ValueError(f"{reviewer} has no active review in {out}/allocation.csv")
    people = _people(out, roster)
    ctx, salt = _context(out, rows, grades, solutions, salt_file, people)
    for r in mine:
        r.status, r.reason = store.WITHDRAWN, f"{r.reason}; reviewer dropped out"
    live = [(r.reviewer, r.author) for r in rows if r.status == store.ACTIVE]
    pairs = allocation.reassign(
        live, [r.author for r in mine], active_reviewers(rows), seed=f"{rows[0].seed}:drop:{reviewer}"
    )
    new_rows = _issue(ctx, salt, rows, pairs, f"replaces {reviewer} (dropped out)")
    _finish(out, rows + new_rows, people)
    return new_rows
