"""`autograde SUBMISSIONS --out OUT --only ID...`: regrade a few students into an existing OUT.

Their results.json, feedback.md and rows of grades.csv and handins.csv are
replaced, each file written whole and atomically (a temp file, then rename),
grades.csv last; every other student's row and files stay byte for byte as
they were. manifest.json records the regrade, run_log.txt gets a section
for it, and the summary and gradebook printed are those of the whole OUT.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

from course.rubric import load_rubric
from course.safe_text import csv_text, csv_value, printable

from .. import report
from ..batch import shard_of
from ..results import NOT_GRADABLE, PASSED, ItemResult, Status, SubmissionResult
from . import handins as handin_rows


class RegradeError(Exception):
    """--only cannot be done; the message says why."""


def existing(out: Path) -> tuple[list[str], list[dict], dict]:
    """(header, rows, manifest) of an OUT a finished run wrote."""
    grades = Path(out) / "grades.csv"
    if not grades.is_file():
        raise RegradeError(
            f"--only regrades into an existing gradebook, but {grades} does not exist; "
            "grade the whole class first (without --only)"
        )
    header, rows = report.read_grades_csv(grades)
    current = report.grades_csv([]).strip().split(",")
    if header != current:
        raise RegradeError(
            f"{grades} has other columns than the rubric now gives (course/rubric.toml changed "
            "since it was graded?); regrade the whole class"
        )
    manifest_path = Path(out) / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8")) if manifest_path.is_file() else {}
    return header, rows, manifest if isinstance(manifest, dict) else {}


def select(subs: list, only: list[str], manifest: dict) -> list:
    """The submissions of the --only ids; RegradeError naming ids that are not there."""
    by_id = {s.student_id: s for s in subs}
    unknown = [i for i in only if i not in by_id]
    if unknown:
        raise RegradeError(
            "--only: no hand-in for "
            + ", ".join(printable(repr(i)) for i in unknown)
            + " in SUBMISSIONS (ids as in grades.csv)"
        )
    shard = manifest.get("shard")
    if shard:
        foreign = [i for i in only if shard_of(i, int(shard[1])) != int(shard[0])]
        if foreign:
            raise RegradeError(
                f"OUT is shard {shard[0]}/{shard[1]}; {', '.join(foreign)} belong(s) to another "
                "shard: regrade into that shard's OUT (or the merged one)"
            )
    return [by_id[i] for i in dict.fromkeys(only)]


def result_from_row(row: dict) -> SubmissionResult:
    """A grades.csv row as a SubmissionResult (points and status only): for the summary."""
    items = {}
    for a in load_rubric().auto:
        points = float(row.get(a.id) or 0)
        items[a.id] = ItemResult(a.id, a.title, points, a.points, PASSED if points >= a.points else NOT_GRADABLE)
    return SubmissionResult(
        student_id=row["student_id"], status=Status.parse(row.get("status") or Status.OK), items=items
    )


def write(out: Path, results: list[SubmissionResult], subs: list, log_text: str) -> list[SubmissionResult]:
    """Replace the students' files and rows; -> every student's result (for the summary)."""
    out = Path(out)
    header, rows, manifest = existing(out)
    for r in results:
        report.write_student(out, r)
    new_rows = {r["student_id"]: r for r in _rows(report.grades_csv(results))}
    merged = {r["student_id"]: r for r in rows} | new_rows
    handins = handin_rows.read_handins(out / handin_rows.FILENAME)
    handins |= {s.student_id: handin_rows.from_submission(s) for s in subs}
    report.write_atomic(out / handin_rows.FILENAME, handin_rows.handins_csv(list(handins.values())))
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    manifest["students"] = sorted(merged)
    manifest.setdefault("regrades", []).append({"when": stamp, "students": sorted(new_rows)})
    report.write_atomic(out / "manifest.json", json.dumps(manifest, indent=2) + "\n")
    old_log = (out / "run_log.txt").read_text(encoding="utf-8") if (out / "run_log.txt").is_file() else ""
    report.write_atomic(
        out / "run_log.txt", old_log + f"\n=== regrade {stamp}: {', '.join(sorted(new_rows))} ===\n" + log_text
    )
    body = [[merged[s].get(h, "") for h in header] for s in sorted(merged)]
    report.write_atomic(out / "grades.csv", csv_text(header, body, report.GRADES_TEXT_COLUMNS))
    by_id = {r.student_id: r for r in results}
    return [by_id.get(s) or result_from_row(merged[s]) for s in sorted(merged)]


def _rows(text: str) -> list[dict]:
    """Rows of a grades.csv text, text cells as before csv_cell (as report.read_grades_csv reads them)."""
    return [
        {k: csv_value(v) if k in report.GRADES_TEXT_COLUMNS else v for k, v in row.items()}
        for row in csv.DictReader(io.StringIO(text))
    ]
