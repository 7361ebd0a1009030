"""Grading results -> files: grades.csv, <student>/results.json, <student>/feedback.md.

Everything is written atomically (a temp file in the same folder, then
os.replace), and grades.csv is written last, so a run killed half-way never
leaves a half-written gradebook. Points come from each SubmissionResult; the
item columns, their order and max_total come from course/rubric.toml.

Student-facing text passes through `scrub`: one line without control
characters, bounded length, Markdown/HTML markup escaped, and a line that
looks like a printed array is replaced, so even a careless hidden test
message cannot leak expected values and no file name or student id can add
markup, links or fake lines. Each feedback line is the test's diagnosis; in
the course's "explain" feedback mode (course.toml [grading] feedback) its fix
follows (`feedback_mode`).
"""

from __future__ import annotations

import csv
import json
import os
import re
import statistics
import tempfile
from pathlib import Path

from course.config import load_config
from course.formatting import points
from course.rubric import load_rubric
from course.safe_text import csv_text, csv_value, printable
from course.templates import environment

from .results import FAILED, HIDDEN_CHECK, NOT_GRADABLE, PARTIAL, PASSED, Status, SubmissionResult

MAX_LINE = 300
STATUS_CHARS = 600  # a status in grades.csv and the summary: one line
# Four or more numbers in a row inside brackets: a printed array, not a message.
_ARRAY = re.compile(r"[\[(]\s*[-+]?[\d.]+(?:e[-+]?\d+)?(?:[\s,;]+[-+]?[\d.]+(?:e[-+]?\d+)?){3,}", re.I)
_CODE = re.compile(r"^\s*(def test_|assert |E\s{2,}|>\s{3})")
_LABEL = {PASSED: "passed", PARTIAL: "partly correct", FAILED: "failed", NOT_GRADABLE: "not graded"}


# ----------------------------------------------------------------- helpers

fmt = points  # course.formatting: one rule for numbers in every file the kit writes


# `_` inside a word (softmax_loss) is never emphasis in CommonMark: left as it is, readable
_MARKUP = re.compile(r"([\\`*~\[\]<>|#!]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9]))")
# GitHub-flavoured Markdown turns bare "www.x", "http://x" and "a@b.c" into links even
# when every punctuation mark is escaped: an invisible word joiner breaks each pattern.
_AUTOLINK = re.compile(r"(?i)(www)(\.)|(:)(//)|(@)")
WORD_JOINER = "\u2060"


def escape_markup(text: str) -> str:
    """Backslash-escape what Markdown or HTML would read as markup (links, images,
    tags, code spans, emphasis, strikethrough, tables, headings), break what GFM
    would autolink, so student-derived text shows as written and links nowhere."""
    escaped = _MARKUP.sub(r"\\\1", text).replace("&", "&amp;")
    return _AUTOLINK.sub(
        lambda m: WORD_JOINER.join(g for g in m.groups() if g) if m.group(5) is None else WORD_JOINER + "@", escaped
    )


def scrub(message: str) -> str:
    """One safe line for a student: no arrays, no test source, no control
    characters, bounded length (feedback.md escapes markup on top: `md` filter)."""
    if _CODE.match(str(message)):
        return HIDDEN_CHECK
    line = printable(message, MAX_LINE)
    if not line or _ARRAY.search(line):
        return HIDDEN_CHECK
    return line


def feedback_mode() -> str:
    """The course's feedback mode: "diagnose" (what is wrong and where) or "explain" (and how to fix it)."""
    return load_config().feedback


_UMASK = os.umask(0o022)
os.umask(_UMASK)


