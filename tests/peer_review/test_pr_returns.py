"""What reviewers actually send back: encodings, Word and PDF files, "+1", bad rows,
the HTML sheet's JSON (edited or not), blank answers."""

import csv
import json
import re
import zipfile

import pytest
from pr_helpers import PARAGRAPH, codes_on, fill_sheet

from course.rubric import load_rubric
from peer_review import collect, store
from peer_review.sheet import SAVE_FORMAT, SAVE_VERSION

R = load_rubric()
ITEMS = [i.id for i in R.peer_graded]


def filled(out, reviewer, value="0"):
    text = (out / "reviewers" / reviewer / "sheet.md").read_text()
    codes = codes_on(text)
    return fill_sheet(text, {c: dict.fromkeys(ITEMS, value) for c in codes}, dict.fromkeys(codes, PARAGRAPH))


def return_all(out, skip=()):
    for row in store.read_rows(out / "allocation.csv"):
        if row.reviewer not in skip:
            (out / "returned" / f"{row.reviewer}.md").write_text(filled(out, row.reviewer))


def run(out):
    status = collect.run(out)
    return status, (out / "problems.txt").read_text().splitlines()


def book(out):
    return {r["student_id"]: r for r in csv.DictReader(open(out / "gradebook.csv"))}


def peer_rows(out, reviewer):
    return [r for r in csv.DictReader(open(out / "peer_grades.csv")) if r["reviewer"] == reviewer]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-8-sig", "cp1252"])
def test_returns_in_other_encodings_are_read(assigned, encoding):
    _, out = assigned
    return_all(out)
    text = filled(out, "alice").replace(PARAGRAPH, PARAGRAPH + " Très bien.")
    (out / "returned" / "alice.md").write_bytes(text.replace("\n", "\r\n").encode(encoding))
    assert run(out) == (0, [])
    fb = next(p for p in (out / "feedback").glob("*.md") if "Très bien." in p.read_text())
    assert fb


@pytest.mark.parametrize(
    "name,content,what",
    [
        ("alice.docx", None, "a Word or OpenDocument file"),
        ("alice.pdf", b"%PDF-1.7\n...", "a PDF"),
        ("alice.md", b"%PDF-1.4 renamed", "a PDF"),
        ("alice.doc", b"\xd0\xcf\x11\xe0 old word", "an old Word document"),
        ("alice.html", b"<!DOCTYPE html>", "this is the sheet page itself"),
    ],
)
def test_word_pdf_and_html_returns_get_a_clear_message(assigned, tmp_path, name, content, what):
    _, out = assigned
    return_all(out, skip={"alice"})
    if content is None:
        with zipfile.ZipFile(tmp_path / "x.docx", "w") as z:
            z.writestr("word/document.xml", "<w:t>Sheet id: X</w:t>")
        content = (tmp_path / "x.docx").read_bytes()
    (out / "returned" / name).write_bytes(content)
    status, problems = run(out)
    assert status == 1
    mine = [p for p in problems if p.startswith(f"returned/{name}: ")]
    assert len(mine) == 1 and what in mine[0]
    if "sheet page" not in what:
        assert "send the sheet as plain text (sheet.md" in mine[0] and ".json file" in mine[0]
    assert any(p.startswith("reviewers/alice/sheet.md: sheet") and "never returned" in p for p in problems)


def test_plus_one_is_an_error_never_a_deduction_and_one_bad_row_keeps_the_rest(assigned):
    _, out = assigned
    return_all(out)
    text = filled(out, "bob")
    code = codes_on(text)[0]
    text = re.sub(rf"^(\| {code} \| 1\.2 \|.*\|) 0 \|$", r"\1 +1 |", text, flags=re.M)
    text = re.sub(rf"^(\| {code} \| 2\.1 \|.*\|) 0 \|$", r"\1 0.7 |", text, flags=re.M)
    (out / "returned" / "bob.md").write_text(text)
    status, problems = run(out)
    line = next(i for i, t in enumerate(text.splitlines(), 1) if t.startswith(f"| {code} | 1.2 |"))
    assert (
        status == 1
        and (
            f"returned/bob.md:{line}: '+1' for {code} item 1.2 is not a deduction: write one "
            "of 0, 0.5, 1 (the forgiven inline-question mistake is added by the TA's tool, "
            "never written on the sheet)"
        )
        in problems
    )
    assert any("deduction '0.7'" in p for p in problems) and len(problems) == 2
    row = next(r for r in peer_rows(out, "bob") if r["code"] == code)
    assert row["1.2"] == "" and row["2.1"] == "" and row["1.1"] == "1" and row["used"] == "no: 1.2, 2.1 missing"
    author = next(r.author for r in store.read_rows(out / "allocation.csv") if r.code == code)
    flags = book(out)[author]["flags"]
    assert "review by bob lacks 1.2, 2.1" in flags and "only 1 of 2 reviews" in flags
    assert book(out)[author]["raw"] == f"{R.max_raw:g}"  # the other review carries the grade meanwhile
    assert (out / "feedback" / f"{author}.md").read_text().count(PARAGRAPH) == 2  # bob's paragraph kept
    (out / "overrides.csv").write_text(f"student_id,item,points,reason\n{author},1.2,1,TA\n{author},2.1,1,TA\n")
    collect.run(out)
    assert "only 1 of 2" not in book(out)[author]["flags"] and peer_rows(out, "bob")[0]["used"] == "yes"


