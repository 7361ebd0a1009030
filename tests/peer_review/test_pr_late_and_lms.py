"""The final gradebook with the late policy, and its export in each LMS's import format.

A class handed in through Canvas (one student marked LATE, one with an extension),
joined by a roster; peer review run end to end; `collect` applies the late policy
after the course's rule; `export --lms` writes Canvas's, Moodle's and Blackboard's
import files with the headers each requires and numbers only in the grade column."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from pathlib import Path

import nbformat
import pytest
from pr_helpers import FILES, PARAGRAPH, codes_on, fill_sheet, student_notebook, write_grades, write_solutions

from autograder.discover import discover
from autograder.platforms import handins, late_policy, lms_export
from autograder.platforms.roster import read_roster
from course.config import LateSettings, load_config
from course.rubric import load_rubric
from course.safe_text import FORMULA_STARTS
from peer_review import cli, store

R = load_rubric()
ITEMS = [i.id for i in R.peer_graded]
CANVAS = {
    "s1": ("adamsann", 101, False),
    "s2": ("bakerbo", 102, True),
    "s3": ("clarkcy", 103, False),
    "s4": ("=evil", 104, False),
}
NAMES = {"s1": "Adams, Ann", "s2": "Baker, Bo", "s3": "Clark, Cy", "s4": '=HYPERLINK("x"), Eve'}


def canvas_download(root: Path) -> Path:
    root.mkdir(parents=True)
    for sid, (name, uid, late) in CANVAS.items():
        for n, (part, fname) in enumerate(FILES.items()):
            marker = "LATE_" if late else ""
            stem = name.lstrip("=")
            nbformat.write(student_notebook(part, sid), str(root / f"{stem}_{marker}{uid}_{900 + n}_{fname}"))
    return root


@pytest.fixture(scope="module")
def collected(tmp_path_factory):
    root = tmp_path_factory.mktemp("lms")
    subs = canvas_download(root / "subs")
    roster = root / "roster.csv"
    roster.write_text(
        "student_id,name,email,lms_id,section\n"
        + "".join(
            f'{sid},"{NAMES[sid].replace(chr(34), chr(34) * 2)}",{sid}@uni.example,{uid},A1\n'
            for sid, (_, uid, _) in CANVAS.items()
        )
    )
    found = discover(subs, roster=read_roster(roster))
    assert sorted(s.student_id for s in found) == sorted(CANVAS)
    write_grades(root / "grades" / "grades.csv", sorted(CANVAS))
    (root / "grades" / "handins.csv").write_text(handins.handins_csv([handins.from_submission(s) for s in found]))
    out = root / "dir"
    assert (
        cli.main(
            [
                "assign",
                str(subs),
                "--out",
                str(out),
                "--grades",
                str(root / "grades" / "grades.csv"),
                "--roster",
                str(roster),
                "--solutions",
                str(write_solutions(root / "sol")),
            ]
        )
        == 0
    )
    for row in store.read_rows(out / "allocation.csv"):
        text = (out / row.sheet_file).read_text()
        codes = codes_on(text)
        (out / "returned" / f"{row.reviewer}.md").write_text(
            fill_sheet(text, {c: dict.fromkeys(ITEMS, "0") for c in codes}, dict.fromkeys(codes, PARAGRAPH))
        )
    settings = LateSettings(
        due="2026-12-01T23:59",
        timezone="Europe/Berlin",
        grace_minutes=15,
        penalty_per_day=0.1,
        max_penalty=1.0,
        marker_days=1,
        extensions=(("s3", 2),),
    )
    mp = pytest.MonkeyPatch()
    mp.setattr(late_policy, "load_config", lambda: replace(load_config(), late=settings))
    try:
        assert cli.main(["collect", str(out)]) == 0
    finally:
        mp.undo()
    return out, roster


def book(out):
    return {store.uncell(r["student_id"]): r for r in csv.DictReader(open(out / "gradebook.csv"))}


def test_the_late_policy_is_applied_after_the_rule_and_stated(collected):
    out, _ = collected
    b = book(out)
    assert b["s2"]["score_before_late"] == f"{R.out_of:g}" and b["s2"]["late_days"] == "1"
    assert float(b["s2"]["score"]) == R.rescale(R.max_raw) * 0.9 and b["s2"]["late_penalty"] == "0.1"
    assert "late: 1 day(s), -10% (LMS marker, no time)" in b["s2"]["flags"]
    for sid in ("s1", "s3", "s4"):
        assert b[sid]["score"] == b[sid]["score_before_late"] == f"{R.out_of:g}" and b[sid]["late_days"] == "0"
    feedback = (out / "feedback" / "s2.md").read_text()  # feedback/<student>.md (for the TA to send)
    assert "Late work: your LMS marked the hand-in late" in feedback and "10 -> 9 / 10" in feedback
    others = [p for p in (out / "feedback").iterdir() if p.name != "s2.md"]
    assert others and not any("Late work" in p.read_text() for p in others)


def parse(path: Path) -> tuple[list[str], list[list[str]]]:
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    return rows[0], rows[1:]


def no_formulas(rows):
    return not any(cell.startswith(FORMULA_STARTS) for row in rows for cell in row)


def test_canvas_import_file(collected, tmp_path):
    out, _ = collected
    assert cli.main(["export", str(out), "--lms", "canvas", "--out", str(tmp_path / "c.csv")]) == 0
    header, rows = parse(tmp_path / "c.csv")
    assert header[:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert header[5] == load_config().lms.assignment_name and len(header) == 6
    assert rows[0][0].strip() == "Points Possible" and float(rows[0][5]) == R.out_of
    students = {r[2]: r for r in rows[1:]}
    assert sorted(students) == sorted(CANVAS)
    for sid, (_, uid, _) in CANVAS.items():
        assert students[sid][1] == str(uid) and students[sid][4] == "A1"
        float(students[sid][5])  # a number, never text
    assert students["s1"][0] == "Adams, Ann" and float(students["s2"][5]) == 9
    assert no_formulas(rows)


def test_moodle_grading_worksheet(collected, tmp_path):
    out, _ = collected
    assert cli.main(["export", str(out), "--lms", "moodle", "--out", str(tmp_path / "m.csv")]) == 0
    header, rows = parse(tmp_path / "m.csv")
    assert header == lms_export.MOODLE_HEADER
    by_id = {r[0]: r for r in rows}
    assert sorted(by_id) == [f"Participant {uid}" for _, uid, _ in CANVAS.values()]
    assert all(float(r[4]) >= 0 and float(r[5]) == R.out_of for r in rows)
    assert "Late work" in by_id["Participant 102"][9] and by_id["Participant 101"][9] == ""
    assert no_formulas(rows)


def test_blackboard_grade_center_upload(collected, tmp_path, monkeypatch):
    out, _ = collected
    assert cli.main(["export", str(out), "--lms", "blackboard", "--out", str(tmp_path / "b.csv")]) == 0
    header, rows = parse(tmp_path / "b.csv")
    assert header[:4] == ["Last Name", "First Name", "Username", "Student ID"]
    assert header[4] == f"{load_config().lms.assignment_name} [Total Pts: {R.out_of:g} Score]"
    assert {r[3] for r in rows} == set(CANVAS) and all(float(r[4]) >= 0 for r in rows)
    assert no_formulas(rows)
    lms = replace(load_config().lms, blackboard_column_id=4321)
    monkeypatch.setattr(lms_export, "load_config", lambda: replace(load_config(), lms=lms))
    assert cli.main(["export", str(out), "--lms", "blackboard", "--out", str(tmp_path / "b2.csv")]) == 0
    assert parse(tmp_path / "b2.csv")[0][4].endswith("Score] |4321")


def test_a_grade_that_is_not_final_is_an_empty_cell_and_missing_ids_are_listed(collected, tmp_path, capsys):
    out, roster = collected
    copy = tmp_path / "dir"
    import shutil

    shutil.copytree(out, copy)
    rows = list(csv.reader(open(copy / "gradebook.csv")))
    col = rows[0].index("score")
    rows[1][col] = ""
    with open(copy / "gradebook.csv", "w", newline="") as f:
        csv.writer(f).writerows(rows)
    (copy / "private" / "roster.csv").write_text(roster.read_text() + "s9,Nobody,n@x,,B2\n")
    (copy / "handins.csv").unlink()
    assert cli.main(["export", str(copy), "--lms", "canvas", "--out", str(tmp_path / "c.csv")]) == 1
    assert "s9: on the roster" in capsys.readouterr().err
    _, body = parse(tmp_path / "c.csv")
    assert [r[5] for r in body[1:]].count("") == 1
    (copy / "private" / "roster.csv").write_text("student_id,name\ns1,A\n")
    assert cli.main(["export", str(copy), "--lms", "moodle", "--out", str(tmp_path / "m.csv")]) == 1
    assert "no Moodle participant number" in capsys.readouterr().err
