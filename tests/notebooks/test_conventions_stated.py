"""The conventions of course/contract.py CONVENTIONS are stated where `stated` says,
in the solution notebooks and in the release students get, and each is checked
visibly: a mistake against it is in test_mistakes.py and must be caught there.

`stated` reads like "Part 2 notebook, the docstrings of affine_backward and
relu_backward"; the docstring must contain the convention's `rule`, word for word
(line breaks aside), so the grader's feedback can quote the rule and send the
student to that place.
"""

import ast
import re

import nbformat
import pytest
from test_mistakes import MISTAKES

from course.config import load_config
from course.contract import CONVENTIONS

CFG = load_config()
# convention -> the mistake of test_mistakes.py that breaks it (caught by a visible check)
BROKEN_BY = {
    "relu_zero": "relu_backward: x >= 0 at the kink",
    "dout_unchanged": "relu_backward: dout changed in place",
    "naive_loops": "naive: written without loops",
}


def places(stated: str):
    """("part2", ["affine_backward", "relu_backward"]) from the `stated` text."""
    match = re.fullmatch(r"Part (\d+) notebook, the docstrings? of (.+)", stated)
    assert match, f"cannot read where {stated!r} points"
    return f"part{match.group(1)}", re.split(r", | and ", match.group(2))


def docstrings(path, names):
    """{name: docstring} of the top-level functions (or Class.method) `names` in a notebook."""
    found = {}
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type != "code" or "def " not in cell.source:
            continue
        for stmt in ast.parse(
            "\n".join("" if ln.lstrip().startswith("%") else ln for ln in cell.source.splitlines())
        ).body:
            nodes = (
                [(stmt.name, stmt)]
                if isinstance(stmt, ast.FunctionDef)
                else [(f"{stmt.name}.{s.name}", s) for s in stmt.body if isinstance(s, ast.FunctionDef)]
                if isinstance(stmt, ast.ClassDef)
                else []
            )
            found.update({n: ast.get_docstring(node) or "" for n, node in nodes if n in names})
    return found


def normalised(text: str) -> str:
    return " ".join(text.split())


def test_every_convention_is_known_here():
    assert set(BROKEN_BY) == set(CONVENTIONS), "say which mistake of test_mistakes.py breaks the new convention"


@pytest.mark.parametrize("where", ["solution", "release"])
@pytest.mark.parametrize("key", sorted(CONVENTIONS))
def test_convention_is_stated_where_the_contract_says(key, where):
    convention = CONVENTIONS[key]
    part, names = places(convention["stated"])
    path = CFG.solution_notebook(part) if where == "solution" else CFG.release_notebook(part)
    found = docstrings(path, names)
    for name in names:
        assert name in found, f"{path.name}: no function {name}"
        assert normalised(convention["rule"]) in normalised(found[name]), (
            f"{path.name}: the docstring of {name} does not state: {convention['rule']}"
        )


@pytest.mark.parametrize("key", sorted(CONVENTIONS))
def test_convention_is_checked_visibly(key):
    mistake = MISTAKES[BROKEN_BY[key]]
    part, names = places(CONVENTIONS[key]["stated"])
    assert mistake.part == part and any(mistake.title.startswith(n) for n in names)
