"""The reviewer sheet: rendered from templates/, read back by `parse_sheet`.

Format (sheet.md; sheet.html is the same sheet for reading and printing).
A reviewer edits sheet.md in any text editor and fills in only two things:

1. The last column of each fill-in table, which starts with the header line
       | code | item | max | allowed deductions | deduction |
   One row per graded item; the reviewer writes the deduction (one of the
   allowed values, 0 when nothing is wrong; a minus sign is optional, "0,5"
   is read as 0.5). Rows are found by their code and item cells, so their
   order does not matter and cell widths need not line up.
2. The feedback box of each submission: the lines between
       ```feedback CODE
   and the next line holding only ``` .

Everything else is ignored (in particular any total the reviewer writes:
`collect` recomputes every total). The `Sheet id:` line tells collect whose
sheet it is, whatever the file is called when it comes back.
Every problem is reported with the file and the 1-based line number.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import jinja2

from course.rubric import Rubric

TABLE_HEADER = ("code", "item", "max", "allowed deductions", "deduction")
SHEET_ID = re.compile(r"^Sheet id:\s*(\S+)")
FENCE_OPEN = re.compile(r"^```\s*feedback\s+(\S+)\s*$")
FENCE_CLOSE = re.compile(r"^```\s*$")
MINUS_SIGNS = "-\u2212\u2013\u2014+"

_env = jinja2.Environment(
    loader=jinja2.PackageLoader("peer_review", "templates"),
    undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
    trim_blocks=True, lstrip_blocks=True,
    autoescape=jinja2.select_autoescape(["html"]),
)


# ------------------------------------------------------------------ render
@dataclass
class ReviewTask:
    """One submission on a sheet (what the reviewer sees about it)."""
    code: str
    notebooks: list[str]
    auto: dict[str, float] | None  # None: no autograder result available
    auto_status: str
    answers: dict[str, str]


@dataclass
class SheetSpec:
    sheet_id: str
    reviewer: str
    tasks: list[ReviewTask]


def fmt(x: float) -> str:
    """1.0 -> "1", 0.5 -> "0.5": numbers as a person writes them."""
    return f"{x:g}"


def allowed_text(item) -> str:
    return ", ".join(fmt(d) for d in (0.0, *item.deductions))


def render(spec: SheetSpec, rubric: Rubric, references: dict[str, str],
           min_words: int) -> tuple[str, str]:
    """-> (markdown, html) of one sheet."""
    ctx = dict(sheet=spec, rubric=rubric, refs=references, min_words=min_words,
               fmt=fmt, allowed=allowed_text, header=TABLE_HEADER,
               quote=lambda t: "\n".join("> " + line for line in t.splitlines()) or ">")
    return (_env.get_template("sheet.md.j2").render(ctx),
            _env.get_template("sheet.html.j2").render(ctx))


# ------------------------------------------------------------------- parse
@dataclass
class Problem:
    file: str
    line: int
    message: str
    code: str | None = None   # the submission concerned, when one is
    blocks: bool = True       # True: that review's grades cannot be used

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


@dataclass
class ParsedReview:
    code: str
    deductions: dict[str, float] = field(default_factory=dict)
    feedback: str = ""


@dataclass
class ParsedSheet:
    path: Path
    sheet_id: str | None
    reviews: dict[str, ParsedReview]
    problems: list[Problem]


def split_row(line: str) -> list[str]:
    cells = [c.strip() for c in line.strip().split("|")]
    if cells and cells[0] == "":
        cells = cells[1:]
    if cells and cells[-1] == "":
        cells = cells[:-1]
    return cells


def parse_deduction(text: str) -> float | None:
    """"0.5", "-0,5", "−1" -> 0.5, 0.5, 1.0; None when not a number."""
    text = text.strip().lstrip(MINUS_SIGNS).strip().replace(",", ".")
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
            problems.append(Problem(rel, start, f"feedback box for {match[1]} is never closed "
                                    "(add a line holding only ```)", match[1]))
        no += 1
        yield start, match[1], "\n".join(body).strip()


def parse_sheet(path: Path, rubric: Rubric, assigned: dict[str, set[str]],
                known_codes: set[str], min_words: int, rel: str | None = None) -> ParsedSheet:
    """One returned sheet -> its reviews and every problem found in it.

    assigned: {sheet id: codes the sheet must grade}; known_codes: every code.
    """
    rel = rel or str(path)
    lines = Path(path).read_text(encoding="utf-8", errors="replace").splitlines()
    problems: list[Problem] = []
    sheet_id, id_line = next(((m[1], no) for no, m in enumerate(map(SHEET_ID.match, lines), start=1) if m),
                             (None, None))
    if sheet_id is None:
        problems.append(Problem(rel, 1, "no 'Sheet id:' line: was this file made by peer-review assign?"))
        return ParsedSheet(Path(path), None, {}, problems)
    if sheet_id not in assigned:
        problems.append(Problem(rel, id_line, f"unknown sheet id {sheet_id}"))
        return ParsedSheet(Path(path), sheet_id, {}, problems)
    expected = assigned[sheet_id]
    reviews = {c: ParsedReview(c) for c in sorted(expected)}
    seen = _read_tables(lines, rel, rubric, expected, known_codes, reviews, problems)
    _read_feedback(lines, rel, expected, known_codes, reviews, problems, min_words)
    _check_complete(rel, id_line, rubric, reviews, seen, problems)
    return ParsedSheet(Path(path), sheet_id, reviews, problems)


def _code_problem(rel, no, code, expected, known) -> Problem | None:
    if code in expected:
        return None
    if code in known:
        return Problem(rel, no, f"code {code} is not one this sheet was given to grade "
                                f"(this sheet grades {', '.join(sorted(expected))})")
    return Problem(rel, no, f"unknown code {code!r} (this sheet grades {', '.join(sorted(expected))})")


def _read_tables(lines, rel, rubric, expected, known, reviews, problems):
    items = {i.id: i for i in rubric.peer_graded}
    seen: dict[tuple[str, str], int] = {}
    for no, cells in _table_rows(lines):
        if len(cells) != len(TABLE_HEADER):
            problems.append(Problem(rel, no, f"table row has {len(cells)} cells, expected "
                                    f"{len(TABLE_HEADER)} ({' | '.join(TABLE_HEADER)})"))
            continue
        code, item_id, value = cells[0], cells[1], cells[4]
        if (p := _code_problem(rel, no, code, expected, known)):
            problems.append(p)
            continue
        if item_id not in items:
            problems.append(Problem(rel, no, f"unknown item {item_id!r} for {code}", code))
            continue
        if (code, item_id) in seen:
            problems.append(Problem(rel, no, f"duplicate row for {code} item {item_id} "
                                    f"(first at line {seen[code, item_id]})", code))
            continue
        seen[code, item_id] = no
        _read_value(rel, no, code, items[item_id], value, reviews, problems)
    return seen


def _read_value(rel, no, code, item, value, reviews, problems):
    allowed = (0.0, *item.deductions)
    if not value:
        problems.append(Problem(rel, no, f"missing deduction for {code} item {item.id} "
                                f"(write one of {allowed_text(item)})", code))
        return
    number = parse_deduction(value)
    if number is None or not any(abs(number - a) < 1e-9 for a in allowed):
        problems.append(Problem(rel, no, f"deduction {value!r} for {code} item {item.id} is not "
                                f"one of the allowed values {allowed_text(item)}", code))
        return
    reviews[code].deductions[item.id] = number


def _read_feedback(lines, rel, expected, known, reviews, problems, min_words):
    seen: dict[str, int] = {}
    for no, code, text in _feedback_boxes(lines, rel, problems):
        if (p := _code_problem(rel, no, code, expected, known)):
            problems.append(p)
            continue
        if code in seen:
            problems.append(Problem(rel, no, f"second feedback box for {code} "
                                    f"(first at line {seen[code]})", code))
            continue
        seen[code] = no
        words = len(text.split())
        if words < min_words:
            what = "missing feedback" if words == 0 else f"feedback too short ({words} words)"
            problems.append(Problem(rel, no, f"{what} for {code}: write a paragraph of at "
                                    f"least {min_words} words", code, blocks=False))
        reviews[code].feedback = text
    for code in sorted(set(expected) - set(seen)):
        problems.append(Problem(rel, len(lines), f"missing feedback for {code}: no "
                                f"```feedback {code} box", code, blocks=False))


def _check_complete(rel, id_line, rubric, reviews, seen, problems):
    """Rows deleted from a table: reported at the code's last row (or the id line)."""
    for code in reviews:
        rows = [no for (c, _), no in seen.items() if c == code]
        for item in rubric.peer_graded:
            if (code, item.id) not in seen:
                problems.append(Problem(rel, max(rows, default=id_line),
                                        f"no row for {code} item {item.id} in the fill-in table", code))
