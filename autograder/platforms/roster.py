"""The class list that joins everything: student ids, LMS ids, names, e-mails, sections.

A CSV file (UTF-8, with or without a byte-order mark, as spreadsheets save it)
whose columns are named in course.toml [roster.columns]; only the student id
column is required. Every cell is student text: kept as written, made
printable (course/safe_text.printable) wherever it is shown, passed through
csv_cell wherever it is written. An LMS id (Canvas user id, Moodle participant
number, Blackboard username) in the roster maps the id an LMS download carries
to the course's student id.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from course.config import ROSTER_FIELDS, RosterSettings, load_config
from course.safe_text import printable, uncell

MAX_ROSTER_BYTES = 20_000_000  # a class list, not a data set


class RosterError(ValueError):
    """The roster cannot be used; the message names the file and line."""


@dataclass(frozen=True)
class Student:
    student_id: str
    name: str = ""
    email: str = ""
    lms_id: str = ""
    section: str = ""

    def names(self) -> tuple[str, str]:
        """(last, first): "Last, First" as LMS exports write it, else the last word is the last name."""
        if "," in self.name:
            last, _, first = self.name.partition(",")
            return last.strip(), first.strip()
        words = self.name.split()
        return (words[-1], " ".join(words[:-1])) if words else ("", "")


@dataclass(frozen=True)
class Roster:
    students: tuple[Student, ...] = ()
    source: str = ""

    def by_id(self, student_id: str) -> Student | None:
        return next((s for s in self.students if s.student_id == student_id), None)

    def by_lms_id(self, lms_id: str) -> Student | None:
        return next((s for s in self.students if lms_id and s.lms_id == lms_id), None) if lms_id else None

    def get(self, student_id: str) -> Student:
        """The roster's row, or a row holding only the id (a student missing from the roster)."""
        return self.by_id(student_id) or Student(student_id)

    def __bool__(self) -> bool:
        return bool(self.students)


def read_roster(path: Path | None, settings: RosterSettings | None = None) -> Roster:
    """roster file -> Roster (empty without a file). RosterError names file and line:
    no student id column, an empty or repeated id, a repeated LMS id."""
    if path is None:
        return Roster()
    path, columns = Path(path), dict((settings or load_config().roster).columns)
    try:
        if path.stat().st_size > MAX_ROSTER_BYTES:
            raise RosterError(f"{path}: {path.stat().st_size} bytes; a roster is at most {MAX_ROSTER_BYTES}")
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise RosterError(f"roster {path}: cannot be read ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise RosterError(f"roster {path}: not UTF-8 text; save it as 'CSV UTF-8'") from None
    reader = csv.DictReader(text.splitlines())
    header = reader.fieldnames or []
    if columns["student_id"] not in header:
        raise RosterError(
            f"{path}:1: no column {columns['student_id']!r} for the student id; columns are "
            f"{', '.join(map(repr, header[:10]))} (map them in course.toml [roster.columns])"
        )
    students: list[Student] = []
    seen: dict[str, int] = {}  # student id -> its line
    lms_seen: dict[str, int] = {}  # LMS id -> its line
    for line, row in enumerate(reader, start=2):
        values = {f: uncell(row.get(columns[f])) for f in ROSTER_FIELDS if columns[f] in header}
        sid = values["student_id"]
        if not sid:
            raise RosterError(f"{path}:{line}: empty student id")
        if sid in seen:
            raise RosterError(f"{path}:{line}: student id {printable(sid)!r} also on line {seen[sid]}")
        lms = values.get("lms_id", "")
        if lms and lms in lms_seen:
            raise RosterError(f"{path}:{line}: LMS id {printable(lms)!r} also on line {lms_seen[lms]}")
        seen[sid], lms_seen[lms] = line, line
        students.append(Student(**values))
    return Roster(tuple(students), str(path))


def course_roster(path: Path | None = None) -> Roster:
    """--roster when given, else course.toml's [roster] path, else an empty roster."""
    return read_roster(path if path is not None else load_config().roster.file())
