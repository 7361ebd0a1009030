"""Paste the provided helpers into every solution notebook's setup cell.

Notebooks must run alone in Colab (no .py files beside them), so the helper
code lives in a cell of each notebook; its one source is course/contract.py +
course/notebook_helpers.py. `make notebooks` refreshes the cells and
tests/course/test_release.py fails when a notebook is out of date.
"""
from __future__ import annotations

import sys
from pathlib import Path

import nbformat

from .config import load_config
from .markers import SETUP_MARKER, answer_id
from .rubric import load_rubric

SOURCES = ("contract.py", "notebook_helpers.py")


def setup_cell_source() -> str:
    here = Path(__file__).parent
    bodies = [(here / name).read_text().strip() for name in SOURCES]
    return "\n\n\n".join([SETUP_MARKER, *bodies]) + "\n"


def find_setup_cell(nb, where: str):
    cells = [c for c in nb.cells if c.cell_type == "code" and c.source.startswith(SETUP_MARKER)]
    if len(cells) != 1:
        raise ValueError(f"{where}: expected exactly one code cell starting with the setup marker "
                         f"{SETUP_MARKER!r}, found {len(cells)}")
    return cells[0]


def answer_metadata(question_id: str) -> dict:
    """nbgrader metadata of an answer cell. nbgrader requires written answers to
    be manually graded cells with points; the points come from rubric.toml."""
    points = {q.id: q.points for q in load_rubric().inline}
    if question_id not in points:
        raise ValueError(f"answer cell for inline question {question_id}, which rubric.toml does not list")
    return {"grade": True, "solution": True, "locked": False, "task": False, "schema_version": 3,
            "grade_id": "inline_" + question_id.replace(".", "_"), "points": points[question_id]}


def synced(nb, where: str) -> bool:
    """Bring the setup cell and the answer cells' metadata up to date; True when changed."""
    before = nbformat.writes(nb)
    find_setup_cell(nb, where).source = setup_cell_source()
    for cell in nb.cells:
        qid = answer_id(cell.source) if cell.cell_type == "markdown" else None
        if qid:
            cell.metadata["nbgrader"] = answer_metadata(qid)
    return nbformat.writes(nb) != before


def sync(path: Path) -> bool:
    """Refresh one notebook in place; True when it changed."""
    nb = nbformat.read(path, as_version=4)
    changed = synced(nb, str(path))
    if changed:
        nbformat.write(nb, path)
    return changed


def main() -> int:
    for path in load_config().solution_notebooks().values():
        print(f"{path.relative_to(path.parents[2])}: {'updated' if sync(path) else 'up to date'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
