"""assign -> sheets filled by 'students' -> collect -> the grades worked out by hand."""

import csv
import json
import random
import re
from pathlib import Path

import nbformat
import pytest
from pr_helpers import (
    PARAGRAPH,
    codes_on,
    fill_sheet,
    raw_by_hand,
    sheet_total_by_hand,
    write_class,
    write_grades,
    write_solutions,
)

from course.config import EXAMPLES_DIR, load_config
from course.rubric import load_rubric
from peer_review import assign, cli, store
from peer_review.answers import student_answers
from peer_review.submissions import find_submissions

R = load_rubric()
INLINE = [i.id for i in R.inline]
ITEMS = INLINE + [i.id for i in R.peer]


def truth(author: str) -> dict[str, float]:
    """What the author 'deserves': a deterministic pattern of deductions."""
    rng = random.Random(author)
    return {i: rng.choice([0.0, 0.0, 0.5, 1.0]) for i in ITEMS}


def auto_points(author: str) -> dict[str, float]:
    rng = random.Random("auto" + author)
    return {i.id: rng.choice([0.0, i.points / 2, i.points]) for i in R.auto}


def given(reviewer: str, author: str, harsh: set) -> dict[str, float]:
    d = truth(author)
    if reviewer in harsh:
        d = {i: 1.0 for i in d}
    return d


def return_sheets(out: Path, harsh=frozenset()) -> dict[tuple[str, str], dict]:
    """Every active sheet filled as its reviewer would; -> {(reviewer, author): deductions}."""
    rows = [r for r in store.read_rows(out / "allocation.csv") if r.status == store.ACTIVE]
    author_of = {r.code: r.author for r in rows}
    entered = {}
    for sheet_file in sorted({r.sheet_file for r in rows}):
        reviewer = next(r.reviewer for r in rows if r.sheet_file == sheet_file)
        text = (out / sheet_file).read_text()
        ded = {}
        for code in codes_on(text):
            entered[reviewer, author_of[code]] = given(reviewer, author_of[code], harsh)
            ded[code] = {i: f"{v:g}" for i, v in entered[reviewer, author_of[code]].items()}
        filled = fill_sheet(text, ded, dict.fromkeys(ded, PARAGRAPH + f" ({reviewer})"))
        name = sheet_file.replace("/", "_")
        (out / "returned" / name).write_text(filled)
    return entered


def blank_of(subs: Path) -> dict[str, set[str]]:
    """Blank inline answers per student, read from the hand-ins themselves."""
    found = {}
    for student, paths in find_submissions(subs).items():
        notebooks = []
        for p in paths:
            try:
                notebooks.append(nbformat.read(str(p), as_version=4))
            except Exception:  # an unreadable hand-in: its answers are missing
                pass
        given_answers = student_answers(notebooks)
        found[student] = {q for q in INLINE if not given_answers.get(q, "").strip()}
    return found


def expected_raw(author: str, entered: dict, blank: set) -> float:
    return raw_by_hand(
        sum(auto_points(author).values()), [d for (_, a), d in entered.items() if a == author], frozenset(blank)
    )


def gradebook(out: Path) -> dict[str, dict]:
    return {r["student_id"]: r for r in csv.DictReader(open(out / "gradebook.csv"))}


def check_grades(out: Path, entered: dict, students, blank=None) -> None:
    book = gradebook(out)
    for s in students:
        raw = expected_raw(s, entered, (blank or {}).get(s, set()))
        assert float(book[s]["raw"]) == pytest.approx(raw), s
        assert float(book[s]["score"]) == R.rescale(raw), s


def run_class(tmp_path, subs: Path, solutions: Path, k=2, harsh=frozenset()):
    students = sorted(find_submissions(subs))
    write_grades(tmp_path / "grades.csv", students, auto_of=auto_points)
    out = tmp_path / "out"
    assert (
        cli.main(
            [
                "assign",
                str(subs),
                "--out",
                str(out),
                "--reviews",
                str(k),
                "--seed",
                "11",
                "--grades",
                str(tmp_path / "grades.csv"),
                "--solutions",
                str(solutions),
            ]
        )
        == 0
    )
    entered = return_sheets(out, harsh)
    return out, students, entered


def example_class():
    found = find_submissions(EXAMPLES_DIR) if EXAMPLES_DIR.is_dir() else {}
    return found if len(found) >= 3 else None


