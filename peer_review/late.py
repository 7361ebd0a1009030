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

from collections import defaultdict
from pathlib import Path

from course.rubric import load_rubric
from peer_review import allocation, anonymise, store
from peer_review.assign import (Context, anonymise_submission, identities, load_autos,
                                load_references, write_sheet)
from peer_review.submissions import find_submissions


def _context(out: Path, rows, grades, solutions, salt_file) -> tuple[Context, str]:
    rubric = load_rubric()
    grades = grades or (out / "grades.csv" if (out / "grades.csv").exists() else None)
    salt = anonymise.load_or_create_salt(salt_file or out / "private" / "salt.txt")
    ctx = Context(out, rubric, load_references(solutions, rubric),
                  load_autos(grades, rubric, out), {r.author: r.code for r in rows})
    return ctx, salt


def active_reviewers(rows: list[store.Row]) -> list[str]:
    return sorted({r.reviewer for r in rows if r.status == store.ACTIVE} - {allocation.TA})


def _issue(ctx: Context, salt: str, rows: list[store.Row], new_pairs, reason_of) -> list[store.Row]:
    """New rows + an extra sheet per reviewer for the new pairs."""
    seed, k = rows[0].seed, rows[0].reviews
    by_reviewer = defaultdict(list)
    for reviewer, author in new_pairs:
        by_reviewer[reviewer].append(author)
    new_rows = []
    for reviewer, authors in sorted(by_reviewer.items()):
        n = len({r.sheet_file for r in rows if r.reviewer == reviewer}) + 1
        sheet_file = f"reviewers/{reviewer}/sheet{'' if n == 1 else f'-{n}'}.md"
        sheet_id = anonymise.code(salt, "sheet", f"{reviewer}#{n}")
        write_sheet(ctx, reviewer, sheet_id, sheet_file, authors)
        new_rows += [store.Row(seed, k, reviewer, a, ctx.code_of[a], sheet_id, sheet_file,
                               reason=reason_of(a)) for a in authors]
    return new_rows


def _finish(out: Path, rows, roster) -> None:
    store.write_rows(out / "allocation.csv", rows)
    store.write_distribution(out, rows, store.read_roster(roster or out / "private" / "roster.csv"))


def late(out: Path, submissions: Path, students: list[str] | None = None, grades=None,
         solutions=None, salt_file=None, roster=None) -> list[store.Row]:
    out = Path(out)
    rows = store.read_rows(out / "allocation.csv")
    ctx, salt = _context(out, rows, grades, solutions, salt_file)
    found = find_submissions(submissions)
    new = [s for s in (students or sorted(set(found) - set(ctx.code_of)))]
    for s in new:
        if s not in found:
            raise ValueError(f"{submissions}/{s}: no notebook found for late student {s}")
        if s in ctx.code_of:
            raise ValueError(f"{s} is already in {out}/allocation.csv")
    people = store.read_roster(roster or out / "private" / "roster.csv")
    ctx.code_of.update({s: anonymise.unique_codes(salt, "submission", [s])[s] for s in new})
    k = rows[0].reviews
    live = [(r.reviewer, r.author) for r in rows if r.status == store.ACTIVE]
    pairs = []
    for s in new:
        anonymise_submission(ctx, s, found[s], identities(s, people))
        pairs += allocation.reassign(live + pairs, [s] * k, active_reviewers(rows),
                                     seed=f"{rows[0].seed}:late:{s}")
    new_rows = _issue(ctx, salt, rows, pairs, lambda a: "late submission")
    _finish(out, rows + new_rows, roster)
    return new_rows


def drop(out: Path, reviewer: str, grades=None, solutions=None, salt_file=None,
         roster=None) -> list[store.Row]:
    out = Path(out)
    rows = store.read_rows(out / "allocation.csv")
    mine = [r for r in rows if r.reviewer == reviewer and r.status == store.ACTIVE]
    if not mine:
        raise ValueError(f"{reviewer} has no active review in {out}/allocation.csv")
    ctx, salt = _context(out, rows, grades, solutions, salt_file)
    for r in mine:
        r.status, r.reason = store.WITHDRAWN, f"{r.reason}; reviewer dropped out"
    live = [(r.reviewer, r.author) for r in rows if r.status == store.ACTIVE]
    pairs = allocation.reassign(live, [r.author for r in mine], active_reviewers(rows),
                                seed=f"{rows[0].seed}:drop:{reviewer}")
    new_rows = _issue(ctx, salt, rows, pairs, lambda a: f"replaces {reviewer} (dropped out)")
    _finish(out, rows + new_rows, roster)
    return new_rows