def write_atomic(path: Path, text: str) -> None:
    """Write `text` to `path` so that readers see the old file or the new one, never a part."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; a gradebook is an ordinary file
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def item_lines(item, mode: str | None = None) -> list[str]:
    """The feedback lines of one item, scrubbed; each with its fix in the "explain" mode.
    Derived from failed tests when the runner gave none."""
    mode = mode or feedback_mode()
    lines = list(item.feedback)
    fixes = list(item.fixes) + [""] * (len(lines) - len(item.fixes))
    if not lines and item.status != PASSED:
        failed = [t for t in item.tests if not t.passed]
        lines = [t.message if t.visible else HIDDEN_CHECK for t in failed]
        fixes = [t.fix if t.visible else "" for t in failed]
    out = []
    for line, fix in zip(lines, fixes):
        text = str(line) + (f"; {fix}" if mode == "explain" and fix else "")
        safe = scrub(text)
        if safe not in out:
            out.append(safe)
    return out


def _rubric_items(result: SubmissionResult):
    """(rubric item, ItemResult or None) in rubric order."""
    return [(a, result.items.get(a.id)) for a in load_rubric().auto]


def points_of(result: SubmissionResult) -> dict[str, float]:
    return {a.id: (it.points if it else 0.0) for a, it in _rubric_items(result)}


def total_of(result: SubmissionResult) -> float:
    return round(sum(points_of(result).values()), 4)


# --------------------------------------------------------------- grades.csv

GRADES_TEXT_COLUMNS = {"student_id", "status"}  # student text; every other column is a number


def grades_csv(results: list[SubmissionResult]) -> str:
    """student_id, one column per rubric auto item (rubric order), total, max_total, status.
    Text cells are formula-safe (course/safe_text.csv_cell); numbers stay numbers."""
    rubric = load_rubric()
    ids = [a.id for a in rubric.auto]
    rows = []
    for r in sorted(results, key=lambda r: r.student_id):
        pts = points_of(r)  # once per row: it walks the rubric
        rows.append(
            [
                r.student_id,
                *(fmt(pts[i]) for i in ids),
                fmt(round(sum(pts.values()), 4)),  # total_of(r), from the same points
                fmt(rubric.auto_max),
                printable(str(r.status), STATUS_CHARS),
            ]
        )
    return csv_text(["student_id", *ids, "total", "max_total", "status"], rows, GRADES_TEXT_COLUMNS)


def read_grades_csv(path: Path) -> tuple[list[str], list[dict]]:
    """(header, rows) of a grades.csv this module wrote, text cells as they were before csv_cell."""
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        rows = [
            {k: csv_value(v) if k in GRADES_TEXT_COLUMNS and isinstance(v, str) else v for k, v in row.items()}
            for row in reader
        ]
        return list(reader.fieldnames or []), rows


# ------------------------------------------------------------ results.json


def gradescope_results(result: SubmissionResult) -> dict:
    """Gradescope's autograder results schema: one test per rubric item.

    Top level: score, execution_time (s), output, visibility, stdout_visibility,
    extra_data, tests[{name, number, score, max_score, status, output, tags,
    visibility, extra_data}]. No leaderboard."""
    tests = []
    for n, (a, it) in enumerate(_rubric_items(result), start=1):
        points = it.points if it else 0.0
        status = it.status if it else NOT_GRADABLE
        lines = item_lines(it) if it else [str(result.status)]
        tests.append(
            {
                "name": f"{a.title}",
                "number": str(n),
                "score": round(points, 4),
                "max_score": a.points,
                "status": "passed" if points >= a.points - 1e-9 else "failed",
                "output": "\n".join(lines) if lines else _LABEL[status],
                "tags": [a.id, a.part],
                "visibility": "visible",
                "extra_data": {"item": a.id, "result": status},
            }
        )
    return {
        "score": total_of(result),
        "execution_time": max(0, round(result.duration_s)),
        "output": "\n".join([_overall_line(result), *notices_of(result)]),
        "output_format": "text",  # student-derived text is never read as HTML or Markdown
        "test_output_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "extra_data": {
            "student_id": printable(result.student_id),
            "status": printable(str(result.status), 300),
            "max_total": load_rubric().auto_max,
            "notebooks": [printable(Path(p).name) for p in result.notebooks],
        },
        "tests": tests,
    }


def _overall_line(result: SubmissionResult) -> str:
    head = f"Autograded score: {fmt(total_of(result))} / {fmt(load_rubric().auto_max)}."
    note = _status_note(result)
    return f"{head} {note[0].upper()}{note[1:]}." if note else head


def _status_note(result: SubmissionResult) -> str:
    """Student-facing version of the status ('' when everything was graded)."""
    status = result.status
    if status.kind == Status.OK:
        return ""
    if status.kind == Status.ERROR:
        return "the grader failed on this submission; your instructor will look at it"
    kind = status.kind.replace("_", " ")
    return scrub(f"{kind}: {status.reason}" if status.reason else kind)


def notices_of(result: SubmissionResult) -> list[str]:
    """Student-facing notes about the hand-in itself (which copy of a part was graded...), scrubbed."""
    return [scrub(n) for n in getattr(result, "notices", [])]


# ------------------------------------------------------------- feedback.md

# Markdown, not HTML: every value is passed through the `md` filter (escape_markup)
# in the template instead of jinja's HTML autoescaping (course.templates).
_ENV = environment(Path(__file__).with_name("templates"))
_ENV.filters["md"] = lambda value: escape_markup(str(value))


def feedback_markdown(result: SubmissionResult) -> str:
    rows, to_fix, not_graded = [], [], []
    for a, it in _rubric_items(result):
        status = it.status if it else NOT_GRADABLE
        lines = item_lines(it) if it else ["not graded: " + scrub(str(result.status))]
        row = {
            "id": a.id,
            "title": a.title,
            "points": fmt(it.points if it else 0),
            "max_points": fmt(a.points),
            "label": _LABEL.get(status, status),
            "lines": lines or [_LABEL.get(status, status)],
        }
        rows.append(row)
        if status == NOT_GRADABLE:
            not_graded.append(row)
        elif status != PASSED:
            to_fix.append(row)
    whole = None  # one reason for every item (no notebook, unreadable...): say it once
    if len(not_graded) == len(rows) and result.status.kind == Status.NOT_GRADABLE:
        whole, not_graded = scrub(result.status.reason or str(result.status)), []
    elif len(not_graded) == len(rows) and len({tuple(r["lines"]) for r in rows}) == 1:
        whole, not_graded = "; ".join(rows[0]["lines"]), []
    text = _ENV.get_template("feedback.md.j2").render(
        whole=whole,
        student_id=scrub(result.student_id),
        total=fmt(total_of(result)),
        max_total=fmt(load_rubric().auto_max),
        status_note=_status_note(result),
        notebooks=[scrub(Path(p).name) for p in result.notebooks],
        notices=notices_of(result),
        items=rows,
        to_fix=to_fix,
        not_graded=not_graded,
        explain=feedback_mode() == "explain",
    )
    return re.sub(r"\n{3,}", "\n\n", text)


# ------------------------------------------------------------- whole run


def write_student(out: Path, result: SubmissionResult) -> None:
    folder = Path(out) / result.student_id
    write_atomic(folder / "results.json", json.dumps(gradescope_results(result), indent=2) + "\n")
    write_atomic(folder / "feedback.md", feedback_markdown(result))


def write_gradebook(out: Path, results: list[SubmissionResult], manifest: dict) -> None:
    """Per-student files, then manifest.json, then grades.csv (last: its presence means complete)."""
    for r in results:
        write_student(out, r)
    write_atomic(Path(out) / "manifest.json", json.dumps(manifest, indent=2) + "\n")
    write_atomic(Path(out) / "grades.csv", grades_csv(results))


# ---------------------------------------------------------------- summary


def _histogram(fractions: list[float], bins: int = 5, width: int = 30) -> list[str]:
    counts = [0] * bins
    for f in fractions:
        counts[min(bins - 1, int(f * bins))] += 1
    top = max(counts) or 1
    lines = []
    for b, c in enumerate(counts):
        lo, hi = 100 * b // bins, 100 * (b + 1) // bins
        bar = "#" * (round(c / top * width) if c else 0)
        lines.append(f"  {lo:3d}-{hi:3d}% | {bar} {c}")
    return lines


def summary_text(results: list[SubmissionResult], slowest: int = 3) -> str:
    """Closing summary: counts, score distribution, slowest, not gradable, errors.
    Ids and statuses are student text: printed as printable one-liners."""
    max_total = load_rubric().auto_max
    graded = [r for r in results if r.status.graded]
    bad = [r for r in results if r.status.kind == Status.NOT_GRADABLE]
    errors = [r for r in results if r.status.kind == Status.ERROR]
    totals = [total_of(r) for r in results if r not in errors]
    out = [
        f"Graded {len(graded)} of {len(results)} submissions ({len(bad)} not gradable, {len(errors)} grader errors)."
    ]
    if totals:
        out.append(
            f"Scores out of {fmt(max_total)}: min {fmt(min(totals))}, "
            f"median {fmt(statistics.median(totals))}, max {fmt(max(totals))}"
        )
        out += _histogram([t / max_total for t in totals]) if max_total else []
    timed = sorted((r for r in results if r.duration_s), key=lambda r: -r.duration_s)[:slowest]
    if timed:
        out.append("Slowest: " + ", ".join(f"{printable(r.student_id)} {r.duration_s:.1f} s" for r in timed))
    for title, rows in (("Not gradable:", bad), ("Grader errors (see run_log.txt):", errors)):
        if rows:
            out.append(title)
            out += [f"  {printable(r.student_id)}: {printable(r.status.reason, STATUS_CHARS)}" for r in rows]
    broken = checks_not_completed(results)
    if broken:
        out.append(
            f"Hidden checks that could not complete (grader bugs, reported in run_log.txt) for "
            f"{len(broken)} submission(s): " + ", ".join(printable(r.student_id) for r in broken)
        )
    noticed = [r for r in results if r.notices]
    if noticed:
        out.append(
            "Notices (files handed in but not graded; see run_log.txt): "
            + ", ".join(printable(r.student_id) for r in noticed)
        )
    return "\n".join(out)


GRADER_ERROR = "grader error: "  # runner: the log line of a hidden check that crashed on a submission


def checks_not_completed(results: list[SubmissionResult]) -> list[SubmissionResult]:
    """Submissions graded, but with a hidden check that crashed (a bug of ours, in their log)."""
    return [
        r
        for r in results
        if r.status.kind != Status.ERROR and any(str(line).startswith(GRADER_ERROR) for line in r.log)
    ]


def gradebook_table(results: list[SubmissionResult]) -> str:
    """A fixed-width table: items as numbered columns, a legend below."""
    auto = load_rubric().auto
    names = {id(r): printable(r.student_id) for r in results}
    sid_w = max([10, *(len(n) for n in names.values())])
    head = f"{'student':<{sid_w}} " + " ".join(f"{n:>4}" for n in range(1, len(auto) + 1)) + "  total  status"
    lines = [head, "-" * len(head)]
    for r in sorted(results, key=lambda r: r.student_id):
        pts = points_of(r)
        status = printable(str(r.status), 60)
        lines.append(
            f"{names[id(r)]:<{sid_w}} "
            + " ".join(f"{fmt(pts[a.id]):>4}" for a in auto)
            + f"  {fmt(total_of(r)):>5}/{fmt(load_rubric().auto_max)}  {status}"
        )
    lines.append("columns: " + ", ".join(f"{n}={a.id} ({fmt(a.points)})" for n, a in enumerate(auto, 1)))
    return "\n".join(lines)
