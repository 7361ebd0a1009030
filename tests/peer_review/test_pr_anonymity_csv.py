"""No identity reaches a reviewer (file names, paths, statuses), the roster warning,
and every CSV peer review writes is safe to open in a spreadsheet."""

import csv

import nbformat
from pr_helpers import PARAGRAPH, codes_on, fill_sheet, student_notebook, write_class, write_solutions

from course.rubric import load_rubric
from course.safe_text import FORMULA_STARTS
from peer_review import cli, store

R = load_rubric()
ITEMS = [i.id for i in R.peer_graded]


def grades_csv(path, statuses: dict[str, str]):
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["student_id", *(i.id for i in R.auto), "total", "max_total", "status"])
        for s, status in statuses.items():
            w.writerow([s, *(i.points for i in R.auto), R.auto_max, R.auto_max, status])


def test_file_names_and_paths_in_autograder_status_never_reach_a_sheet(tmp_path, capsys):
    subs = write_class(tmp_path / "subs", ["s2", "s3", "s4"])
    (subs / "s1").mkdir()
    nbformat.write(student_notebook("part1", "s1"), str(subs / "s1" / "Zoltan_Quimby_homework.ipynb"))
    (subs / "s1" / "Copy of Zoltan Quimby part2.ipynb").write_text("{not json")
    grades_csv(
        tmp_path / "grades.csv",
        {
            "s1": "partial: Copy of Zoltan Quimby part2.ipynb: invalid JSON; Zoltan_Quimby_homework.ipynb "
            "cell 3 (/home/zquimby/hw): TwoLayerNet is not defined",
            "s2": "ok",
            "s3": "ok",
            "s4": "ok",
        },
    )
    out = tmp_path / "out"
    assert (
        cli.main(
            [
                "assign",
                str(subs),
                "--out",
                str(out),
                "--grades",
                str(tmp_path / "grades.csv"),
                "--solutions",
                str(write_solutions(tmp_path / "sol")),
            ]
        )
        == 0
    )
    err = capsys.readouterr().err
    assert "WARNING: no --roster given" in err and "--roster roster.csv (columns student_id,name,email" in err
    code = next(r.code for r in store.read_rows(out / "allocation.csv") if r.author == "s1")
    shown = 0
    for sheet in (out / "reviewers").rglob("sheet.*"):
        text = sheet.read_text()
        for leak in ("Zoltan", "Quimby", "homework", "zquimby", "/home"):
            assert leak not in text, (sheet, leak)
        if code in text:
            shown += 1
            assert "partial: [file]: invalid JSON; [file] cell 3 ([file]): TwoLayerNet is not defined" in text
    assert shown == 2 * R.reviews  # both reviewers' .md and .html


def test_every_csv_neutralises_formula_like_ids_and_collect_still_matches_them(tmp_path):
    ids = ["=cmd", "+plus", "-minus", "@at", "plain"]
    subs = write_class(tmp_path / "subs", ids)
    grades_csv(tmp_path / "grades.csv", dict.fromkeys(ids, "ok"))
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "student_id,name,email\n" + "".join(f"{s},Name {i},=HYPERLINK(x{i})\n" for i, s in enumerate(ids))
    )
    out = tmp_path / "out"
    assert (
        cli.main(
            [
                "assign",
                str(subs),
                "--out",
                str(out),
                "--grades",
                str(tmp_path / "grades.csv"),
                "--roster",
                str(roster),
                "--solutions",
                str(write_solutions(tmp_path / "sol")),
            ]
        )
        == 0
    )
    for row in store.read_rows(out / "allocation.csv"):
        text = (out / row.sheet_file).read_text()
        ded = {c: dict.fromkeys(ITEMS, "0") for c in codes_on(text)}
        (out / "returned" / f"r{ids.index(row.reviewer)}.md").write_text(
            fill_sheet(text, ded, dict.fromkeys(ded, PARAGRAPH))
        )
    assert cli.main(["collect", str(out)]) == 0
    written = ["allocation.csv", "distribution.csv", "gradebook.csv", "peer_grades.csv", "reviewer_report.csv"]
    for name in written:
        for row in csv.reader(open(out / name)):
            assert not any(cell.startswith(FORMULA_STARTS) for cell in row), (name, row)
    book = {r["student_id"]: r for r in csv.DictReader(open(out / "gradebook.csv"))}
    assert set(book) == {"'" + s if s[0] in "=+-@" else s for s in ids}
    assert all(r["raw"] == f"{R.max_raw:g}" for r in book.values())
    assert {r.author for r in store.read_rows(out / "allocation.csv")} == set(ids)  # read back exactly


def test_a_lone_surrogate_in_an_answer_costs_nobody_their_review(tmp_path):
    """JSON may spell "\\ud800" (valid JSON, no file can hold it): it becomes U+FFFD, and the
    class is assigned as usual instead of `assign` failing for everyone."""
    subs = write_class(tmp_path / "subs", ["s1", "s2", "s3"])
    notebook = next((subs / "s1").glob("*part1*"))
    text = notebook.read_text().replace("My answer to", "My \\\\ud800 answer to".replace("\\\\", "\\"), 1)
    assert "\\ud800" in text
    notebook.write_text(text)
    out = tmp_path / "out"
    assert (
        cli.main(["assign", str(subs), "--out", str(out), "--solutions", str(write_solutions(tmp_path / "sol"))]) == 0
    )
    sheets = list((out / "reviewers").rglob("sheet.md"))
    assert len(sheets) == 3 and any("My \ufffd answer to" in s.read_text() for s in sheets)
