"""Build small classes of submissions (real .ipynb files) for the similarity tests."""

from __future__ import annotations

import ast
import json
import re
import textwrap
from pathlib import Path

import nbformat
from sim_implementations import IMPLEMENTATIONS, STARTER_REGION, function_source

from course.config import load_config
from course.contract import part_of
from course.markers import ANSWER_STUB

# Two independent answers per inline question, in different words.
ANSWERS = {
    "1.1": [
        "At initialisation the weights are tiny, so every class gets nearly the same score and the "
        "softmax is close to uniform; the loss is then about minus log of one over the number of classes.",
        "Small random W means all scores are near zero, probabilities are roughly equal, and cross "
        "entropy starts near log(C), e.g. 2.3 for ten digits.",
        "Because each of the C probabilities begins around 1/C the expected starting value is ln C.",
    ],
    "2.1": [
        "Without the ReLU the two affine layers multiply into one matrix, which is still a linear model, "
        "so the spirals cannot be separated.",
        "Stacking linear maps collapses to a single linear map; the non-linearity is what lets the "
        "hidden layer bend the decision boundary around the spiral arms.",
        "A composition of affine functions is affine, hence no better than part one on curved data.",
    ],
}

TWO_LAYER_NET_STARTER = '''
class TwoLayerNet:
    """Affine -> ReLU -> affine -> softmax."""

    def __init__(self, input_size, hidden_size, output_size, std=1e-4):
        self.params = {}
        ### START CODE HERE ###
        raise NotImplementedError("Initialise the parameters.")
        ### END CODE HERE ###

    def loss(self, X, y=None, reg=0.0):
        ### START CODE HERE ###
        raise NotImplementedError("Forward and backward pass.")
        ### END CODE HERE ###
'''


def rename_assigned(code: str, suffix: str = "_v") -> str:
    """Consistently rename every variable the region assigns (a copier's first disguise)."""
    tree = ast.parse(textwrap.dedent(code))
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    names -= {"loss", "dW", "out", "dx", "dw", "db", "dscores"}  # outputs the skeleton returns
    for name in sorted(names, key=len, reverse=True):
        code = re.sub(rf"(?<![.\w]){re.escape(name)}(?!\w)", f"tmp_{name}{suffix}", code)
    return code


def _names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _writes(stmt: ast.stmt) -> set[str]:
    targets = getattr(stmt, "targets", None) or [getattr(stmt, "target", None)]
    return set().union(*(_names(t) for t in targets if t is not None))


def reorder_independent(code: str) -> str:
    """Swap adjacent top-level statements that neither read nor write what the
    other writes (so the program means the same): a copier's second disguise."""
    lines = textwrap.dedent(code).strip("\n").splitlines()
    body = ast.parse("\n".join(lines)).body
    segs = ["\n".join(lines[s.lineno - 1 : s.end_lineno]) for s in body]
    i = 0
    while i + 1 < len(body):
        a, b = body[i], body[i + 1]
        simple = all(isinstance(s, (ast.Assign, ast.AugAssign, ast.Expr)) for s in (a, b))
        if simple and not (_writes(a) & _names(b)) and not (_writes(b) & _names(a)):
            body[i], body[i + 1] = b, a
            segs[i], segs[i + 1] = segs[i + 1], segs[i]
            i += 2
        else:
            i += 1
    return "\n".join(segs)


def write_submission(
    folder: Path, functions: dict[str, str], answers: dict[str, str] | None = None, extra_code: str | None = None
) -> list[Path]:
    """functions: name -> region code; one notebook per part, as students hand in."""
    cfg, written = load_config(), []
    for part in ("part1", "part2"):
        names = [n for n in functions if part_of(n) == part]
        qids = [q for q in (answers or {}) if q.startswith("1." if part == "part1" else "2.")]
        if not names and not qids:
            continue
        nb = nbformat.v4.new_notebook()
        nb.cells.append(nbformat.v4.new_markdown_cell(f"# {part}"))
        nb.cells.append(nbformat.v4.new_code_cell("import numpy as np"))
        nb.cells += [nbformat.v4.new_code_cell(function_source(n, functions[n])) for n in names]
        if part == "part2" and extra_code:
            nb.cells.append(nbformat.v4.new_code_cell(extra_code))
        nb.cells += [
            nbformat.v4.new_markdown_cell(f"**Your answer (inline question {q}):**\n{answers[q]}") for q in qids
        ]
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / cfg.notebooks[part]
        path.write_text(json.dumps(nb, indent=1))  # nbformat.write would re-validate: slow in the bench
        written.append(path)
    return written


def write_release(folder: Path) -> Path:
    """A student release: every region `raise NotImplementedError`, answers a placeholder."""
    write_submission(
        folder,
        {n: STARTER_REGION.format(name=n) for n in IMPLEMENTATIONS},
        {"1.1": ANSWER_STUB, "2.1": ANSWER_STUB},
        extra_code=TWO_LAYER_NET_STARTER,
    )
    return folder


def style(i: int) -> dict[str, str]:
    """Every function written in style i (0, 1, 2): an honest student."""
    return {name: impls[i] for name, impls in IMPLEMENTATIONS.items()}
