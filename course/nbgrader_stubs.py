"""nbgrader preprocessors that turn solution regions into student stubs.

`StubSolutions` replaces nbgrader's ClearSolutions in `generate_assignment`
(nbgrader_config.py): instead of one generic stub it writes, in every code
region, a stub that names the function to complete:

    ### START CODE HERE ###
    raise NotImplementedError("softmax_loss_vectorized: fill in the code between START CODE HERE and END CODE HERE")
    ### END CODE HERE ###

and in every inline-question answer cell `_Write your answer here._`.
Malformed markers (a solution region outside START/END CODE HERE, unbalanced
or nested markers, a region outside any function) stop the release with an
error naming the notebook, the cell and the line.
"""

from __future__ import annotations

from nbgrader.preprocessors import ClearSolutions

from .markers import BEGIN_SOLUTION, END_SOLUTION
from .markers import END_CODE as END
from .markers import START_CODE as START

# The stubbing itself lives in course.stubs (no nbgrader import); re-exported here.
from .stubs import (  # noqa: F401
    code_stub,
    code_stub_line,
    enclosing_name,
    replace_code_regions,
    replace_regions,
    replace_text_regions,
    solution_walk,
    stub_cell_source,
)


class MarkerError(RuntimeError):
    pass


def check_markers(lines: list[str], where: str) -> None:
    """Every solution region sits inside a START/END CODE HERE pair inside a def."""
    in_code_here = in_solution = False
    for number, line in enumerate(lines, start=1):
        mark = line.strip()
        problem = None
        if mark == START:
            problem = "START CODE HERE inside another START CODE HERE region" if in_code_here else None
            in_code_here = True
        elif mark == END:
            problem = (
                "END CODE HERE without START CODE HERE"
                if not in_code_here
                else "END CODE HERE inside a solution region"
                if in_solution
                else None
            )
            in_code_here = False
        elif mark.startswith(BEGIN_SOLUTION):
            problem = (
                "BEGIN SOLUTION outside START/END CODE HERE"
                if not in_code_here
                else "nested BEGIN SOLUTION"
                if in_solution
                else "BEGIN SOLUTION outside any function"
                if not enclosing_name(lines, number - 1)
                else None
            )
            in_solution = True
        elif mark.startswith(END_SOLUTION):
            problem = "END SOLUTION without BEGIN SOLUTION" if not in_solution else None
            in_solution = False
        if problem:
            raise MarkerError(f"{where}, line {number}: {problem}")
    if in_code_here or in_solution:
        raise MarkerError(f"{where}: a START CODE HERE or BEGIN SOLUTION region is never closed")


class StubSolutions(ClearSolutions):
    """ClearSolutions with per-function stubs and strict marker checks."""

    def preprocess(self, nb, resources):
        self._notebook = resources.get("unique_key", "notebook")
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, cell_index):
        self._where = f"{self._notebook}, cell {cell_index + 1}"
        return super().preprocess_cell(cell, resources, cell_index)

    def _replace_solution_region(self, cell, language) -> bool:
        lines = cell.source.split("\n")
        if cell.cell_type == "code":
            check_markers(lines, self._where)  # stray START/END markers are errors too
        if not any(ln.strip().startswith(BEGIN_SOLUTION) for ln in lines):
            return False
        cell.source = stub_cell_source(cell.source, cell.cell_type)
        return True
