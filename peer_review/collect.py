"""`peer-review collect DIR [--grades grades.csv] [--overrides overrides.csv]`.

Reads every filled sheet in DIR/returned/ (any file name, *.md or *.txt,
subfolders too), validates it (sheet.parse_sheet), and reports every problem
with file and line: unknown or duplicate codes, deductions outside the
allowed values, missing rows or feedback, sheets returned twice, sheets never
returned. Nothing is dropped silently: a review with a blocking problem is
not used, and its author's gradebook row says so; the exit status is 1
whenever there was any problem. Totals are recomputed (combine.py).

Writes to DIR:
  peer_grades.csv      per student: each peer-graded item's combined points,
                       reviews used, spread between reviewers, forgiveness, flags
  gradebook.csv        per student: autograder items, peer items, forgiveness,
                       raw, max_raw, score (out of rubric out_of), flags
  reviewer_report.csv  per reviewer: reviews assigned / usable, mean signed and
                       mean absolute distance of their subtotal from the
                       consensus (+ = more lenient), items off the median
  feedback/<student>.md  both reviewers' paragraphs, as "Reviewer A/B"
  problems.txt         every problem, file:line: message
"""
from __future__ import annotations

import csv
import hashlib
import sys
from collections import defaultdict
from pathlib import Path

from course.rubric import Rubric, load_rubric
from peer_review import store
from peer_review.anonymise import scrub_text
from peer_review.assign import identities
from peer_review.autograded import read_grades
from peer_review.combine import Grade, combine, grade, peer_items, subtotal
from peer_review.sheet import ParsedSheet, Problem, fmt, parse_sheet


def returned_files(out: Path) -> list[Path]:
    folder = out / "returned"
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} does not exist: put the filled sheets there")
    return sorted(p for p in folder.rglob("*") if p.suffix in (".md", ".txt") and p.is_file())


def read_sheets(out: Path, rows: list[store.Row], rubric: Rubric) -> tuple[dict[str, ParsedSheet], list[Problem]]:
    """-> ({sheet id: parsed sheet}, problems) over every returned file.

    A parsed sheet keeps only its usable reviews: one with a blocking problem
    is removed (and the problem says why).
    """
    assigned: dict[str, set[str]] = defaultdict(set)
    for r in rows:
        assigned[r.sheet_id].add(r.code)
    known = {r.code for r in rows}
    sheets: dict[str, ParsedSheet] = {}
    problems: list[Problem] = []
    for path in returned_files(out):
        parsed = parse_sheet(path, rubric, assigned, known, rubric.min_feedback_words,
                             rel=str(path.relative_to(out)))
        problems += parsed.problems
        for p in parsed.problems:
            if p.blocks and p.code:
                parsed.reviews.pop(p.code, None)
        if parsed.sheet_id not in assigned:
            continue
        if parsed.sheet_id in sheets:
            first = sheets[parsed.sheet_id]
            if _digest(first.path) != _digest(path):
                problems.append(Problem(str(path.relative_to(out)), 1,
                                        f"sheet {parsed.sheet_id} returned twice with different "
                                        f"content (also {first.path.relative_to(out)}); neither is used"))
                first.reviews = {}
            continue
        sheets[parsed.sheet_id] = parsed
    problems += _unreturned_and_withdrawn(out, rows, sheets)
    return sheets, sorted(problems, key=lambda p: (p.file, p.line))


def _unreturned_and_withdrawn(out: Path, rows, sheets) -> list[Problem]:
    problems = []
    for r in rows:
        sheet = sheets.get(r.sheet_id)
        if sheet is None and r.status == store.ACTIVE:
            problems.append(Problem(r.sheet_file, 1, f"sheet {r.sheet_id} of reviewer {r.reviewer} "
                                    f"was never returned (review of {r.code} missing)", r.code))
        elif sheet is not None and r.status != store.ACTIVE and r.code in sheet.reviews:
            problems.append(Problem(str(sheet.path.relative_to(out)), 1,
                                    f"review of {r.code} by {r.reviewer} not used: withdrawn "
                                    f"({r.reason}); it was re-assigned", r.code))
    return problems


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def usable_reviews(rows, sheets) -> dict[str, list[tuple[str, dict[str, float], str]]]:
    """{author: [(reviewer, deductions, feedback)]} in allocation order."""
    found = defaultdict(list)
    for r in rows:
        sheet = sheets.get(r.sheet_id)
        if r.status == store.ACTIVE and sheet is not None and r.code in sheet.reviews:
            review = sheet.reviews[r.code]
            found[r.author].append((r.reviewer, review.deductions, review.feedback))
    return found


def read_overrides(path: Path | None, rubric: Rubric, students: set[str]) -> dict[str, dict]:
    """overrides.csv (student_id,item,points,reason) -> {student: {item: (points, reason)}}."""
    if path is None or not Path(path).exists():
        return {}
    maxima = {i.id: i.points for i in (*rubric.auto, *peer_items(rubric))} | {"raw": rubric.max_raw}
    result: dict[str, dict] = defaultdict(dict)
    with Path(path).open(newline="") as f:
        for line, row in enumerate(csv.DictReader(f), start=2):
            sid, item = row.get("student_id", "").strip(), row.get("item", "").strip()
            where = f"{path}:{line}"
            if sid not in students:
                raise ValueError(f"{where}: unknown student {sid!r}")
            if item not in maxima:
                raise ValueError(f"{where}: unknown item {item!r} (a rubric item id or 'raw')")
            try:
                points = float(row.get("points", ""))
            except ValueError:
                raise ValueError(f"{where}: points {row.get('points')!r} is not a number") from None
            if not 0 <= points <= maxima[item]:
                raise ValueError(f"{where}: {item} = {points:g} outside 0..{maxima[item]:g}")
            result[sid][item] = (points, (row.get("reason") or "TA").strip())
    return result


