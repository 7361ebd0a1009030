"""The autograder's OUT/grades.csv: student_id, one column per rubric auto
item (in rubric order), total, max_total, status.

Read and checked against the rubric (points within 0..item points), never
completed by guessing: a student without a row simply has no autograder
result, and the sheets and the gradebook say so. An item the autograder could
not grade holds 0 and the `status` column says why; an empty cell (a file
edited by hand) counts 0 too.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from autograder.report import read_grades_csv
from autograder.results import Status
from course.rubric import Rubric
from peer_review.store import uncell


@dataclass(frozen=True)
class AutoResult:
    student_id: str
    points: dict[str, float]  # rubric auto item id -> points earned
    status: Status


def read_grades(path: Path, rubric: Rubric) -> dict[str, AutoResult]:
    """grades.csv -> {student_id: AutoResult}; loud errors with file and line."""
    path = Path(path)
    columns, rows = read_grades_csv(path)
    missing = [c for c in ("student_id", *(i.id for i in rubric.auto), "status") if c not in columns]
    if missing:
        raise ValueError(f"{path}:1: grades.csv lacks column(s) {', '.join(missing)}")
    results = {}
    for line, row in enumerate(rows, start=2):
        sid = uncell(row["student_id"])
        if sid in results:
            raise ValueError(f"{path}:{line}: second row for student {sid!r}")
        try:
            status = Status.parse(uncell(row["status"]))
        except ValueError as exc:
            raise ValueError(f"{path}:{line}: {exc}") from None
        results[sid] = AutoResult(sid, _points(path, line, row, rubric), status)
    return results


def _points(path: Path, line: int, row: dict, rubric: Rubric) -> dict[str, float]:
    points = {}
    for item in rubric.auto:
        value = (row[item.id] or "").strip()
        try:
            points[item.id] = float(value) if value else 0.0
        except ValueError:
            raise ValueError(f"{path}:{line}: column {item.id} holds {value!r}, not a number") from None
        if not 0 <= points[item.id] <= item.points:
            raise ValueError(f"{path}:{line}: {item.id} = {value} outside 0..{item.points:g}")
    return points
