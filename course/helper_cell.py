"""Build a part's helper cell: the code its notebook uses, pasted from the kit's modules.

A notebook must run on its own in Colab, so its helpers live in its first
code cell. For one part that cell holds:
  - a title line that Colab shows as a collapsed form (with the cell metadata
    FORM_METADATA, which also folds the code in JupyterLab), then a short
    index of the helpers the notebook calls;
  - the course data of course/notebook_data.py as literals, cut to the part
    (KNOWN_ANSWERS, the longest, at the end of the cell);
  - the top-level statements of SOURCES that the notebook's other cells need,
    directly or through each other, and nothing else: a part carries only the
    helpers it uses. Imports of the kit's own modules are left out (the cell
    defines those names itself), and so are the modules' docstrings, which
    speak about the kit rather than to students.

    helper_cell_source(notebook, part)   the cell's text
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass, field
from pathlib import Path

from .markers import SETUP_MARKER
from .notebook_data import values_for

# (module of course/, the section title the cell shows for it), in the order pasted
SOURCES = [
    ("rules", "Rules the grader applies too: numbers, relative errors, numerical gradients, signatures, loops"),
    ("markers", "How answer cells are recognised"),
    ("notebook_helpers", "Data, sparse gradient check, plots and timing"),
    ("check_report", "Verdicts: PASS, FAIL or NOT CHECKED, and why"),
    ("sanity_checks", "Small checks with a verdict"),
    ("live_source", "Reading the code of the functions you wrote (for the loop rule)"),
    ("known_answer_checks", "Known answers"),
    ("train_checks", "Checks of train and predict"),
    ("function_checks", "check_function: every check of one function or class"),
    ("notebook_source", "Reading this notebook (for the inline answers)"),
    ("self_check", "self_check: everything, before you hand in"),
]
EPILOGUE = ("KNOWN_ANSWERS",)  # data too long to open the cell with
EXTRA_ROOTS = ("known_answer",)  # helpers the notebooks tell students about without calling them
# Colab shows the cell as its title (a form) and JupyterLab folds its code; one click opens either.
FORM_METADATA = {"cellView": "form", "jupyter": {"source_hidden": True}}
PACKAGE = Path(__file__).parent
WIDTH = 100


def title_line(part: str) -> str:
    number = part.removeprefix("part")
    return f'{SETUP_MARKER} for Part {number} (run this cell first; do not edit) {{ display-mode: "form" }}'


def helper_cell_source(notebook, part: str, known_answers=None) -> str:
    """The helper cell of `part`, for a notebook whose other cells are those of `notebook`."""
    values = values_for(part, known_answers)
    statements = [s for module, _ in SOURCES for s in _statements(module, set(values))]
    roots = _names_used_by(notebook) | set(EXTRA_ROOTS)
    chosen = _closure(statements, roots)
    used = set().union(*(s.uses for s in chosen)) | roots
    generated = {name: value for name, value in values.items() if name in used}
    parts = [title_line(part), _index(chosen, roots), _imports(chosen)]
    parts.append(
        "\n".join(
            f"{name} = {render(value, 0, len(name) + 3)}" for name, value in generated.items() if name not in EPILOGUE
        )
    )
    for module, title in SOURCES:
        body = [s.text for s in chosen if s.module == module and not s.is_import]
        if body:
            parts.append(f"# {'=' * 10} {title} {'=' * 10}\n\n" + "\n\n\n".join(body))
    for name in EPILOGUE:
        if name in generated:
            parts.append(
                f"# {'=' * 10} Data: {name} (computed from the reference solution when this "
                f"notebook was made) {'=' * 10}\n{name} = {render(generated[name], 0, len(name) + 3)}"
            )
    return "\n\n\n".join(p for p in parts if p) + "\n"


# ------------------------------------------------------------- statements


@dataclass(eq=False)
class Statement:
    module: str
    text: str
    defines: set[str]
    uses: set[str] = field(default_factory=set)
    is_import: bool = False
    node: ast.stmt | None = None


def _is_kit_import(stmt: ast.stmt) -> bool:
    """`from course... import`, `from . import`, or a try: that only does such imports."""
    if isinstance(stmt, ast.ImportFrom):
        return stmt.level > 0 or (stmt.module or "").split(".")[0] == "course"
    if isinstance(stmt, ast.Try):
        return all(_is_kit_import(s) for s in stmt.body)
    return False


def _defined(stmt: ast.stmt) -> set[str]:
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {stmt.name}
    if isinstance(stmt, ast.Import):
        return {a.asname or a.name.split(".")[0] for a in stmt.names}
    if isinstance(stmt, ast.ImportFrom):
        return {a.asname or a.name for a in stmt.names}
    return {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}


def _statements(module: str, generated: set[str]) -> list[Statement]:
    source = (PACKAGE / f"{module}.py").read_text()
    tree, lines = ast.parse(source), source.splitlines()
    body = tree.body[1:] if ast.get_docstring(tree) is not None else tree.body
    out, previous_end = [], (tree.body[0].end_lineno if body is not tree.body else 0)
    for stmt in body:
        first = min([stmt.lineno] + [d.lineno for d in getattr(stmt, "decorator_list", [])])
        above = [line for line in lines[previous_end : first - 1]]
        previous_end = stmt.end_lineno
        defines = _defined(stmt)
        if _is_kit_import(stmt) or (defines and defines <= generated):
            continue
        while above and not above[0].strip():
            above.pop(0)
        comments = [line for line in above if line.strip().startswith("#") or not line.strip()]
        text = "\n".join(comments + lines[first - 1 : stmt.end_lineno]).strip("\n")
        uses = {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name)}
        out.append(Statement(module, text, defines, uses, isinstance(stmt, (ast.Import, ast.ImportFrom)), stmt))
    return out


def _closure(statements: list[Statement], roots: set[str]) -> list[Statement]:
    """The statements defining `roots` and, transitively, every name they use; in source order."""
    by_name: dict[str, list[Statement]] = {}
    for s in statements:
        for name in s.defines:
            by_name.setdefault(name, []).append(s)
    for name, defs in by_name.items():
        texts = {d.text for d in defs}
        if len(texts) > 1 and not all(d.is_import for d in defs):
            where = ", ".join(f"course/{d.module}.py" for d in defs)
            raise ValueError(
                f"helper cell: {name!r} is defined in {where}; the modules share one namespace "
                f"in a notebook, so a name may be defined only once"
            )
    chosen: set[int] = set()
    todo = list(roots)
    while todo:
        for s in by_name.get(todo.pop(), []):
            if id(s) not in chosen:
                chosen.add(id(s))
                todo += list(s.uses)
    return [s for s in statements if id(s) in chosen]


def _names_used_by(notebook) -> set[str]:
    """Every name the notebook's code cells (all but the helper cell) mention."""
    names = set()
    for cell in notebook.cells:
        if cell.cell_type != "code" or cell.source.startswith(SETUP_MARKER):
            continue
        text = "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in cell.source.splitlines())
        names |= {n.id for n in ast.walk(ast.parse(text)) if isinstance(n, ast.Name)}
    return names


