"""Read a returned Markdown sheet (sheet.md filled in a text editor).

A reviewer fills in only two things:
1. The last column of each fill-in table, which starts with the header line
       | code | item | max | allowed deductions | deduction |
   One row per graded item; the reviewer writes the deduction (one of the
   allowed values, 0 when nothing is wrong; a minus sign is optional, "0,5"
   is read as 0.5). Rows are found by their code and item cells, so their
   order does not matter and cell widths need not line up. "+1" is not a
   deduction: it is reported as an error (the forgiven mistake is added by
   collect, on this reviewer's sheet), never read as -1. A blank answer's row
   is pre-filled; what the reviewer writes there is not used.
2. The feedback box of each submission: the lines between
       ```feedback CODE
   and the next line holding only ``` .

Everything else is ignored (in particular any total or "+1 point as we allow
for one inline question mistake" line: collect recomputes every total). The
`Sheet id:` line tells collect whose sheet it is, whatever the file is called.
One bad row costs only that item: the other items and the feedback are kept,
the row is reported with its line number and left for the TA.
"""

from __future__ import annotations

import re

from peer_review.parsed import Expected, ParsedSheet, Problem, SheetReview, code_problem, feedback_problem
from peer_review.sheet import TABLE_HEADER, allowed_text

SHEET_ID = re.compile(r"^Sheet id:\s*(\S+)")
FENCE_OPEN = re.compile(r"^```\s*feedback\s+(\S+)\s*$")
FENCE_CLOSE = re.compile(r"^```\s*$")
MINUS_SIGNS = "-\u2212\u2013\u2014"
EPS = 1e-9


def split_row(line: str) -> list[str]:
    cells = [c.strip() for c in line.strip().split("|")]
    if cells and cells[0] == "":
        cells = cells[1:]
    if cells and cells[-1] == "":
        cells = cells[:-1]
    return cells


def parse_deduction(text: str) -> float | None:
    """ "0.5", "-0,5", "−1" -> 0.5, 0.5, 1.0; None when not a number (or written with a +)."""
    text = text.strip()
    if text.startswith("+"):
        return None
    text = text.lstrip(MINUS_SIGNS).strip().replace(",", ".")
    try:
        return abs(float(text))
    except ValueError:
        return None


def _table_rows(lines: list[str]):
    """Yield (line number, cells) of every row of every fill-in table."""
    in_table = False
    for no, line in enumerate(lines, start=1):
        if not line.lstrip().startswith("|"):
            in_table = False
            continue
        cells = split_row(line)
        if tuple(c.lower() for c in cells) == TABLE_HEADER:
            in_table = True
        elif in_table and not all(set(c) <= set("-: ") for c in cells):
            yield no, cells


def _feedback_boxes(lines: list[str], rel: str, problems: list[Problem]):
    """Yield (line number, code, text) of every feedback box."""
    no = 0
    while no < len(lines):
        match = FENCE_OPEN.match(lines[no].strip())
        no += 1
        if not match:
            continue
        start, body = no, []
        while no < len(lines) and not FENCE_CLOSE.match(lines[no].strip()):
            body.append(lines[no])
            no += 1
        if no == len(lines):
            problems.append(
                Problem(
                    rel, start, f"feedback box for {match[1]} is never closed (add a line holding only ```)", match[1]
                )
            )
        no += 1
        yield start, match[1], "\n".join(body).strip()


def parse(text: str, rel: str, exp: Expected) -> ParsedSheet:
    """A Markdown sheet's text -> its reviews (valid items only) and every problem found."""
    lines = text.splitlines()
    problems: list[Problem] = []
    found = next(((m[1], no) for no, m in enumerate(map(SHEET_ID.match, lines), start=1) if m), None)
    if found is None:
        problems.append(
            Problem(
                rel,
                1,
                "no 'Sheet id:' line: is this a sheet made by peer-review assign? "
                "(a sheet saved by the HTML page is a .json file)",
            )
        )
        return ParsedSheet(rel, None, {}, problems)
    sheet_id, id_line = found
    if sheet_id not in exp.sheets:
        problems.append(Problem(rel, id_line, f"unknown sheet id {sheet_id}"))
        return ParsedSheet(rel, sheet_id, {}, problems)
    reviews = {c: SheetReview(c) for c in sorted(exp.sheets[sheet_id])}
    seen = _read_tables(lines, rel, exp, sheet_id, reviews, problems)
    _read_feedback(lines, rel, exp, sheet_id, reviews, problems)
    _check_complete(rel, id_line, exp, reviews, seen, problems)
    return ParsedSheet(rel, sheet_id, reviews, problems)