# ------------------------------------------------------------------ outputs
def consensus_report(rubric: Rubric, rows, reviews) -> list[dict]:
    """Per reviewer: how far their subtotals sat from the combined (consensus) ones."""
    assigned = defaultdict(int)
    for r in rows:
        if r.status == store.ACTIVE:
            assigned[r.reviewer] += 1
    dev, off = defaultdict(list), defaultdict(int)
    for author, revs in reviews.items():
        consensus = {i.id: combine([d[i.id] for _, d, _ in revs]) for i in peer_items(rubric)}
        target = subtotal(rubric, consensus)
        for reviewer, deductions, _ in revs:
            dev[reviewer].append(subtotal(rubric, deductions) - target)
            off[reviewer] += sum(deductions[i] != consensus[i] for i in consensus)
    report = []
    for reviewer in sorted(assigned):
        d = dev[reviewer]
        report.append({
            "reviewer": reviewer, "assigned": assigned[reviewer], "usable": len(d),
            "mean_signed_deviation": fmt(round(sum(d) / len(d), 3)) if d else "",
            "mean_abs_deviation": fmt(round(sum(map(abs, d)) / len(d), 3)) if d else "",
            "items_off_median": off[reviewer] if d else "",
        })
    return report


def write_csv(path: Path, rows: list[dict]) -> None:
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]) if rows else ["student_id"])
        writer.writeheader()
        writer.writerows(rows)


def _num(x) -> str:
    return "" if x is None else fmt(round(x, 4))


def peer_row(rubric: Rubric, code: str, g: Grade) -> dict:
    row = {"student_id": g.student_id, "code": code, "reviews": g.reviews}
    row |= {i.id: _num(g.items[i.id]) if g.items else "" for i in peer_items(rubric)}
    row |= {"peer_total": _num(sum(g.items.values())) if g.items else "",
            "forgiveness": _num(g.forgiveness), "spread": _num(g.spread), "flags": "; ".join(g.flags)}
    return row


def gradebook_row(rubric: Rubric, g: Grade) -> dict:
    row = {"student_id": g.student_id}
    row |= {i.id: _num(g.auto.get(i.id)) if g.auto else "" for i in rubric.auto}
    row |= {i.id: _num(g.items[i.id]) if g.items else "" for i in peer_items(rubric)}
    row |= {"forgiveness": _num(g.forgiveness), "raw": _num(g.raw), "max_raw": fmt(rubric.max_raw),
            "score": _num(g.score), "out_of": fmt(rubric.out_of), "flags": "; ".join(g.flags)}
    return row


def feedback_md(code: str, g: Grade, revs, rubric: Rubric, roster: dict) -> str:
    """One student's feedback file: reviewers as A, B, ...; a reviewer who signed
    their paragraph (id, name or e-mail) has it redacted."""
    lines = [f"# Peer feedback for submission {code}", ""]
    if g.raw is not None:
        lines += [f"Total: {fmt(g.raw)} / {fmt(rubric.max_raw)} -> {fmt(g.score)}", ""]
    for n, (reviewer, deductions, text) in enumerate(revs):
        text = scrub_text(text, identities(reviewer, roster))
        lines += [f"## Reviewer {chr(ord('A') + n)}", "", text or "(no feedback paragraph)", ""]
        taken = [f"{i} -{fmt(d)}" for i, d in deductions.items() if d]
        lines += [f"Deductions: {', '.join(taken) or 'none'}", ""]
    if not revs:
        lines += ["No peer review could be used yet; your TA grades these items.", ""]
    return "\n".join(lines)


def run(out: Path, grades: Path | None = None, overrides: Path | None = None) -> int:
    """Collect; -> exit status (0 clean, 1 when any problem was found)."""
    rubric, out = load_rubric(), Path(out)
    rows = store.read_rows(out / "allocation.csv")
    roster = store.read_roster(store.roster_path(out))
    grades = store.grades_or_saved(grades, out)
    autos = read_grades(grades, rubric) if grades else {}
    sheets, problems = read_sheets(out, rows, rubric)
    reviews = usable_reviews(rows, sheets)
    code_of = {r.author: r.code for r in rows}
    students = sorted(set(code_of) | set(autos))
    ovr = read_overrides(overrides or out / "overrides.csv", rubric, set(students))
    k = rows[0].reviews if rows else rubric.reviews
    results = {}
    for s in students:
        revs = [d for _, d, _ in reviews.get(s, [])]
        results[s] = grade(rubric, s, autos.get(s), revs, k, ovr.get(s))
        if s not in code_of:
            results[s].flags.insert(0, "not in peer review (no notebook when assign ran)")
    write_csv(out / "peer_grades.csv", [peer_row(rubric, code_of[s], results[s]) for s in students if s in code_of])
    write_csv(out / "gradebook.csv", [gradebook_row(rubric, results[s]) for s in students])
    write_csv(out / "reviewer_report.csv", consensus_report(rubric, rows, reviews))
    (out / "feedback").mkdir(exist_ok=True)
    for s in code_of:
        (out / "feedback" / f"{s}.md").write_text(
            feedback_md(code_of[s], results[s], reviews.get(s, []), rubric, roster))
    (out / "problems.txt").write_text("".join(f"{p}\n" for p in problems))
    for p in problems:
        print(p, file=sys.stderr)
    print(f"peer-review: {len(students)} students graded into {out}/gradebook.csv; "
          f"{len(problems)} problem(s){' (see problems.txt)' if problems else ''}")
    return 1 if problems else 0
