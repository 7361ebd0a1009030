"""The final gradebook in each LMS's import format: `peer-review export DIR --lms NAME --out FILE`.

Input: DIR/gradebook.csv as `peer-review collect` writes it (the autograder,
the peer review and the late policy: `score` out of `out_of`), the hand-in
record (DIR/handins.csv: the LMS ids the downloads carried) and the roster
(names, e-mails, LMS ids, sections). One row per student; a student whose
grade is not final yet gets an empty grade cell (every LMS reads that as "no
grade"), never text; students the LMS needs an id for and that have none are
listed, not guessed. Text cells are formula-safe (course/safe_text.csv_cell).

Formats (the headers each LMS's importer requires):
  canvas      Gradebook import (Canvas Guides, "How do I import grades in the
              Gradebook?"): Student, ID, SIS User ID, SIS Login ID, Section,
              then the assignment column "Name (assignment id)" (a name alone
              creates a new assignment); a "Points Possible" row under the header.
              Canvas matches a row by ID (Canvas user id), else SIS User ID.
  moodle      Offline grading worksheet (Moodle Docs, "Assignment settings" ->
              "Offline grading worksheet"; upload with "Upload grading worksheet"):
              Identifier ("Participant N", the number in Moodle's download names),
              Full name, Email address, Status, Grade, Maximum Grade, Grade can be
              changed, Last modified (submission), Last modified (grade), Feedback comments.
  blackboard  Grade Center upload (Blackboard Help, "Upload grades from external
              sources"): Last Name, First Name, Username, Student ID, then the
              column "Name [Total Pts: 10 Score] |column id" (a name alone creates
              a column); Blackboard matches rows by Username.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from course.config import load_config
from course.safe_text import csv_text, uncell

from . import handins as handin_rows
from .roster import Roster, Student

LMS = ("canvas", "moodle", "blackboard")
CANVAS_HEADER = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
CANVAS_POINTS_ROW = "Points Possible"
MOODLE_HEADER = [
    "Identifier",
    "Full name",
    "Email address",
    "Status",
    "Grade",
    "Maximum Grade",
    "Grade can be changed",
    "Last modified (submission)",
    "Last modified (grade)",
    "Feedback comments",
]
BLACKBOARD_HEADER = ["Last Name", "First Name", "Username", "Student ID"]


@dataclass(frozen=True)
class FinalGrade:
    """One student's final grade as gradebook.csv gives it."""

    student_id: str
    score: float | None  # out of `out_of`, late policy applied; None while not final
    out_of: float
    comment: str = ""  # the late statement, for an LMS with a feedback column


@dataclass
class Export:
    text: str
    rows: int
    problems: list[str] = field(default_factory=list)  # students left out or without an LMS id


def read_final(path: Path) -> list[FinalGrade]:
    """gradebook.csv (peer-review collect) -> final grades; ValueError naming file and line."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: run `peer-review collect` first")
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        missing = [c for c in ("student_id", "score", "out_of") if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{path}:1: lacks column(s) {', '.join(missing)}; is it peer-review collect's gradebook?")
        grades = []
        for line, row in enumerate(reader, start=2):
            try:
                score = float(row["score"]) if row["score"].strip() else None
                out_of = float(row["out_of"])
            except ValueError:
                raise ValueError(
                    f"{path}:{line}: score {row['score']!r} / out_of {row['out_of']!r} is not a number"
                ) from None
            grades.append(FinalGrade(uncell(row["student_id"]), score, out_of, uncell(row.get("late"))))
        return grades


def _number(x: float | None) -> str | float:
    """A grade cell: a number, or empty (no grade yet). Never text."""
    return "" if x is None else round(x, 4)


def _person(g: FinalGrade, roster: Roster, handins: dict, lms: str) -> tuple[Student, str]:
    """(roster row, the LMS's id for the student): the roster's lms_id, else the id the download carried."""
    student = roster.get(g.student_id)
    h = handins.get(g.student_id)
    lms_id = student.lms_id or (h.lms_id if h and h.source == lms else "")
    if not student.name and h and h.source == lms:
        student = Student(g.student_id, h.lms_name, student.email, lms_id, student.section)
    return student, lms_id


def canvas(grades: list[FinalGrade], roster: Roster, handins: dict) -> Export:
    lms = load_config().lms
    column = f"{lms.assignment_name} ({lms.canvas_assignment_id})" if lms.canvas_assignment_id else lms.assignment_name
    out_of = grades[0].out_of if grades else _rubric_out_of()
    rows, problems = [[CANVAS_POINTS_ROW, "", "", "", "", out_of]], []
    for g in grades:
        s, lms_id = _person(g, roster, handins, "canvas")
        if lms_id and not lms_id.isdigit():
            problems.append(f"{g.student_id}: Canvas user id {lms_id!r} is not a number; left out of the ID column")
            lms_id = ""
        last, first = s.names()
        rows.append(
            [
                f"{last}, {first}" if first else last or g.student_id,
                lms_id,
                g.student_id,
                "",
                s.section,
                _number(g.score),
            ]
        )
    header = CANVAS_HEADER + [column]
    return Export(csv_text(header, rows, set(CANVAS_HEADER)), len(grades), problems)


def moodle(grades: list[FinalGrade], roster: Roster, handins: dict) -> Export:
    rows, problems = [], []
    for g in grades:
        s, lms_id = _person(g, roster, handins, "moodle")
        if not lms_id.isdigit():
            problems.append(
                f"{g.student_id}: no Moodle participant number (from the download's folder names or "
                "the roster's lms_id); not in the worksheet"
            )
            continue
        rows.append(
            [
                f"Participant {lms_id}",
                s.name or g.student_id,
                s.email,
                "",
                _number(g.score),
                _number(g.out_of),
                "Yes",
                "",
                "",
                g.comment,
            ]
        )
    text_columns = set(MOODLE_HEADER) - {"Grade", "Maximum Grade"}
    return Export(csv_text(MOODLE_HEADER, rows, text_columns), len(rows), problems)


def blackboard(grades: list[FinalGrade], roster: Roster, handins: dict) -> Export:
    lms = load_config().lms
    out_of = grades[0].out_of if grades else _rubric_out_of()
    column = f"{lms.assignment_name} [Total Pts: {out_of:g} Score]"
    column += f" |{lms.blackboard_column_id}" if lms.blackboard_column_id else ""
    rows = []
    for g in grades:
        s, lms_id = _person(g, roster, handins, "blackboard")
        last, first = s.names()
        rows.append([last, first, lms_id or g.student_id, g.student_id, _number(g.score)])
    header = BLACKBOARD_HEADER + [column]
    return Export(csv_text(header, rows, set(BLACKBOARD_HEADER)), len(rows), [])


def _rubric_out_of() -> float:
    from course.rubric import load_rubric

    return load_rubric().out_of


WRITERS = {"canvas": canvas, "moodle": moodle, "blackboard": blackboard}


def export(gradebook: Path, lms: str, roster: Roster, handins_path: Path) -> Export:
    """The import file's text for `lms` from a collected gradebook."""
    if lms not in WRITERS:
        raise ValueError(f"--lms {lms!r}: use one of {', '.join(LMS)}")
    grades = read_final(gradebook)
    result = WRITERS[lms](grades, roster, handin_rows.read_handins(handins_path))
    graded = {g.student_id for g in grades}
    result.problems += [
        f"{s.student_id}: on the roster, not in {gradebook}: no grade exported"
        for s in roster.students
        if s.student_id not in graded
    ]
    return result