def _read_tables(lines, rel, exp: Expected, sheet_id, reviews, problems):
    items = {i.id: i for i in exp.rubric.peer_graded}
    seen: dict[tuple[str, str], int] = {}
    for no, cells in _table_rows(lines):
        if len(cells) != len(TABLE_HEADER):
            problems.append(
                Problem(
                    rel,
                    no,
                    f"table row has {len(cells)} cells, expected {len(TABLE_HEADER)} ({' | '.join(TABLE_HEADER)})",
                )
            )
            continue
        code, item_id, value = cells[0], cells[1], cells[4]
        if p := code_problem(rel, no, code, exp.sheets[sheet_id], exp.codes):
            problems.append(p)
            continue
        if item_id not in items:
            problems.append(Problem(rel, no, f"unknown item {item_id!r} for {code}", code))
            continue
        if (code, item_id) in seen:
            problems.append(
                Problem(rel, no, f"duplicate row for {code} item {item_id} (first at line {seen[code, item_id]})", code)
            )
            continue
        seen[code, item_id] = no
        if item_id in exp.blank.get(code, ()):
            _check_blank_row(rel, no, code, items[item_id], value, problems)
        else:
            _read_value(rel, no, code, items[item_id], value, reviews, problems)
    return seen


def _read_value(rel, no, code, item, value, reviews, problems):
    allowed = (0.0, *item.deductions)
    if not value:
        problems.append(
            Problem(rel, no, f"missing deduction for {code} item {item.id} (write one of {allowed_text(item)})", code)
        )
        return
    if value.startswith("+") and parse_deduction(value[1:]) != 0.0:
        problems.append(
            Problem(
                rel,
                no,
                f"{value!r} for {code} item {item.id} is not a deduction: write "
                f"one of {allowed_text(item)} (the forgiven inline-question mistake is "
                "added by the TA's tool, never written on the sheet)",
                code,
            )
        )
        return
    number = parse_deduction(value.removeprefix("+"))
    if number is None or not any(abs(number - a) < EPS for a in allowed):
        problems.append(
            Problem(
                rel,
                no,
                f"deduction {value!r} for {code} item {item.id} is not one of the allowed values {allowed_text(item)}",
                code,
            )
        )
        return
    reviews[code].deductions[item.id] = number


def _check_blank_row(rel, no, code, item, value, problems):
    """A blank answer earns nothing from a peer; a reviewer who gave points is told (TA may override)."""
    number = parse_deduction(value) if value else None
    if number is not None and number < item.points - EPS:
        problems.append(
            Problem(
                rel,
                no,
                f"{code} item {item.id}: the answer is blank, so it earns no points "
                f"from a peer; your deduction {value!r} was not used (if the answer is "
                "elsewhere in the notebook, your TA can override)",
                code,
            )
        )


def _read_feedback(lines, rel, exp: Expected, sheet_id, reviews, problems):
    expected, min_words = exp.sheets[sheet_id], exp.rubric.min_feedback_words
    seen: dict[str, int] = {}
    for no, code, text in _feedback_boxes(lines, rel, problems):
        if p := code_problem(rel, no, code, expected, exp.codes):
            problems.append(p)
            continue
        if code in seen:
            problems.append(Problem(rel, no, f"second feedback box for {code} (first at line {seen[code]})", code))
            continue
        seen[code] = no
        if p := feedback_problem(rel, no, code, text, min_words):
            problems.append(p)
        reviews[code].feedback = text
    for code in sorted(set(expected) - set(seen)):
        problems.append(Problem(rel, len(lines), f"missing feedback for {code}: no ```feedback {code} box", code))


def _check_complete(rel, id_line, exp: Expected, reviews, seen, problems):
    """Rows deleted from a table: reported at the code's last row (or the id line)."""
    for code in reviews:
        rows = [no for (c, _), no in seen.items() if c == code]
        for item in exp.rubric.peer_graded:
            if (code, item.id) not in seen and item.id not in exp.blank.get(code, ()):
                problems.append(
                    Problem(
                        rel, max(rows, default=id_line), f"no row for {code} item {item.id} in the fill-in table", code
                    )
                )