def test_round_trip_on_the_example_submissions_or_a_synthetic_class(tmp_path):
    """Runs on examples/submissions when they exist (>= 3 submitters), else on a synthetic class."""
    if example_class():
        subs = EXAMPLES_DIR
        sol = load_config().solution_notebook("part1").parent
        if not all(load_config().solution_notebook(p).exists() for p in load_config().notebooks):
            sol = write_solutions(tmp_path / "sol")  # real solutions not written yet
    else:
        subs, sol = (
            write_class(tmp_path / "subs", ["ann", "ben", "cat", "dan", "eve", "fay"]),
            write_solutions(tmp_path / "sol"),
        )
    out, students, entered = run_class(tmp_path, subs, sol)
    assert cli.main(["collect", str(out)]) == 0
    check_grades(out, entered, students, blank_of(subs))
    assert (out / "problems.txt").read_text() == ""
    html = (out / "reviewers" / students[0] / "sheet.html").read_text()
    assert html.startswith("<!DOCTYPE html>") and html.count('<textarea class="feedback"') == 2
    book = gradebook(out)
    for s in students:  # the author sees both paragraphs, never a reviewer's id, and a total that adds up
        fb = (out / "feedback" / f"{s}.md").read_text()
        assert fb.count(PARAGRAPH) == 2 and "Reviewer A" in fb and "Reviewer B" in fb
        line = re.search(rf"^(\S+) \+ (\S+) \+ (\S+) = (\S+) / {R.max_raw:g} -> (\S+) / {R.out_of:g}$", fb, re.M)
        auto, peer, forgiven, raw, score = map(float, line.groups())
        assert auto + peer + forgiven == pytest.approx(raw) and raw == float(book[s]["raw"])
        assert score == float(book[s]["score"]) and forgiven == float(book[s]["forgiveness"])
        assert not any(f"({r})" in fb for r in students)
    author_of = {r.code: r.author for r in store.read_rows(out / "allocation.csv")}
    for nb in (out / "reviewers").rglob("*.ipynb"):  # the author's id is gone from what reviewers get
        author = author_of[nb.name.split("-")[0]]
        assert not re.search(rf"(?<!\w){re.escape(author)}(?!\w)", nb.read_text(), re.I), nb
        assert "executionInfo" not in nb.read_text() and "@" not in json.dumps(json.loads(nb.read_text())["metadata"])


def test_large_class_three_reviews_with_a_harsh_reviewer(tmp_path):
    names = [f"u{i:02d}" for i in range(24)]
    subs, sol = write_class(tmp_path / "subs", names), write_solutions(tmp_path / "sol")
    out, students, entered = run_class(tmp_path, subs, sol, k=3, harsh={"u03"})
    assert cli.main(["collect", str(out)]) == 0
    check_grades(out, entered, students)  # the median ignores u03's 1s
    for s in students:
        assert gradebook(out)[s]["raw"] != "" and "only" not in gradebook(out)[s]["flags"]
    report = {r["reviewer"]: r for r in csv.DictReader(open(out / "reviewer_report.csv"))}
    harshest = min(report.values(), key=lambda r: float(r["mean_signed_deviation"]))
    assert harshest["reviewer"] == "u03" and float(harshest["mean_signed_deviation"]) < -1


def test_disagreement_flag_and_override(tmp_path):
    subs, sol = write_class(tmp_path / "subs", [f"v{i}" for i in range(7)]), write_solutions(tmp_path / "sol")
    out, students, entered = run_class(tmp_path, subs, sol, harsh={"v2"})
    victims = [a for (r, a) in entered if r == "v2"]
    (out / "overrides.csv").write_text(f"student_id,item,points,reason\n{victims[0]},raw,21.5,TA regrade\n")
    assert cli.main(["collect", str(out)]) == 0
    book = gradebook(out)
    harsh_total = sheet_total_by_hand({i: 1.0 for i in ITEMS})
    for a in victims[1:]:
        gap = abs(sheet_total_by_hand(truth(a)) - harsh_total)
        assert ("disagree" in book[a]["flags"]) == (gap > R.disagreement_margin)
    assert book[victims[0]]["flags"] == "override raw = 21.5 (TA regrade)"  # the TA settled it
    assert book[victims[0]]["raw"] == "21.5" and float(book[victims[0]]["score"]) == R.rescale(21.5)
    assert "override raw = 21.5 (TA regrade)" in book[victims[0]]["flags"]


def test_late_submission_and_dropout(tmp_path):
    names = [f"w{i}" for i in range(8)]
    subs, sol = write_class(tmp_path / "subs", names), write_solutions(tmp_path / "sol")
    write_grades(tmp_path / "grades.csv", names + ["w_late"], auto_of=auto_points)
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
                str(sol),
                "--seed",
                "5",
            ]
        )
        == 0
    )
    write_class(subs, ["w_late"])
    assert cli.main(["late", str(out), str(subs), "--solutions", str(sol)]) == 0
    assert cli.main(["drop", str(out), "--reviewer", "w1", "--solutions", str(sol)]) == 0
    rows = store.read_rows(out / "allocation.csv")
    active = [r for r in rows if r.status == store.ACTIVE]
    assert sorted(r.author for r in active if r.author == "w_late") == ["w_late"] * 2
    assert not any(r.reviewer in ("w1", "w_late") for r in active)
    assert {r.author for r in rows if r.status == store.WITHDRAWN} == {r.author for r in rows if r.reviewer == "w1"}
    for s in names + ["w_late"]:
        revs = [r.reviewer for r in active if r.author == s]
        assert len(revs) == 2 and len(set(revs)) == 2 and s not in revs
    extra = {r.sheet_file for r in active if r.reason != "initial"}
    assert extra and all(f.endswith("sheet-2.md") for f in extra)
    dist = {r["reviewer"]: r["files"] for r in csv.DictReader(open(out / "distribution.csv"))}
    assert "w1" not in dist and all(f in dist[f.split("/")[1]] for f in extra)
    entered = return_sheets(out)
    assert cli.main(["collect", str(out)]) == 0
    check_grades(out, entered, names + ["w_late"])


