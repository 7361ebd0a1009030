"""`peer-review collect DIR [--grades grades.csv] [--overrides overrides.csv]`.

Reads every file in DIR/returned/ (returned.py: the HTML sheet's saved .json,
Markdown sheets in any common encoding, one copy per sheet, the newest),
validates it (sheet_json.py, sheet_md.py) and reports every problem with the
file (and line): unknown or foreign codes, deductions outside the allowed
values, "+1" in a deduction cell, missing rows or feedback, older copies not
used, Word/PDF returns, sheets never returned. Nothing is dropped silently:
one bad row costs only that item of that review (the TA overrides it or the
other reviews carry the grade), and the gradebook row says so; the exit
status is 1 whenever there was any problem. Every total is recomputed
(rule.py on each sheet, combine.py across sheets); blank answers are read
from the anonymised copies, never from what a reviewer sent.

The late policy (course.toml [late], autograder/platforms/late_policy.py) is
applied last, to the score out of 10, from the hand-in times the autograder
recorded (handins.csv beside --grades, or DIR's copy): rule.py and combine.py
are untouched by it. A late student's feedback states it.

Writes to DIR (every text cell neutralised against spreadsheet formulas):
  gradebook.csv        per student: autograder items, autograder subtotal,
                       peer subtotal, forgiveness, raw, max_raw, score (final,
                       late policy applied), out_of, reviews used, blank answers,
                       flags, score_before_late, late_days, late_penalty, late
  peer_grades.csv      per review: each peer item's points on that sheet,
                       subtotal, forgiveness, total, and whether it was used
  reviewer_report.csv  per reviewer: reviews assigned / usable, mean signed and
                       mean absolute distance of their total from the
                       combined one (+ = more lenient), items off the median
  feedback/<student>.md  the reconciled total and every reviewer's paragraph
  problems.txt         every problem, file[:line]: message
"""

from __future__ import annotations

import csv
import statistics
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from autograder.platforms import handins as handin_rows
from autograder.platforms import late_policy
from course.rubric import Rubric, load_rubric
from peer_review import store
from peer_review.assign import Copies
from peer_review.autograded import read_grades
from peer_review.combine import RAW, Grade, Review, grade
from peer_review.feedback import feedback_md
from peer_review.parsed import Expected, ParsedSheet, Problem
from peer_review.returned import read_returned
from peer_review.sheet import fmt


def expected(out: Path, rows: list[store.Row], rubric: Rubric) -> Expected:
    """What the returned sheets must match: sheet ids, codes, blank answers per code."""
    sheets: dict[str, set[str]] = defaultdict(set)
    for r in rows:
        sheets[r.sheet_id].add(r.code)
    codes = {r.code for r in rows}
    blank = {c: Copies.read(out / "anonymised" / c).blank(rubric) for c in sorted(codes)}
    return Expected(rubric, dict(sheets), codes, blank)


def _unreturned_and_withdrawn(rows, sheets: dict[str, ParsedSheet]) -> list[Problem]:
    problems = []
    for r in rows:
        sheet = sheets.get(r.sheet_id)
        if sheet is None and r.status == store.ACTIVE:
            problems.append(
                Problem(
                    r.sheet_file,
                    None,
                    f"sheet {r.sheet_id} of reviewer {r.reviewer} was never returned (review of {r.code} missing)",
                    r.code,
                )
            )
        elif sheet is not None and r.status != store.ACTIVE and r.code in sheet.reviews:
            problems.append(
                Problem(
                    sheet.file,
                    None,
                    f"review of {r.code} by {r.reviewer} not used: withdrawn ({r.reason}); it was re-assigned",
                    r.code,
                )
            )
    return problems


def usable_reviews(rows, sheets: dict[str, ParsedSheet]) -> dict[str, list[Review]]:
    """{author: [Review]} in allocation order, from the sheets actually returned."""
    found = defaultdict(list)
    for r in rows:
        sheet = sheets.get(r.sheet_id)
        if r.status == store.ACTIVE and sheet is not None and r.code in sheet.reviews:
            review = sheet.reviews[r.code]
            found[r.author].append(Review(r.reviewer, review.deductions, review.feedback, sheet.file))
    return found


