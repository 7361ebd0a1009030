"""course/safe_text: names printed or written, and CSV cells, cannot carry control characters or formulas."""

import csv
import io

from hypothesis import given
from hypothesis import strategies as st

from course.safe_text import FORMULA_STARTS, csv_cell, csv_text, printable


def test_printable_removes_terminal_escapes_and_line_breaks():
    hostile = "alice\n  bob: 23 points\x1b]52;c;ZXZpbA==\x07\r\u202eevil\x00"
    out = printable(hostile)
    assert "\n" not in out and "\r" not in out and "\x1b" not in out and "\x07" not in out
    assert "\u202e" not in out and "\x00" not in out
    assert out.startswith("alice bob: 23 points")


@given(st.text())
def test_printable_is_one_capped_line_of_printable_characters(text):
    out = printable(text, limit=50)
    assert len(out) <= 50
    assert all(ch.isprintable() or ch == " " for ch in out)


@given(st.text())
def test_csv_cell_never_starts_a_formula(text):
    cell = csv_cell(text)
    assert not cell.startswith(FORMULA_STARTS)
    assert cell.endswith(text)


def test_csv_text_neutralises_text_columns_only():
    text = csv_text(
        ["student_id", "total"], [['=HYPERLINK("http://x")', -1.5], ["bob", 3]], text_columns={"student_id"}
    )
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1] == ['\'=HYPERLINK("http://x")', "-1.5"]
    assert rows[2] == ["bob", "3"]


@given(st.text())
def test_csv_value_undoes_csv_cell(text):
    from course.safe_text import csv_value

    if not (text.startswith("'") and text[1:].startswith(FORMULA_STARTS)):  # the one text it cannot tell apart
        assert csv_value(csv_cell(text)) == text
