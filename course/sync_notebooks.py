"""`make notebooks`: regenerate every solution notebook's helper cell and answer-cell metadata.

Notebooks must run on their own in Colab (no .py files beside them), so the
helpers live in each notebook's first code cell, generated from the kit's
modules and course data (course/helper_cell.py) with the known answers
computed from the solutions (course/known_answers.py). `make release` then
carries the cells into the student notebooks. tests/course/test_release.py
fails when a notebook is out of date.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

from .config import load_config
from .helper_cell import FORM_METADATA, helper_cell_source
from .known_answers import known_answers
from .markers import SETUP_MARKER, answer_id
from .rubric import load_rubric


def find_setup_cell(nb, where: str):
    cells = [c for c in nb.cells if c.cell_type == "code" and c.source.startswith(SETUP_MARKER)]
    if len(cells) != 1:
        raise ValueError(
            f"{where}: expected exactly one code cell starting with the helper cell's title "
            f"{SETUP_MARKER!r}, found {len(cells)}"
        )
    return cells[0]


def answer_metadata(question_id: str) -> dict:
    """nbgrader metadata of an answer cell. nbgrader requires written answers to
    be manually graded cells with points; the points come from rubric.toml."""
    points = {q.id: q.points for q in load_rubric().inline}
    if question_id not in points:
        raise ValueError(f"answer cell for inline question {question_id}, which rubric.toml does not list")
    return {
        "grade": True,
        "solution": True,
        "locked": False,
        "task": False,
        "schema_version": 3,
        "grade_id": "inline_" + question_id.replace(".", "_"),
        "points": points[question_id],
    }


def synced(nb, where: str, part: str, known: dict) -> bool:
    """Bring the helper cell and the answer cells' metadata up to date; True when changed."""
    before = nbformat.writes(nb)
    cell = find_setup_cell(nb, where)
    cell.source = helper_cell_source(nb, part, known)
    cell.metadata.update(FORM_METADATA)
    for cell in nb.cells:
        qid = answer_id(cell.source) if cell.cell_type == "markdown" else None
        if qid:
            cell.metadata["nbgrader"] = answer_metadata(qid)
    return nbformat.writes(nb) != before


def sync(path: Path, part: str, known: dict) -> bool:
    """Refresh one notebook in place; True when it changed."""
    nb = nbformat.read(path, as_version=4)
    changed = synced(nb, str(path), part, known)
    if changed:
        nbformat.write(nb, path)
    return changed


def main() -> int:
    known = known_answers()
    for part, path in load_config().solution_notebooks().items():
        print(f"{path.relative_to(path.parents[2])}: {'updated' if sync(path, part, known) else 'up to date'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