def read_overrides(path: Path | None, rubric: Rubric, students: set[str]) -> dict[str, dict]:
    """overrides.csv (student_id,item,points,reason) -> {student: {item: (points, reason)}}."""
    if path is None or not Path(path).exists():
        return {}
    maxima = {i.id: i.points for i in rubric.all_items} | {RAW: rubric.max_raw}
    result: dict[str, dict] = defaultdict(dict)
    with Path(path).open(newline="", encoding="utf-8-sig") as f:
        for line, row in enumerate(csv.DictReader(f), start=2):
            sid, item = store.uncell(row.get("student_id")), store.uncell(row.get("item"))
            where = f"{path}:{line}"
            if sid not in students:
                raise ValueError(f"{where}: unknown student {sid!r}")
            if item not in maxima:
                raise ValueError(f"{where}: unknown item {item!r} (a rubric item id or '{RAW}')")
            try:
                points = float(store.uncell(row.get("points")))
            except ValueError:
                raise ValueError(f"{where}: points {row.get('points')!r} is not a number") from None
            if not 0 <= points <= maxima[item]:
                raise ValueError(f"{where}: {item} = {points:g} outside 0..{maxima[item]:g}")
            result[sid][item] = (points, store.uncell(row.get("reason")) or "TA")
    return result


# ------------------------------------------------------------------ outputs
def _num(x) -> str:
    return "" if x is None else fmt(round(x, 4))


def write_gradebook(
    out: Path,
    rubric: Rubric,
    results: dict[str, Grade],
    blank: dict[str, frozenset],
    late: dict[str, LateGrade] | None = None,
) -> None:
    """gradebook.csv: `score` is the final score (late policy applied; equal to the rule's
    score when on time), `score_before_late` the rule's score, `late` the statement."""
    late = late or {}
    header = [
        "student_id",
        *(i.id for i in rubric.auto),
        "auto_subtotal",
        "peer_subtotal",
        "forgiveness",
        "raw",
        "max_raw",
        "score",
        "out_of",
        "reviews_used",
        "blank_answers",
        "flags",
        "score_before_late",
        "late_days",
        "late_penalty",
        "late",
    ]
    rows = []
    for s, g in results.items():
        lg = late.get(s) or LateGrade(g.score, 0, 0.0, "")
        rows.append(
            [
                g.student_id,
                *(_num(g.auto[i.id]) if g.auto else "" for i in rubric.auto),
                _num(g.auto_subtotal),
                _num(g.peer_subtotal),
                _num(g.forgiveness),
                _num(g.raw),
                fmt(rubric.max_raw),
                _num(lg.score),
                fmt(rubric.out_of),
                len(g.used),
                " ".join(sorted(blank.get(s, ()))),
                "; ".join(g.flags),
                _num(g.score),
                lg.days,
                _num(lg.penalty),
                lg.statement,
            ]
        )
    store.write_csv(out / "gradebook.csv", header, rows, {"student_id", "blank_answers", "flags", "late"})


@dataclass(frozen=True)
class LateGrade:
    """The late policy applied to one student's score."""

    score: float | None  # final, out of 10
    days: int
    penalty: float
    statement: str  # what the student's feedback says ("" when on time)


def late_grades(results: dict[str, Grade], handins: dict, rubric: Rubric) -> dict[str, LateGrade]:
    """{student: LateGrade} from the hand-in times (handins.csv) and course.toml [late]."""
    policy = late_policy.LatePolicy()
    tz = policy.settings.timezone
    out = {}
    for s, g in results.items():
        h = handins.get(s)
        when = late_policy.parse_time(h.submitted_at, tz) if h else None
        lateness = policy.lateness(s, when, bool(h and h.late_marker))
        final = late_policy.apply(g.score, lateness, rubric.decimals)
        out[s] = LateGrade(
            final,
            lateness.days,
            lateness.penalty,
            late_policy.statement(lateness, policy, g.score, final, rubric.out_of),
        )
        if lateness.late:
            g.flags.append(
                f"late: {lateness.days} day(s), -{lateness.penalty:.0%}"
                + (" (LMS marker, no time)" if lateness.by_marker else "")
            )
    return out