def test_no_autograder_results_are_said_not_invented(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no build/grades/grades.csv here
    subs, sol = write_class(tmp_path / "subs", ["a1", "a2", "a3"]), write_solutions(tmp_path / "sol")
    assert cli.main(["assign", str(subs), "--out", "out", "--solutions", str(sol)]) == 0
    sheet = (tmp_path / "out" / "reviewers" / "a1" / "sheet.md").read_text()
    assert "No autograder results were available" in sheet and "Autograder subtotal" not in sheet
    return_sheets(tmp_path / "out")
    assert cli.main(["collect", "out"]) == 0
    book = gradebook(tmp_path / "out")
    assert all(r["raw"] == "" and "no autograder result" in r["flags"] for r in book.values())


def test_cli_errors_are_clear(tmp_path, capsys):
    subs, sol = write_class(tmp_path / "subs", ["a1", "a2"]), write_solutions(tmp_path / "sol")
    assert cli.main(["assign", str(subs), "--out", str(tmp_path / "o"), "--solutions", str(sol)]) == 2
    assert "2 student(s) submitted" in capsys.readouterr().err
    assert (
        cli.main(
            [
                "assign",
                str(subs),
                "--out",
                str(tmp_path / "o"),
                "--reviews",
                "1",
                "--solutions",
                str(tmp_path / "nowhere"),
            ]
        )
        == 2
    )
    assert "solution notebooks" in capsys.readouterr().err
    assert not (tmp_path / "o" / "allocation.csv").exists()


def test_nbgrader_layout_and_empty_folder(tmp_path):
    subs = write_class(tmp_path / "submitted", ["n1", "n2", "n3"], nbgrader=True)
    (subs / "n4" / "nn_from_scratch").mkdir(parents=True)
    assert sorted(find_submissions(subs)) == ["n1", "n2", "n3"]


def test_assign_is_reproducible(tmp_path):
    subs, sol = write_class(tmp_path / "subs", [f"r{i}" for i in range(6)]), write_solutions(tmp_path / "sol")
    salt = tmp_path / "salt.txt"
    for out in ("o1", "o2"):
        assign.run(subs, tmp_path / out, seed=3, solutions=sol, salt_file=salt)
    assert (tmp_path / "o1" / "allocation.csv").read_text() == (tmp_path / "o2" / "allocation.csv").read_text()
    assert (tmp_path / "o1/reviewers/r0/sheet.md").read_text() == (tmp_path / "o2/reviewers/r0/sheet.md").read_text()
    assert len(store.read_rows(tmp_path / "o1" / "allocation.csv")) == 12
    with pytest.raises(FileExistsError, match="assigned already"):
        assign.run(subs, tmp_path / "o1", seed=3, solutions=sol, salt_file=salt)
    assign.run(subs, tmp_path / "o1", seed=4, solutions=sol, salt_file=salt, force=True)
    assert (tmp_path / "o1" / "allocation.csv").read_text() != (tmp_path / "o2" / "allocation.csv").read_text()


def test_roster_names_redacted_and_emails_distributed(tmp_path):
    names = ["k1", "k2", "k3", "k4"]
    subs, sol = write_class(tmp_path / "subs", names), write_solutions(tmp_path / "sol")
    roster = tmp_path / "roster.csv"
    roster.write_text("student_id,name,email\n" + "".join(f"{s},Name {s},{s}.x@uni.example.org\n" for s in names))
    out = tmp_path / "out"
    assert cli.main(["assign", str(subs), "--out", str(out), "--roster", str(roster), "--solutions", str(sol)]) == 0
    dist = {r["reviewer"]: r for r in csv.DictReader(open(out / "distribution.csv"))}
    assert dist["k2"]["email"] == "k2.x@uni.example.org" and "reviewers/k2/sheet.md" in dist["k2"]["files"]
    for path in (out / "reviewers").rglob("*"):
        if path.is_file():
            text = path.read_text()
            others = [s for s in names if s != path.parent.name]
            assert not any(f"Name {s}" in text or f"{s}.x@" in text for s in others), path
