"""A student's notebook, run in this process the way IPython runs it, fast.

    nb = finished_notebook("part1")                          # the solution as a student hands it in
    edit_function(nb, "softmax_loss_vectorized", old, new)   # one realistic mistake
    ns = run_code(nb)                                        # helper cell + every definition cell
    report, printed = readiness(ns, nb, "part1", tmp_path)   # the self-check, as in the last cell

run_code executes the helper cell and the cells that only define functions and
classes (imports included), each compiled under its own file name and registered
with linecache, as IPython does, so the checks read the code of the live
functions exactly as in a notebook. The experiments (training runs, the grids)
are what take a notebook its minute; the self-check only asks whether their
variables exist, so `stand_in_experiments` sets them. readiness() saves the
notebook in a working directory and runs self_check there: the Jupyter path of
reading the inline answers from the saved file.
"""

from __future__ import annotations

import ast
import contextlib
import copy
import io
import linecache
import os
import textwrap
from pathlib import Path

import nbformat
import numpy as np

from course.config import load_config
from course.markers import SETUP_MARKER
from course.stubs import solution_walk

CFG = load_config()


def finished_notebook(part: str) -> nbformat.NotebookNode:
    """The solution notebook without nbgrader's BEGIN/END SOLUTION lines: complete code and answers."""
    nb = nbformat.read(CFG.solution_notebook(part), as_version=4)
    for cell in nb.cells:
        lines = cell.source.split("\n")
        cell.source = "\n".join(line for _, line, where in solution_walk(lines) if where in ("inside", "outside"))
    return nb


def edit_function(nb, name: str, old: str, new: str) -> None:
    """Replace `old` (exactly once) by `new` in the code cell that defines `name`."""
    for cell in nb.cells:
        if cell.cell_type == "code" and not cell.source.startswith(SETUP_MARKER) and _defines(cell.source, name):
            count = cell.source.count(old)
            if count != 1:
                raise ValueError(f"{old!r} occurs {count} times in the cell defining {name}; the solution changed?")
            cell.source = cell.source.replace(old, new)
            return
    raise ValueError(f"no cell defines {name}")


def add_cell(nb, source: str) -> None:
    """A code cell at the end of the definitions (a later definition wins, as when the notebook runs)."""
    nb.cells.append(nbformat.v4.new_code_cell(textwrap.dedent(source).strip("\n")))


def _defines(source: str, name: str) -> bool:
    try:
        tree = ast.parse(_python(source))
    except SyntaxError:
        return False
    return any(isinstance(s, (ast.FunctionDef, ast.ClassDef)) and s.name == name for s in tree.body)


def _python(source: str) -> str:
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.split("\n"))


def _only_definitions(source: str) -> bool:
    """Definitions, imports and top-level names bound without a call (`_each = map`,
    `fold = functools.reduce`, `rows = lambda A: ...`), at least one def or class."""
    tree = ast.parse(_python(source))
    kinds = (ast.FunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)
    return any(isinstance(s, (ast.FunctionDef, ast.ClassDef)) for s in tree.body) and all(
        isinstance(s, kinds) or (isinstance(s, ast.Assign) and _no_call(s.value)) for s in tree.body
    )


def _no_call(expr: ast.expr) -> bool:
    lambdas = [n for n in ast.walk(expr) if isinstance(n, ast.Lambda)]
    inside = {id(n) for lam in lambdas for n in ast.walk(lam.body)}
    return not any(isinstance(n, ast.Call) and id(n) not in inside for n in ast.walk(expr))


def run_cell(namespace: dict, source: str, number: int) -> None:
    """exec one cell as IPython does: a file name of its own, its text in linecache."""
    source = _python(source)
    filename = f"<notebook cell {number}>"
    linecache.cache[filename] = (len(source), None, [line + "\n" for line in source.split("\n")], filename)
    exec(compile(source, filename, "exec"), namespace)


def run_code(nb) -> dict:
    """A fresh namespace with the helper cell and every definition cell of `nb` run, in order."""
    namespace = {"__name__": "__main__"}
    with contextlib.redirect_stdout(io.StringIO()):
        for number, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            if cell.source.startswith(SETUP_MARKER) or _only_definitions(cell.source):
                run_cell(namespace, cell.source, number)
    return namespace


def stand_in_experiments(namespace: dict, part: str, skip=()) -> None:
    """Set the variables the experiments leave behind (all but those of `skip`, experiment titles).
    Part 2's search gets a consistent stand-in (a small net of the notebook's TwoLayerNet, its
    validation accuracy the best in `results`), which its self-check item accepts."""
    for experiment in namespace["EXPERIMENTS"][part]:
        if not any(s in experiment["what"] for s in skip):
            if experiment.get("check") == "search" and "results" not in namespace:
                namespace.update(_stand_in_search(namespace))
            for variable in experiment["variables"]:
                namespace.setdefault(variable, ["ran"])


def _stand_in_search(namespace: dict) -> dict:
    rng = np.random.default_rng(0)
    X_val = namespace.setdefault("X_val", rng.standard_normal((30, 4)))
    y_val = namespace.setdefault("y_val", rng.integers(3, size=len(X_val)))
    try:
        net = namespace["TwoLayerNet"](X_val.shape[1], 5, 3, std=0.1)
        accuracy = float(np.mean(np.asarray(net.predict(X_val)) == y_val))
    except Exception:  # a broken TwoLayerNet (a mistake under test): its own checks say so
        net, accuracy = None, 0.5
    best = {"hidden_size": 5, "learning_rate": 0.1, "reg": 1e-3}
    results = {(5, 0.1, 1e-3): accuracy, (5, 0.3, 1e-3): accuracy - 0.1}
    return {"results": results, "best_net": net, "best_params": best}


def readiness(namespace: dict, nb, part: str, folder: Path):
    """(self_check's report, what it printed), run in `folder` with `nb` saved there."""
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(copy.deepcopy(nb), folder / CFG.notebooks[part])
    out = io.StringIO()
    previous = os.getcwd()
    os.chdir(folder)
    try:
        with contextlib.redirect_stdout(out):
            report = namespace["self_check"](namespace, part)
    finally:
        os.chdir(previous)
    return report, out.getvalue()


def failures(report) -> list[tuple[str, str]]:
    return [(title, message) for title, status, message in report["checks"] if status != "PASS"]
