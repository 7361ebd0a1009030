"""Student text made safe for the places the kit writes it.

Student ids, file names, inline answers and anything student code produced
are untrusted. Two rules, one place:

  printable(text)   one line for a terminal, a log or a sheet: control
                    characters (terminal escapes, line breaks, NUL, bidi
                    overrides) removed, length capped.
  csv_cell(text)    a CSV text cell a spreadsheet will not run as a formula:
                    text starting with = + - @ tab or carriage return gets a
                    leading apostrophe (OWASP's advice for CSV injection);
                    csv_value(cell) is its inverse, for the kit's own CSVs read back.

Numbers the kit computes are written as numbers, never through csv_cell:
a negative score must stay a number in a spreadsheet.
"""

from __future__ import annotations

import csv
import io
import re

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
DEFAULT_LIMIT = 200


def printable(text, limit: int = DEFAULT_LIMIT) -> str:
    """`text` as one printable line: every character Python does not call printable
    (controls, escapes, line breaks, bidi overrides and other format characters,
    unassigned code points) becomes a space, runs of spaces collapse, and the
    result is capped at `limit` characters."""
    cleaned = "".join(ch if ch.isprintable() else " " for ch in str(text))
    cleaned = re.sub(r" {2,}", " ", cleaned).strip()
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"


def csv_cell(text) -> str:
    """A text cell that no spreadsheet evaluates: formula-like text is prefixed with '."""
    value = "" if text is None else str(text)
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def csv_value(cell: str | None) -> str:
    """The text csv_cell was given ("'=x" -> "=x"): an apostrophe before a formula
    character is the neutraliser, not data (ids and names never start with one)."""
    cell = cell or ""
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(FORMULA_STARTS) else cell


def uncell(cell: str | None) -> str:
    """A cell of one of the kit's own CSVs as the person meant it: spaces trimmed, the
    csv_cell apostrophe removed."""
    return csv_value((cell or "").strip())


def csv_text(header: list[str], rows: list[list], text_columns: set[str] | None = None) -> str:
    """CSV with `header`; cells of `text_columns` (all columns when None) pass
    through csv_cell, the others (numbers the kit computed) are written as they are."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(
            [csv_cell(v) if text_columns is None or name in text_columns else v for name, v in zip(header, row)]
        )
    return buf.getvalue()
