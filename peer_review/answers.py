"""Inline-question answers, found by content (never by cell id or position:
Colab drops metadata and students reorder cells).

An answer cell is a markdown cell whose first line is exactly
`**Your answer (inline question 1.1):**`; the rest of the cell is the answer.
In the solution notebooks the reference answer sits between
`### BEGIN SOLUTION` and `### END SOLUTION` in that cell; the student release
has the placeholder `_Write your answer here._` instead.
"""

from __future__ import annotations

from pathlib import Path

from course.markers import ANSWER_STUB as PLACEHOLDER
from course.markers import BEGIN_SOLUTION as BEGIN
from course.markers import END_SOLUTION as END
from course.markers import answer_id
from peer_review import notebooks


def answer_cells(nb) -> list[tuple[str, str]]:
    """nb -> [(question id, text after the marker line)] in notebook order."""
    found = []
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        source = cell.source.strip("\n")
        qid = answer_id(source)
        if qid:
            found.append((qid, source.partition("\n")[2].strip()))
    return found


def student_answers(notebooks: list) -> dict[str, str]:
    """Notebooks -> {question id: answer}; "" when left as the placeholder.

    A question answered in two cells (a duplicated cell) keeps both texts, in
    order, so the reviewer sees everything the student wrote.
    """
    answers: dict[str, list[str]] = {}
    for nb in notebooks:
        for qid, text in answer_cells(nb):
            text = "" if text.strip() == PLACEHOLDER else text
            answers.setdefault(qid, []).append(text)
    return {qid: "\n\n".join(t for t in texts if t) for qid, texts in answers.items()}


def blank_questions(answers: dict[str, str], question_ids: list[str]) -> frozenset[str]:
    """The questions without an answer: placeholder, empty or no answer cell at all."""
    return frozenset(q for q in question_ids if not answers.get(q, "").strip())


def solution_text(text: str) -> str | None:
    """The text between BEGIN/END SOLUTION, or None when the markers are absent."""
    if BEGIN not in text or END not in text:
        return None
    return text.split(BEGIN, 1)[1].split(END, 1)[0].strip()


def reference_answers(solution_paths: list[Path]) -> dict[str, str]:
    """Solution notebooks -> {question id: reference answer}."""
    refs = {}
    for path in solution_paths:
        try:
            nb = notebooks.read(path)
        except notebooks.NotebookError as exc:
            raise ValueError(f"{path}: {exc}") from exc
        for qid, text in answer_cells(nb):
            ref = solution_text(text)
            if ref is None:
                raise ValueError(f"{path}: answer cell of inline question {qid} has no '{BEGIN}' ... '{END}' block")
            refs[qid] = ref
    return refs


def missing_references(refs: dict[str, str], question_ids: list[str]) -> list[str]:
    return [q for q in question_ids if not refs.get(q)]
