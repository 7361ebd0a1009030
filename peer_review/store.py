"""The review folder DIR that `assign` writes and `collect` reads.

DIR/
  allocation.csv        TA only: seed, reviews, reviewer, author, code, sheet id, sheet file, status, reason
  distribution.csv      reviewer, email, files: what to mail or upload to each reviewer
  grades.csv            the autograder results the sheets show (copy; absent when there were none)
  private/salt.txt      TA only: the salt of the codes (unless --salt-file put it elsewhere)
  private/roster.csv    TA only: copy of --roster (names and e-mails)
  anonymised/<CODE>/    each submission's anonymised notebooks (what reviewers get)
  reviewers/<id>/       one folder per reviewer: sheet.md, sheet.html, <CODE>-part*.ipynb
  returned/             the TA puts the filled sheets here (any file name, *.md or *.txt)
  overrides.csv         optional, TA: student_id,item,points,reason
  peer_grades.csv, gradebook.csv, reviewer_report.csv, problems.txt, feedback/   written by collect
"""
from __future__ import annotations

import csv
from dataclasses import asdict, dataclass, fields
from pathlib import Path

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


def write_rows(path: Path, rows: list[Row]) -> None:
    with Path(path).open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=[fl.name for fl in fields(Row)])
        writer.writeheader()
        writer.writerows(asdict(r) for r in rows)


def read_rows(path: Path) -> list[Row]:
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path} not found: run `peer-review assign` first")
    with path.open(newline="") as f:
        return [Row(**{**r, "seed": int(r["seed"]), "reviews": int(r["reviews"])})
                for r in csv.DictReader(f)]


def read_roster(path: Path | None) -> dict[str, dict[str, str]]:
    """roster.csv (student_id,name,email) -> {student_id: row}; {} without one."""
    if path is None or not Path(path).exists():
        return {}
    with Path(path).open(newline="") as f:
        reader = csv.DictReader(f)
        if "student_id" not in (reader.fieldnames or []):
            raise ValueError(f"{path}:1: roster needs a student_id column (and name, email)")
        return {r["student_id"].strip(): r for r in reader}


def write_distribution(out: Path, rows: list[Row], roster: dict) -> None:
    """distribution.csv: per reviewer their e-mail and every file they must receive."""
    files: dict[str, set[str]] = {}
    for r in rows:
        if r.status != ACTIVE or r.reviewer == TA:
            continue
        folder = out / Path(r.sheet_file).parent
        files.setdefault(r.reviewer, set()).update(
            str(p.relative_to(out)) for p in folder.iterdir() if p.is_file())
    with (out / "distribution.csv").open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["reviewer", "email", "files"])
        for reviewer in sorted(files):
            writer.writerow([reviewer, roster.get(reviewer, {}).get("email", ""),
                             ";".join(sorted(files[reviewer]))])
