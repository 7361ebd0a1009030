"""OUT/handins.csv: who handed in what, from where and when, as discovery found it.

One row per student: student_id, source (folder, nbgrader, canvas, moodle,
blackboard, loose, gradescope), lms_id, lms_name, submitted_at (ISO 8601, ""
when unknown), late_marker (1 when the LMS marked the hand-in late, else 0),
files (the notebooks graded, ";"-separated). For TAs: it holds the names the
LMS gives students. The late policy (peer-review collect) and the LMS exports
read it; every text cell is formula-safe (course/safe_text.csv_text).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from course.safe_text import csv_text, csv_value, printable

HEADER = ["student_id", "source", "lms_id", "lms_name", "submitted_at", "late_marker", "files"]
NUMBERS = {"late_marker"}
FILENAME = "handins.csv"


@dataclass(frozen=True)
class Handin:
    student_id: str
    source: str = "folder"
    lms_id: str = ""
    lms_name: str = ""
    submitted_at: str = ""
    late_marker: bool = False
    files: str = ""


def from_submission(sub) -> Handin:
    """A discover.Submission -> its row."""
    info = sub.info
    return Handin(
        sub.student_id,
        info.source,
        info.lms_id,
        info.lms_name,
        info.submitted_at,
        info.late_marker,
        ";".join(printable(Path(p).name) for p in sub.notebooks),
    )


def handins_csv(rows: list[Handin]) -> str:
    body = [
        [h.student_id, h.source, h.lms_id, h.lms_name, h.submitted_at, int(h.late_marker), h.files]
        for h in sorted(rows, key=lambda h: h.student_id)
    ]
    return csv_text(HEADER, body, set(HEADER) - NUMBERS)


def read_handins(path: Path) -> dict[str, Handin]:
    """handins.csv -> {student_id: Handin}; {} when there is no such file (older OUT folders)."""
    path = Path(path)
    if not path.is_file():
        return {}
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        missing = [c for c in HEADER if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{path}:1: lacks column(s) {', '.join(missing)}; was it written by autograde?")
        rows = {}
        for row in reader:
            values: dict[str, Any] = {k: csv_value(row[k]) for k in HEADER}  # Handin's fields
            values["late_marker"] = values["late_marker"].strip() == "1"
            rows[values["student_id"]] = Handin(**values)
        return rows


def beside(grades_csv: Path) -> Path:
    """The handins.csv that belongs to a grades.csv (same OUT folder)."""
    return Path(grades_csv).with_name(FILENAME)
