"""The kit's per-item scores in nbgrader's gradebook, through nbgrader's own API.

    autograde SUBMISSIONS --out OUT --nbgrader-db PATH     (after grading)
    autograde nbgrader-export OUT --db PATH                (an OUT graded earlier)

For each part's notebook (course.toml [notebooks]; nbgrader's notebook name is
the file name without .ipynb) every rubric autograder item of that part is a
grade cell named "autograde:<item id>" with the item's points as max_score.
Each student in OUT/grades.csv gets a submission (created the way nbgrader
creates one, or completed when nbgrader created it already, e.g. for manually
graded cells), and each of those grade cells their points as auto_score; a
TA's manual_score set in formgrader is left alone (nbgrader counts it over the
auto score). So `nbgrader export` and formgrader's gradebook show the kit's
totals next to the manually graded cells. The hand-in time from
OUT/handins.csv becomes the submission's timestamp.
"""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

from course.config import load_config
from course.rubric import load_rubric

from .. import report
from . import handins as handin_rows

CELL_PREFIX = "autograde:"


class NbgraderError(Exception):
    """The scores cannot be written; the message names the file."""


def grade_cell_name(item_id: str) -> str:
    return f"{CELL_PREFIX}{item_id}"


def notebook_names() -> dict[str, str]:
    """{part: nbgrader notebook name} (the file name without .ipynb)."""
    return {part: Path(name).stem for part, name in load_config().notebooks.items()}


def _ensure_cells(gb, assignment: str) -> None:
    """The assignment, its notebooks and one grade cell per rubric item (max_score = its points)."""
    gb.update_or_create_assignment(assignment)
    names = notebook_names()
    for notebook in names.values():
        gb.update_or_create_notebook(notebook, assignment)
    for item in load_rubric().auto:
        gb.update_or_create_grade_cell(
            grade_cell_name(item.id), names[item.part], assignment, max_score=item.points, cell_type="code"
        )


def _submitted_grade(gb, api, submission, notebook: str, cell_name: str):
    """The Grade row of one cell of one submission, created when nbgrader made the submission
    before these cells existed (a course that ran `nbgrader autograde` first)."""
    try:
        return gb.find_grade(cell_name, notebook, submission.assignment.name, submission.student.id)
    except api.MissingEntry:
        pass
    nb_def = gb.find_notebook(notebook, submission.assignment.name)
    try:
        nb = gb.find_submission_notebook(notebook, submission.assignment.name, submission.student.id)
    except api.MissingEntry:
        nb = api.SubmittedNotebook(notebook=nb_def, assignment=submission)
        gb.db.add(nb)
    cell = gb.find_grade_cell(cell_name, notebook, submission.assignment.name)
    grade = api.Grade(cell_id=cell.id, notebook=nb)
    gb.db.add(grade)
    return grade


def _alembic_on_path() -> None:
    """nbgrader's Gradebook runs the `alembic` command (installed beside this Python) to
    check the database version; a venv used without activating it has it off PATH."""
    bindir = str(Path(sys.executable).parent)
    if bindir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")


def write_scores(db: Path, assignment: str, rows: list[dict], times: dict[str, str]) -> int:
    """rows: grades.csv rows (student_id + one column per item); times: {student: ISO time}."""
    try:
        from nbgrader import api
        from sqlalchemy.exc import SAWarning, SQLAlchemyError
    except ImportError as exc:
        raise NbgraderError(f"nbgrader is not installed: {exc}") from exc
    db = Path(db)
    if not db.parent.is_dir():
        raise NbgraderError(f"--nbgrader-db {db}: the folder {db.parent} does not exist")
    names = notebook_names()
    _alembic_on_path()
    try:
        with warnings.catch_warnings(), api.Gradebook(f"sqlite:///{db.resolve()}") as gb:
            # nbgrader's own add_submission makes SQLAlchemy warn on every call: noise, not ours
            warnings.simplefilter("ignore", category=SAWarning)
            _ensure_cells(gb, assignment)
            for row in rows:
                sid = row["student_id"]
                gb.update_or_create_student(sid)
                extra = {"timestamp": times[sid]} if times.get(sid) else {}
                submission = gb.update_or_create_submission(assignment, sid, **extra)
                for item in load_rubric().auto:
                    grade = _submitted_grade(gb, api, submission, names[item.part], grade_cell_name(item.id))
                    grade.auto_score = float(row.get(item.id) or 0)
                gb.db.commit()
    except api.InvalidEntry as exc:
        raise NbgraderError(f"nbgrader gradebook {db}: {exc}") from exc
    except SQLAlchemyError as exc:  # a file that is not an nbgrader database
        raise NbgraderError(f"{db} is not an nbgrader gradebook ({type(exc).__name__}: {exc})") from exc
    return len(rows)


def export_out(out: Path, db: Path, assignment: str | None = None) -> int:
    """Write the scores of an OUT folder (grades.csv, handins.csv) into nbgrader's gradebook."""
    grades = Path(out) / "grades.csv"
    if not grades.is_file():
        raise NbgraderError(f"{grades} does not exist; grade first (autograde SUBMISSIONS --out {out})")
    _, rows = report.read_grades_csv(grades)
    times = {sid: h.submitted_at for sid, h in handin_rows.read_handins(handin_rows.beside(grades)).items()}
    return write_scores(db, assignment or load_config().assignment_id, rows, times)
