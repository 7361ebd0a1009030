"""The release's stubbing of solution regions, as pure functions (no nbgrader).

Every solution region (BEGIN ... END SOLUTION) becomes one line: in code

    raise NotImplementedError("softmax_loss_vectorized: fill in the code between START CODE HERE and END CODE HERE")

indented like the BEGIN SOLUTION line, and in an answer cell `_Write your
answer here._`. nbgrader_stubs.StubSolutions applies this in `make release`;
the examples and the tests use it to build a release without nbgrader, and
the mutation run to find the lines students write.
"""

from __future__ import annotations

import re

from .markers import ANSWER_STUB, BEGIN_SOLUTION, END_SOLUTION

_DEF = re.compile(r"^(\s*)(?:async\s+)?(def|class)\s+(\w+)")


def code_stub(qualified_name: str) -> str:
    return f'raise NotImplementedError("{qualified_name}: fill in the code between START CODE HERE and END CODE HERE")'


def enclosing_name(lines: list[str], index: int) -> str:
    """'Class.method' or 'function' that encloses lines[index], judged by indentation."""
    indent = len(lines[index]) - len(lines[index].lstrip())
    names = []
    for line in reversed(lines[:index]):
        match = _DEF.match(line)
        if match and len(match.group(1)) < indent:
            names.append(match.group(3))
            indent = len(match.group(1))
    return ".".join(reversed(names))


def solution_walk(lines: list[str]):
    """Yield (index, line, where) for each line, where is "begin" (a BEGIN
    SOLUTION line), "end", "inside" (reference code/answer) or "outside"."""
    inside = False
    for i, line in enumerate(lines):
        mark = line.strip()
        if mark.startswith(BEGIN_SOLUTION):
            inside = True
            yield i, line, "begin"
        elif mark.startswith(END_SOLUTION):
            inside = False
            yield i, line, "end"
        else:
            yield i, line, "inside" if inside else "outside"


def replace_regions(lines: list[str], stub_for) -> list[str]:
    """Each solution region -> the one line `stub_for(lines, index of BEGIN)`."""
    return [
        stub_for(lines, i) if where == "begin" else line
        for i, line, where in solution_walk(lines)
        if where in ("begin", "outside")
    ]


def code_stub_line(lines: list[str], index: int) -> str:
    indent = lines[index][: len(lines[index]) - len(lines[index].lstrip())]
    return indent + code_stub(enclosing_name(lines, index))


def replace_code_regions(lines: list[str]) -> list[str]:
    return replace_regions(lines, code_stub_line)


def replace_text_regions(lines: list[str]) -> list[str]:
    return replace_regions(lines, lambda lines, index: ANSWER_STUB)


def stub_cell_source(source: str, cell_type: str) -> str:
    """A cell's source as the release has it: code regions -> the raise, others -> the answer stub."""
    replace = replace_code_regions if cell_type == "code" else replace_text_regions
    return "\n".join(replace(source.split("\n")))
