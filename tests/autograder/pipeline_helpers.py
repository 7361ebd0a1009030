"""Small builders for the pipeline tests (CLI, batch, report): tiny notebooks
whose definitions the stand-in grader (standin_grader.py) scores."""

from __future__ import annotations

from pathlib import Path

import nbformat

STANDIN = "standin_grader:grade_submission"

PART1 = """import numpy as np

def softmax_loss_naive(W, X, y, reg):
    return 0.0, np.zeros_like(W)

def softmax_loss_vectorized(W, X, y, reg):
    return 0.0, np.zeros_like(W)

class LinearSoftmax:
    def predict(self, X):
        return np.zeros(len(X), dtype=int)
"""

PART2 = """import numpy as np

def affine_forward(x, w, b):
    return x.reshape(len(x), -1) @ w + b, (x, w, b)

def affine_backward(dout, cache):
    return None

def relu_forward(x):
    return np.maximum(0, x), x

def relu_backward(dout, cache):
    return dout * (cache > 0)

def softmax_loss(scores, y):
    return 0.0, scores

class TwoLayerNet:
    pass
"""


def notebook(path: Path, *code_cells: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in code_cells]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


def student(root: Path, sid: str, part1_extra: str = "", part2_extra: str | None = "") -> Path:
    """root/sid/ with part1 (and part2 unless part2_extra is None); extras are appended as cells."""
    notebook(root / sid / "part1_linear_softmax.ipynb", PART1, part1_extra or "x = 1")
    if part2_extra is not None:
        notebook(root / sid / "part2_two_layer_net.ipynb", PART2, part2_extra or "y = 2")
    return root / sid


def small_class(root: Path) -> Path:
    """Five students: full marks, one bug, only part 1, no notebook, an array-leaking message."""
    student(root, "alice")
    student(root, "bob", "# BUG_p1_softmax_vectorized")
    student(root, "carol", part2_extra=None)
    (root / "dave").mkdir(parents=True)
    (root / "dave" / "homework.py").write_text("print('downloaded as .py')\n")
    student(root, "erin", "# BUG_LEAK")
    return root


# Gradescope's autograder results schema (gradescope-autograders.readthedocs.io, "Autograder
# Specifications"): the fields we write, with their types and allowed values.
GS_TOP = {
    "score": (int, float),
    "execution_time": (int, float),
    "output": str,
    "visibility": str,
    "stdout_visibility": str,
    "extra_data": dict,
    "tests": list,
}
GS_TEST = {
    "name": str,
    "number": str,
    "score": (int, float),
    "max_score": (int, float),
    "status": str,
    "output": str,
    "tags": list,
    "visibility": str,
    "extra_data": dict,
}
GS_VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}


def gradescope_problems(doc: dict) -> list[str]:
    """Everything in `doc` that Gradescope would reject or misread ([] when valid)."""
    problems = [
        f"top-level {k}: {type(doc.get(k)).__name__}"
        for k, t in GS_TOP.items()
        if not isinstance(doc.get(k), t) or isinstance(doc.get(k), bool)
    ]
    allowed = set(GS_TOP) | {"output_format", "test_output_format", "test_name_format", "leaderboard"}
    problems += [f"unknown top-level key {k}" for k in doc if k not in allowed]
    for key in ("visibility", "stdout_visibility"):
        if doc.get(key) not in GS_VISIBILITY:
            problems.append(f"{key} = {doc.get(key)!r}")
    for i, t in enumerate(doc.get("tests", [])):
        problems += [f"tests[{i}].{k}" for k, ty in GS_TEST.items() if not isinstance(t.get(k), ty)]
        if t.get("status") not in ("passed", "failed"):
            problems.append(f"tests[{i}].status = {t.get('status')!r}")
        if t.get("visibility") not in GS_VISIBILITY:
            problems.append(f"tests[{i}].visibility = {t.get('visibility')!r}")
        if not 0 <= t.get("score", -1) <= t.get("max_score", -1):
            problems.append(f"tests[{i}] score {t.get('score')} outside [0, {t.get('max_score')}]")
    if abs(sum(t["score"] for t in doc.get("tests", [])) - doc.get("score", 0)) > 1e-6:
        problems.append("score is not the sum of the tests' scores")
    return problems