# ---------------------------------------------------------------- emitting


def _imports(chosen: list[Statement]) -> str:
    """The imports the chosen statements need, once each: standard library first."""
    texts = list(dict.fromkeys(s.text.split("\n")[-1] for s in chosen if s.is_import))

    def top(text: str) -> str:
        return text.split()[1].split(".")[0]

    std = sorted((t for t in texts if top(t) in sys.stdlib_module_names), key=lambda t: (top(t), t))
    other = sorted((t for t in texts if top(t) not in sys.stdlib_module_names), key=lambda t: (top(t), t))
    return "\n\n".join(p for p in ("\n".join(std), "\n".join(other)) if p)


def _index(chosen: list[Statement], roots: set[str]) -> str:
    """A comment listing the helpers this notebook calls, with the first line of each docstring."""
    entries = []
    for s in chosen:
        if isinstance(s.node, ast.FunctionDef) and s.node.name in roots and not s.node.name.startswith("_"):
            doc = (ast.get_docstring(s.node) or "").split("\n")[0].strip()
            entries.append(f"#   {s.node.name:<28} {doc}")
    return "\n".join(
        [
            "# Everything in this cell is given: run it once, first; you never need to change it. It is folded",
            "# away: double-click its title in Colab, or click the three dots in JupyterLab, to read the code.",
            "# The course data at the top and the known answers at the end were written in when this notebook",
            "# was made. The helpers you use:",
            *entries,
        ]
    )


def render(value, indent: int = 0, used: int = 0) -> str:
    """A Python literal for `value` (dicts, lists, numbers, strings), broken into lines of at most
    WIDTH: `indent` is the indentation of the line it starts on, `used` the columns already taken."""
    flat = _flat(value)
    if max(indent, used) + len(flat) <= WIDTH:
        return flat
    pad = " " * (indent + 4)
    if isinstance(value, dict):
        items = [f"{pad}{k!r}: {render(v, len(pad))}," for k, v in value.items()]
        return "{\n" + "\n".join(items) + "\n" + " " * indent + "}"
    if isinstance(value, list) and not any(isinstance(v, (list, dict)) for v in value):
        lines, line = [], ""
        for v in value:
            piece = _flat(v) + ", "
            if line and len(pad) + len(line) + len(piece) > WIDTH:
                lines.append(pad + line.rstrip())
                line = ""
            line += piece
        lines.append(pad + line.rstrip())
        return "[\n" + "\n".join(lines) + "\n" + " " * indent + "]"
    if isinstance(value, list):
        return "[\n" + "\n".join(f"{pad}{render(v, len(pad))}," for v in value) + "\n" + " " * indent + "]"
    return flat


def _flat(value) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {_flat(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flat(v) for v in value) + "]"
    if isinstance(value, tuple):
        return "(" + ", ".join(_flat(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    return repr(value)
