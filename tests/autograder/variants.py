"""Build test submissions from the SOLUTION notebooks.

    make_submission(root, "bug_db_axis", replace={"affine_backward": "def affine_backward(dout, cache): ..."})
    make_release(root, "untouched")          # solution regions -> the release's NotImplementedError stubs

A definition is found by content (ast), like the grader finds it, and
replaced in place inside its cell; everything else (markdown, setup cell,
cell metadata) is copied unchanged, so a variant differs from the solution
only where the test says.
"""

from __future__ import annotations

import ast
import json
import textwrap
from pathlib import Path

from course.config import load_config
from course.stubs import stub_cell_source

PARTS = ("part1", "part2")


def solution_path(part: str) -> Path:
    return load_config().solution_notebook(part)


def load_nb(part: str) -> dict:
    return json.loads(solution_path(part).read_text())


def cell_text(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def set_text(cell, text: str) -> None:
    cell["source"] = text.splitlines(keepends=True)


def _definition_span(text: str, name: str):
    """(first line, last line) 1-based of the LAST top-level def/class `name` in text, or None."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return None
    spans = [
        (s.decorator_list[0].lineno if s.decorator_list else s.lineno, s.end_lineno)
        for s in tree.body
        if isinstance(s, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)) and s.name == name
    ]
    return spans[-1] if spans else None


def _edit_definition(nb: dict, name: str, new_source: str | None) -> bool:
    """Replace (or, with None, delete) the last definition of `name` in the notebook."""
    for cell in reversed(nb["cells"]):
        if cell.get("cell_type") != "code":
            continue
        text = cell_text(cell)
        span = _definition_span(text, name)
        if span is None:
            continue
        lines = text.splitlines()
        middle = [] if new_source is None else textwrap.dedent(new_source).strip("\n").splitlines()
        set_text(cell, "\n".join(lines[: span[0] - 1] + middle + lines[span[1] :]))
        return True
    return False


def code_cell(source: str) -> dict:
    return {
        "cell_type": "code",
        "execution_count": None,
        "metadata": {},
        "outputs": [],
        "source": textwrap.dedent(source).strip("\n").splitlines(keepends=True),
    }


def make_submission(
    root: Path, student_id: str, replace: dict[str, str] | None = None, parts=PARTS, drop=(), extra_cells=(), edit=None
) -> Path:
    """Copy the solution notebooks of `parts` into root/student_id/ with the
    definitions in `replace` swapped for the given sources, those in `drop`
    removed and `extra_cells` (code) appended to the last notebook. `edit`, if
    given, is called as edit(part, notebook_dict) last (shuffle, strip...).
    Returns the student's folder."""
    folder = Path(root) / student_id
    folder.mkdir(parents=True, exist_ok=True)
    pending = dict(replace or {})
    dropped = set(drop)
    for i, part in enumerate(parts):
        nb = load_nb(part)
        for name in list(pending):
            if _edit_definition(nb, name, pending[name]):
                del pending[name]
        for name in list(dropped):
            if _edit_definition(nb, name, None):
                dropped.discard(name)
        if i == len(parts) - 1:
            nb["cells"] += [code_cell(src) for src in extra_cells]
        if edit:
            edit(part, nb)
        (folder / load_config().notebooks[part]).write_text(json.dumps(nb, indent=1))
    if pending or dropped:
        raise ValueError(
            f"make_submission({student_id}): no definition of "
            f"{sorted(set(pending) | dropped)} in the solution notebooks {list(parts)}"
        )
    return folder


# ------------------------------------------------------------------ release


def make_release(root: Path, student_id: str, parts=PARTS) -> Path:
    """The notebooks a student starts from: assignments/ when it exists, else
    the solution notebooks with every solution region stubbed (as the release does)."""
    folder = Path(root) / student_id
    folder.mkdir(parents=True, exist_ok=True)
    cfg = load_config()
    for part in parts:
        released = cfg.release_notebook(part)
        if released.exists():
            (folder / released.name).write_bytes(released.read_bytes())
            continue
        nb = load_nb(part)
        for cell in nb["cells"]:  # as course.stubs / the release tool stubs them
            set_text(cell, stub_cell_source(cell_text(cell), cell.get("cell_type")))
        (folder / cfg.notebooks[part]).write_text(json.dumps(nb, indent=1))
    return folder
