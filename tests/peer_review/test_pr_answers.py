"""Inline answers are found by content, whatever the cell order or metadata."""

import nbformat
from nbformat.v4 import new_markdown_cell, new_notebook
from pr_helpers import answer_cell, solution_notebook, student_notebook

from peer_review.answers import reference_answers, student_answers


def test_answers_by_content_even_reordered_and_without_metadata():
    nb = student_notebook("part1", "alice", reorder=True)
    for cell in nb.cells:
        cell.metadata = {}
        cell.pop("id", None)
    got = student_answers([nb])
    assert got == {q: f"My answer to {q} by student alice." for q in ("1.1", "1.2", "1.3")}


def test_placeholder_and_missing_cells_are_empty():
    nb = student_notebook("part2", "bob", answered=False)
    nb.cells = [c for c in nb.cells if "2.3" not in c.source]
    got = student_answers([nb])
    assert got == {"2.1": "", "2.2": ""}


def test_marker_must_be_the_first_line_and_exact():
    nb = new_notebook(
        cells=[
            new_markdown_cell("Some text\n**Your answer (inline question 1.1):**\nnot an answer cell"),
            new_markdown_cell("**Your answer (inline question 1.2)**\nmissing colon"),
            answer_cell("1.3", "A real answer\nover two lines."),
        ]
    )
    assert student_answers([nb]) == {"1.3": "A real answer\nover two lines."}


def test_duplicated_answer_cell_keeps_both_texts():
    nb = new_notebook(cells=[answer_cell("1.1", "first"), answer_cell("1.1", "second")])
    assert student_answers([nb]) == {"1.1": "first\n\nsecond"}


def test_reference_answers_from_solution_notebooks(tmp_path):
    path = tmp_path / "sol.ipynb"
    nbformat.write(solution_notebook("part2"), str(path))
    assert reference_answers([path]) == {q: f"Reference answer for {q}." for q in ("2.1", "2.2", "2.3")}