def write_peer_grades(out: Path, rubric: Rubric, results: dict[str, Grade], code_of: dict) -> None:
    """One row per review returned: the rule applied on that reviewer's sheet."""
    header = [
        "student_id",
        "code",
        "reviewer",
        "sheet",
        *(i.id for i in rubric.peer_graded),
        "subtotal",
        "forgiveness",
        "total",
        "used",
    ]
    rows = []
    for s, g in results.items():
        for o in g.outcomes:
            points = (
                o.score.points
                if o.score
                else {
                    i.id: i.points - o.review.deductions[i.id]
                    for i in rubric.peer_graded
                    if i.id in o.review.deductions
                }
            )
            rows.append(
                [
                    s,
                    code_of[s],
                    o.review.reviewer,
                    o.review.source,
                    *(_num(points.get(i.id)) for i in rubric.peer_graded),
                    _num(o.score and o.score.subtotal),
                    _num(o.score and o.score.forgiveness),
                    _num(o.score and o.score.total),
                    "yes" if o.score else f"no: {', '.join(o.missing)} missing",
                ]
            )
    store.write_csv(out / "peer_grades.csv", header, rows, {"student_id", "code", "reviewer", "sheet", "used"})


def write_reviewer_report(out: Path, rubric: Rubric, rows, results: dict[str, Grade]) -> None:
    """Per reviewer: how far their totals sat from the combined ones."""
    assigned: defaultdict[str, int] = defaultdict(int)
    for r in rows:
        if r.status == store.ACTIVE:
            assigned[r.reviewer] += 1
    dev: defaultdict[str, list[float]] = defaultdict(list)  # reviewer -> their total - the combined one
    off: defaultdict[str, int] = defaultdict(int)  # reviewer -> items off the median
    for g in results.values():
        scored, peer_total = g.scored, g.peer_total
        if not scored or peer_total is None:
            continue
        medians = {i.id: statistics.median(s.points[i.id] for _, s in scored) for i in rubric.peer_graded}
        for o, s in scored:
            dev[o.review.reviewer].append(s.total - peer_total)
            off[o.review.reviewer] += sum(abs(s.points[i] - m) > 1e-9 for i, m in medians.items())
    header = ["reviewer", "assigned", "usable", "mean_signed_deviation", "mean_abs_deviation", "items_off_median"]
    table = [
        [
            reviewer,
            assigned[reviewer],
            len(dev[reviewer]),
            _num(statistics.fmean(dev[reviewer])) if dev[reviewer] else "",
            _num(statistics.fmean(map(abs, dev[reviewer]))) if dev[reviewer] else "",
            off[reviewer] if dev[reviewer] else "",
        ]
        for reviewer in sorted(assigned)
    ]
    store.write_csv(out / "reviewer_report.csv", header, table, {"reviewer"})


def run(out: Path, grades: Path | None = None, overrides: Path | None = None) -> int:
    """Collect; -> exit status (0 clean, 1 when any problem was found)."""
    rubric, out = load_rubric(), Path(out)
    rows = store.read_rows(out / "allocation.csv")
    roster = store.read_roster(store.roster_path(out))
    grades = store.grades_or_saved(grades, out)
    autos = read_grades(grades, rubric) if grades else {}
    exp = expected(out, rows, rubric)
    sheets, problems = read_returned(out, exp)
    problems = sorted(problems + _unreturned_and_withdrawn(rows, sheets), key=lambda p: (p.file, p.line or 0))
    reviews = usable_reviews(rows, sheets)
    code_of = {r.author: r.code for r in rows}
    students = sorted(set(code_of) | set(autos))
    ovr = read_overrides(overrides or out / "overrides.csv", rubric, set(students))
    k = rows[0].reviews if rows else rubric.reviews
    blank = {s: exp.blank[c] for s, c in code_of.items()}
    results = {}
    for s in students:
        results[s] = grade(rubric, s, autos.get(s), reviews.get(s, []), k, blank.get(s, frozenset()), ovr.get(s))
        if s not in code_of:
            results[s].flags.insert(0, "not in peer review (no notebook when assign ran)")
    handins = handin_rows.read_handins(store.handins_for(grades, out))
    late = late_grades(results, handins, rubric)
    write_gradebook(out, rubric, results, blank, late)
    write_peer_grades(out, rubric, {s: g for s, g in results.items() if s in code_of}, code_of)
    write_reviewer_report(out, rubric, rows, results)
    (out / "feedback").mkdir(exist_ok=True)
    for s in code_of:
        (out / "feedback" / f"{s}.md").write_text(
            feedback_md(code_of[s], results[s], blank[s], rubric, roster, late[s].statement), encoding="utf-8"
        )
    (out / "problems.txt").write_text("".join(f"{p}\n" for p in problems), encoding="utf-8")
    for p in problems:
        print(p, file=sys.stderr)
    print(
        f"peer-review: {len(students)} students graded into {out}/gradebook.csv; "
        f"{len(problems)} problem(s){' (see problems.txt)' if problems else ''}"
    )
    return 1 if problems else 0