def _json_return(out, reviewer, mutate=None):
    row = next(r for r in store.read_rows(out / "allocation.csv") if r.reviewer == reviewer)
    codes = [r.code for r in store.read_rows(out / "allocation.csv") if r.sheet_id == row.sheet_id]
    data = {
        "format": SAVE_FORMAT,
        "version": SAVE_VERSION,
        "sheet_id": row.sheet_id,
        "saved_at": "2030-01-01T10:00:00.000Z",
        "reviews": {c: {"deductions": dict.fromkeys(ITEMS, 0.5), "feedback": PARAGRAPH} for c in codes},
    }
    if mutate:
        mutate(data, codes)
    (out / "returned" / f"peer-review-{row.sheet_id}.json").write_text(json.dumps(data))
    return codes


def test_json_return_is_validated_like_a_sheet_and_newer_than_the_markdown(assigned):
    _, out = assigned
    return_all(out)

    def tamper(data, codes):
        data["reviews"][codes[0]]["deductions"]["1.1"] = 0.7
        data["reviews"][codes[0]]["deductions"]["2.2"] = "0.5"
        data["reviews"]["ZZZZZZ"] = {}

    codes = _json_return(out, "carol", tamper)
    status, problems = run(out)
    sheet = next(r.sheet_id for r in store.read_rows(out / "allocation.csv") if r.reviewer == "carol")
    json_file = f"returned/peer-review-{sheet}.json"
    older = [p for p in problems if p.startswith("returned/carol.md")]
    assert status == 1 and sorted(set(problems) - set(older)) == sorted(
        [
            f"{json_file}: deduction 0.7 for {codes[0]} item 1.1 is not one of the allowed values 0, 0.5, 1",
            f"{json_file}: deduction '0.5' for {codes[0]} item 2.2 is not one of the allowed values 0, 0.5, 1",
            f"{json_file}: unknown code 'ZZZZZZ' (this sheet grades {', '.join(sorted(codes))})",
        ]
    )
    assert len(older) == 1 and older[0].startswith(f"returned/carol.md: older copy of sheet {sheet} (saved ")
    assert older[0].endswith(f"not used; {json_file} (saved 2030-01-01 10:00:00 UTC) is used instead")
    assert peer_rows(out, "carol")[1]["1.1"] == "0.5"  # the JSON's values, not the Markdown's zeros


@pytest.mark.parametrize(
    "text,message",
    [
        ("{not json", "not readable JSON"),
        ('{"format": "something else"}', "not a file saved by the peer review sheet"),
        ("[" * 100000 + "]" * 100000, "not readable JSON"),
    ],
)
def test_broken_json_returns_are_reported(assigned, text, message):
    _, out = assigned
    return_all(out)
    (out / "returned" / "peer-review-X.json").write_text(text)
    status, problems = run(out)
    assert status == 1 and len(problems) == 1 and problems[0].startswith(f"returned/peer-review-X.json: {message}")


def test_blank_answers_are_fixed_on_both_sheet_kinds(tmp_path):
    """A blank answer's row is pre-filled; a reviewer who gives it points is told, and it earns nothing."""
    import nbformat
    from pr_helpers import student_notebook, write_grades, write_solutions

    from peer_review import assign

    students = ["b1", "b2", "b3", "b4"]
    for s in students:
        (tmp_path / "subs" / s).mkdir(parents=True)
        for part in ("part1", "part2"):
            nbformat.write(
                student_notebook(part, s, answered=(s != "b1")), str(tmp_path / "subs" / s / f"{part}.ipynb")
            )
    write_grades(
        tmp_path / "grades.csv",
        students,
        auto_of=lambda s: dict.fromkeys((i.id for i in R.auto), 0.0) if s == "b1" else None,
    )
    out = tmp_path / "out"
    assign.run(tmp_path / "subs", out, grades=tmp_path / "grades.csv", solutions=write_solutions(tmp_path / "sol"))
    rows = store.read_rows(out / "allocation.csv")
    b1 = next(r.code for r in rows if r.author == "b1")
    for r in {(r.reviewer, r.sheet_file) for r in rows}:
        text = (out / r[1]).read_text()
        if b1 in codes_on(text):
            assert f"| {b1} | 1.1 | 1 | blank answer | 1 |" in text and "(blank: blank answer" in text
            html = (out / r[1]).with_suffix(".html").read_text()
            assert f'name="{b1}:1.1" value="1" checked disabled' in html
        ded = {c: dict.fromkeys(ITEMS, "0") for c in codes_on(text)}
        filled_text = fill_sheet(text, ded, dict.fromkeys(ded, PARAGRAPH))
        filled_text = filled_text.replace(
            f"| {b1} | 2.2 | 1 | blank answer | 1 |", f"| {b1} | 2.2 | 1 | blank answer | 0 |"
        )
        (out / "returned" / f"{r[0]}.md").write_text(filled_text)
    status, problems = run(out)
    assert status == 1 and len(problems) == 2 and all(f"{b1} item 2.2: the answer is blank" in p for p in problems)
    g = book(out)["b1"]
    assert (g["raw"], g["score"], g["forgiveness"], g["blank_answers"]) == ("2", "0.9", "0", "1.1 1.2 1.3 2.1 2.2 2.3")
