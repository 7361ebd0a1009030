"""What reading a returned sheet produces, whatever its format (Markdown or the
HTML sheet's saved JSON): its reviews (only the valid items) and its problems."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from course.rubric import Rubric
from course.safe_text import printable
from peer_review.rule import word_count

MESSAGE_LIMIT = 600


@dataclass
class Problem:
    file: str
    line: int | None  # None: the problem concerns the whole file (or a JSON file)
    message: str
    code: str | None = None  # the submission concerned, when one is

    def __str__(self) -> str:
        """One printable line: file names, codes and values in it came from reviewers."""
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return printable(f"{where}: {self.message}", MESSAGE_LIMIT)


@dataclass
class SheetReview:
    """One submission's review as read from a sheet: valid deductions only (a bad row is absent)."""

    code: str
    deductions: dict[str, float] = field(default_factory=dict)
    feedback: str = ""


@dataclass
class ParsedSheet:
    file: str  # relative to DIR, for messages
    sheet_id: str | None
    reviews: dict[str, SheetReview]
    problems: list[Problem]
    saved_at: datetime | None = None  # set by returned.py: the JSON's saved_at, else the file's mtime
    digest: str = ""


@dataclass(frozen=True)
class Expected:
    """What collect knows before reading any sheet."""

    rubric: Rubric
    sheets: dict[str, set[str]]  # sheet id -> codes that sheet grades
    codes: set[str]  # every submission code
    blank: dict[str, frozenset[str]]  # code -> inline questions answered blank


def code_problem(rel: str, line: int | None, code: str, expected_codes: set[str], known: set[str]) -> Problem | None:
    """None when `code` is one this sheet grades, else the problem to report."""
    if code in expected_codes:
        return None
    grades = ", ".join(sorted(expected_codes))
    if code in known:
        return Problem(rel, line, f"code {code} is not one this sheet was given to grade (this sheet grades {grades})")
    return Problem(rel, line, f"unknown code {code!r} (this sheet grades {grades})")


def feedback_problem(rel: str, line: int | None, code: str, text: str, min_words: int) -> Problem | None:
    """A paragraph under `min_words` words is reported (the review is still used)."""
    words = word_count(text)
    if words >= min_words:
        return None
    what = "missing feedback" if words == 0 else f"feedback too short ({words} words)"
    return Problem(rel, line, f"{what} for {code}: write a paragraph of at least {min_words} words", code)
