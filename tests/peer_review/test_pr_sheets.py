"""Malformed sheets: each problem named, with the file and the line."""

import csv
import os
import re

import pytest
from pr_helpers import PARAGRAPH, codes_on, fill_sheet

from peer_review import collect, store

ITEMS = ["1.1", "1.2", "1.3", "2.1", "2.2", "2.3", "p1_experiments", "p2_experiments"]


def filled(out, reviewer, value="0"):
    text = (out / "reviewers" / reviewer / "sheet.md").read_text()
    codes = codes_on(text)
    return fill_sheet(text, {c: dict.fromkeys(ITEMS, value) for c in codes}, dict.fromkeys(codes, PARAGRAPH))


def return_all(out, **texts):
    """Return every sheet filled with 0s; texts[reviewer] replaces one."""
    for row in store.read_rows(out / "allocation.csv"):
        text = texts.get(row.reviewer) or filled(out, row.reviewer)
        (out / "returned" / f"{row.reviewer}.md").write_text(text)


def problems_of(out):
    status = collect.run(out)
    return status, (out / "problems.txt").read_text().splitlines()


def line_of(text, needle):
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_clean_return_has_no_problem(assigned):
    _, out = assigned
    return_all(out)
    assert problems_of(out) == (0, [])


@pytest.mark.parametrize(
    "written,ok",
    [
        ("0.5", True),
        ("-0.5", True),
        ("\u22121", True),
        ("0,5", True),
        (" 1.0 ", True),
        ("0.7", False),
        ("2", False),
        ("half", False),
    ],
)
def test_deduction_must_be_an_allowed_value(assigned, written, ok):
    _, out = assigned
    text = filled(out, "alice")
    code = codes_on(text)[0]
    text = re.sub(rf"^(\| {code} \| 1\.2 \|.*\|) 0 \|$", rf"\1 {written} |", text, flags=re.M)
    return_all(out, alice=text)
    status, problems = problems_of(out)
    if ok:
        assert status == 0 and problems == []
    else:
        line = line_of(text, f"| {code} | 1.2 |")
        assert problems == [
            f"returned/alice.md:{line}: deduction {written!r} for {code} item 1.2 "
            "is not one of the allowed values 0, 0.5, 1"
        ]


def test_missing_deduction_and_feedback(assigned):
    _, out = assigned
    text = (out / "reviewers" / "bob" / "sheet.md").read_text()  # returned untouched
    return_all(out, bob=text)
    status, problems = problems_of(out)
    assert status == 1
    first = codes_on(text)[0]
    line = line_of(text, f"| {first} | 1.1 |")
    assert f"returned/bob.md:{line}: missing deduction for {first} item 1.1 (write one of 0, 0.5, 1)" in problems
    box = line_of(text, f"```feedback {first}")
    assert any(p.startswith(f"returned/bob.md:{box}: missing feedback for {first}") for p in problems)
    assert len(problems) == 2 * (len(ITEMS) + 1)
    gradebook = {r["student_id"]: r for r in csv.DictReader(open(out / "gradebook.csv"))}
    author = next(r.author for r in store.read_rows(out / "allocation.csv") if r.code == first)
    assert "only 1 of 2 reviews" in gradebook[author]["flags"]


def test_unknown_foreign_and_duplicate_codes(assigned):
    _, out = assigned
    rows = store.read_rows(out / "allocation.csv")
    text = filled(out, "carol")
    mine = codes_on(text)[0]
    foreign = next(r.code for r in rows if r.code not in codes_on(text))
    row = next(line for line in text.splitlines() if line.startswith(f"| {mine} | 1.1 |"))
    text = text.replace(row, "\n".join([row, row, row.replace(mine, "ZZZZZZ"), row.replace(mine, foreign)]))
    return_all(out, carol=text)
    status, problems = problems_of(out)
    first = line_of(text, row)
    assert status == 1 and problems == [
        f"returned/carol.md:{first + 1}: duplicate row for {mine} item 1.1 (first at line {first})",
        f"returned/carol.md:{first + 2}: unknown code 'ZZZZZZ' (this sheet grades {', '.join(sorted(codes_on(text)))})",
        f"returned/carol.md:{first + 3}: code {foreign} is not one this sheet was given to grade "
        f"(this sheet grades {', '.join(sorted(codes_on(text)))})",
    ]


def test_sheet_never_returned_and_a_newer_corrected_copy_wins(assigned):
    _, out = assigned
    return_all(out)
    (out / "returned" / "dave.md").unlink()
    (out / "returned" / "erin-again.md").write_text(filled(out, "erin", value="1"))
    os.utime(out / "returned" / "erin.md", (1_700_000_000, 1_700_000_000))  # the first copy is older
    status, problems = problems_of(out)
    sheet_ids = {r.reviewer: r.sheet_id for r in store.read_rows(out / "allocation.csv")}
    assert status == 1
    assert problems[0].startswith(
        f"returned/erin.md: older copy of sheet {sheet_ids['erin']} (saved "
        "2023-11-14 22:13:20 UTC): not used; returned/erin-again.md"
    )
    assert any(
        p.startswith(f"reviewers/dave/sheet.md: sheet {sheet_ids['dave']} of reviewer dave was never returned")
        for p in problems
    )
    peer = list(csv.DictReader(open(out / "peer_grades.csv")))
    erin = [r for r in peer if r["reviewer"] == "erin"]
    assert erin and all(r["sheet"] == "returned/erin-again.md" and r["1.1"] == "0" for r in erin)


def test_identical_copies_count_once(assigned):
    _, out = assigned
    return_all(out)
    (out / "returned" / "copy").mkdir()
    (out / "returned" / "copy" / "erin.md").write_text((out / "returned" / "erin.md").read_text())
    assert problems_of(out) == (0, [])


def test_unknown_sheet_id_bad_row_and_open_box(assigned):
    _, out = assigned
    return_all(out)
    (out / "returned" / "stray.md").write_text("# notes\nSheet id: NOPE42\n")
    text = filled(out, "alice")
    code = codes_on(text)[0]
    row = next(line for line in text.splitlines() if line.startswith(f"| {code} | 2.2 |"))
    text = text.replace(row, f"| {code} | 2.2 | 0.5 |")
    last_box = line_of(text, f"```feedback {codes_on(text)[-1]}")
    lines = text.splitlines()
    text = "\n".join(lines[:last_box] + [PARAGRAPH]) + "\n"  # box never closed
    (out / "returned" / "alice.md").write_text(text)
    status, problems = problems_of(out)
    assert "returned/stray.md:2: unknown sheet id NOPE42" in problems
    assert (
        f"returned/alice.md:{line_of(text, f'| {code} | 2.2 |')}: table row has 3 cells, expected 5 "
        "(code | item | max | allowed deductions | deduction)"
    ) in problems
    assert any(p.startswith(f"returned/alice.md:{last_box}: feedback box for") for p in problems)


def test_totals_written_by_reviewers_are_ignored(assigned):
    _, out = assigned
    return_all(out, alice=filled(out, "alice") + "\nTotal: 3 / 23 -> 1.3\n")
    assert problems_of(out) == (0, [])
