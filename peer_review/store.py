"""The review folder DIR that `assign` writes and `collect` reads.

DIR/
  allocation.csv        TA only: seed, reviews, reviewer, author, code, sheet id, sheet file, status, reason
  distribution.csv      reviewer, email, files: what to mail or upload to each reviewer
  grades.csv            the autograder results the sheets show (copy; absent when there were none)
  handins.csv           the autograder's record of each hand-in: LMS ids, times, late markers (copy)
  private/salt.txt      TA only: the salt of the codes (unless --salt-file put it elsewhere)
  private/roster.csv    TA only: copy of --roster (names and e-mails)
  anonymised/<CODE>/    each submission's anonymised notebooks (what reviewers get)
  reviewers/<id>/       one folder per reviewer: sheet.html, sheet.md, <CODE>-part*.ipynb
  returned/             the TA puts what reviewers sent here (any file name): the .json the
                        HTML sheet saves, or the filled sheet.md (returned.py)
  overrides.csv         optional, TA: student_id,item,points,reason
  peer_grades.csv, gradebook.csv, reviewer_report.csv, problems.txt, feedback/   written by collect

Every CSV written here goes through `write_csv` (text cells neutralised against
spreadsheet formulas); `uncell` undoes that when the kit reads its own CSVs back.
"""

from __future__ import annotations

import csv
from dataclasses import asdict, astuple, dataclass, fields
from pathlib import Path
from typing import Any

from course.safe_text import csv_text, uncell  # uncell: readers of the peer-review CSVs use store.uncell
from peer_review.allocation import TA

ACTIVE, WITHDRAWN = "active", "withdrawn"


def roster_path(out: Path) -> Path:
    """DIR/private/roster.csv: assign's copy of --roster."""
    return Path(out) / "private" / "roster.csv"


def salt_path(out: Path) -> Path:
    """DIR/private/salt.txt: the salt, unless --salt-file names another file."""
    return Path(out) / "private" / "salt.txt"


def grades_path(out: Path) -> Path:
    """DIR/grades.csv: assign's copy of the autograder results."""
    return Path(out) / "grades.csv"


def handins_path(out: Path) -> Path:
    """DIR/handins.csv: assign's copy of the autograder's hand-in record (times, LMS ids)."""
    return Path(out) / "handins.csv"


def handins_for(grades: Path | None, out: Path) -> Path:
    """The hand-in record that goes with --grades (beside it), else DIR's copy."""
    if grades is not None and (Path(grades).parent / "handins.csv").is_file():
        return Path(grades).parent / "handins.csv"
    return handins_path(out)


def grades_or_saved(grades: Path | None, out: Path) -> Path | None:
    """--grades when given, else DIR/grades.csv when assign saved one, else None."""
    return grades or (grades_path(out) if grades_path(out).exists() else None)


@dataclass
class Row:
    seed: int
    reviews: int
    reviewer: str
    author: str
    code: str
    sheet_id: str
    sheet_file: str  # relative to DIR
    status: str = ACTIVE
    reason: str = "initial"


def write_csv(path: Path, header: list[str], rows: list[list], text_columns: set[str]) -> None:
    """Every CSV peer review writes: text cells neutralised against spreadsheet
    formulas (course.safe_text.csv_text), numbers the kit computed left as numbers."""
    Path(path).write_text(csv_text(header, rows, text_columns), encoding="utf-8")


ROW_NUMBERS = {"seed", "reviews"}


def write_rows(path: Path, rows: list[Row]) -> None:
    header = [fl.name for fl in fields(Row)]
    write_csv(path, header, [list(astuple(r)) for r in rows], set(header) - ROW_NUMBERS)


def read_rows(path: Path) -> list[Row]:
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path} not found: run `peer-review assign` first")
    with path.open(newline="", encoding="utf-8") as f:
        return [_row(r) for r in csv.DictReader(f)]


def _row(record: dict[str, str]) -> Row:
    """One allocation.csv record -> Row: text cells as written, the numbers back to int."""
    cells: dict[str, Any] = {k: uncell(v) for k, v in record.items()}
    return Row(**cells | {"seed": int(record["seed"]), "reviews": int(record["reviews"])})


def read_roster(path: Path | None) -> dict[str, dict[str, str]]:
    """roster.csv -> {student_id: {student_id, name, email, lms_id, section}}; {} without one.
    The columns are mapped in course.toml [roster.columns] (autograder/platforms/roster.py
    reads it: one reader for every command)."""
    from autograder.platforms.roster import read_roster as read_class_list

    if path is None or not Path(path).exists():
        return {}
    return {s.student_id: asdict(s) for s in read_class_list(Path(path)).students}


def write_distribution(out: Path, rows: list[Row], roster: dict) -> None:
    """distribution.csv: per reviewer their e-mail and every file they must receive."""
    files: dict[str, set[str]] = {}
    for r in rows:
        if r.status != ACTIVE or r.reviewer == TA:
            continue
        folder = out / Path(r.sheet_file).parent
        files.setdefault(r.reviewer, set()).update(str(p.relative_to(out)) for p in folder.iterdir() if p.is_file())
    header = ["reviewer", "email", "files"]
    write_csv(
        out / "distribution.csv",
        header,
        [
            [reviewer, roster.get(reviewer, {}).get("email", ""), ";".join(sorted(files[reviewer]))]
            for reviewer in sorted(files)
        ],
        set(header),
    )
