"""Build examples/submissions/ from the solution (and release) notebooks.

    python examples/make_examples.py          # rewrite examples/submissions/
    python examples/make_examples.py --check  # exit 1 if the committed examples are stale

Each example is what a student plausibly hands in; `make grade` grades them and
peer review allocates them. Deterministic: the same solutions give the same bytes.
  complete            the solution as a student would hand it in (no nbgrader solution markers)
  partial_bugs        typical bugs in three functions, the rest correct, shorter inline answers
  untouched           the release as downloaded
  colab_saved         complete code saved by Colab: colab metadata and accelerator, no cell ids,
                      outputs mentioning /content/drive/MyDrive/..., a Drive-mount cell, shell and
                      magic lines, cells reordered, an early wrong draft redefined later, and the
                      "Copy of ..." file names Colab gives
  syntax_error_part2  Part 1 complete; Part 2 with a syntax error in one function
  not_a_notebook      a Python script (Colab's "Download .py") renamed to .ipynb
The release is assignments/<id>/ when it exists; until then it is made here the way
the release tool does it (solution regions -> `raise NotImplementedError(...)`, answer
regions -> "_Write your answer here._").
"""

from __future__ import annotations

import argparse
import copy
import filecmp
import hashlib
import json
import re
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from course.config import EXAMPLES_DIR, load_config  # noqa: E402
from course.markers import SETUP_MARKER, answer_id  # noqa: E402
from course.stubs import solution_walk, stub_cell_source  # noqa: E402

# (part, function, exact text in the solution, buggy replacement, what a student got wrong)
BUGS = [
    (
        "part1",
        "softmax_loss_vectorized",
        r"\n[ \t]*scores = scores - scores\.max\(axis=1, keepdims=True\)[^\n]*",
        "",
        "no max-subtraction: overflows for large scores",
    ),
    ("part2", "affine_backward", r"db = dout\.sum\(axis=0\)", "db = dout.sum(axis=1)", "db summed over the wrong axis"),
    (
        "part2",
        "relu_backward",
        r"dx = np\.where\(x > 0, dout, 0\.0\)",
        "dout[x <= 0] = 0\n    dx = dout",
        "overwrites dout in place",
    ),
]
SYNTAX_ERROR = (
    "part2",
    "relu_forward",
    r"out = np\.maximum\(0\.0, x\)",
    "out = np.maximum(0.0, x",
    "unclosed parenthesis",
)


# ------------------------------------------------------------------ notebooks


def load(path: Path) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def dump(nb: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def source(cell: dict) -> str:
    s = cell.get("source", "")
    return "".join(s) if isinstance(s, list) else s


def set_source(cell: dict, text: str) -> None:
    cell["source"] = text.splitlines(keepends=True)


def strip_markers(nb: dict) -> dict:
    """Solution -> what a student who finished hands in: the same code, without nbgrader's markers."""
    nb = copy.deepcopy(nb)
    for cell in nb["cells"]:
        lines = source(cell).splitlines(keepends=True)
        set_source(cell, "".join(ln for _, ln, where in solution_walk(lines) if where in ("inside", "outside")))
    return nb


def make_release(nb: dict) -> dict:
    """Solution regions -> the release tool's raise; answer regions -> the placeholder (course.stubs)."""
    nb = copy.deepcopy(nb)
    for cell in nb["cells"]:
        set_source(cell, stub_cell_source(source(cell), cell["cell_type"]))
    return nb


def release(part: str) -> dict:
    cfg = load_config()
    path = cfg.release_notebook(part)
    return load(path) if path.is_file() else make_release(load(cfg.solution_notebook(part)))


def replace_in_function(nb: dict, function: str, pattern: str, replacement: str) -> dict:
    """Apply a bug inside the cell that defines `function`; fails loudly when the solution changed."""
    nb = copy.deepcopy(nb)
    for cell in nb["cells"]:
        text = source(cell)
        if cell["cell_type"] == "code" and re.search(rf"^(class|def) {function}\b|^\s+def {function}\b", text, re.M):
            new, n = re.subn(pattern, lambda m: replacement, text)
            if n != 1:
                raise SystemExit(
                    f"make_examples: expected the pattern {pattern!r} once in {function}, found "
                    f"{n}; update BUGS in {__file__} to the current solution"
                )
            set_source(cell, new)
            return nb
    raise SystemExit(f"make_examples: no cell defines {function} in the solution notebook")


def shorten_answers(nb: dict) -> dict:
    """Inline answers cut to their first sentence: plausible, incomplete answers for peer review."""
    nb = copy.deepcopy(nb)
    for cell in nb["cells"]:
        text = source(cell)
        if cell["cell_type"] == "markdown" and answer_id(text):
            head, _, body = text.partition("\n")
            first = re.split(r"(?<=[.!?])\s", body.strip(), maxsplit=1)[0]
            set_source(cell, f"{head}\n\n{first}\n")
    return nb


# ----------------------------------------------------------------- Colab


def _colab_id(*parts) -> str:
    return hashlib.sha1("/".join(map(str, parts)).encode()).hexdigest()[:12]


def colab_save(nb: dict, name: str, student: str) -> dict:
    """Rewrite a notebook as Colab saves it (see the module docstring)."""
    nb = copy.deepcopy(nb)
    drive = f"/content/drive/MyDrive/{student}/nn_hw"
    nb["nbformat_minor"] = 0
    nb["metadata"] = {
        "colab": {"provenance": [], "name": f"Copy of {name}", "toc_visible": True},
        "kernelspec": {"name": "python3", "display_name": "Python 3"},
        "language_info": {"name": "python"},
        "accelerator": "GPU",
    }
    mount = {
        "cell_type": "code",
        "source": [
            "from google.colab import drive\n",
            "drive.mount('/content/drive')\n",
            f"%cd {drive}\n",
            "!pip install -q numpy\n",
        ],
        "metadata": {},
        "execution_count": 1,
        "outputs": [{"output_type": "stream", "name": "stdout", "text": ["Mounted at /content/drive\n", f"{drive}\n"]}],
    }
    cells = [mount] + nb["cells"]
    for n, cell in enumerate(cells):
        cell.pop("id", None)
        cell["metadata"] = {"id": _colab_id(student, name, n)}
        if cell["cell_type"] == "code":
            cell["metadata"]["colab"] = {"base_uri": "https://localhost:8080/"}
            cell["execution_count"] = n + 1
            if not cell.get("outputs"):
                cell["outputs"] = [
                    {"output_type": "stream", "name": "stdout", "text": [f"saved checkpoint to {drive}/run_{n}.npz\n"]}
                ]
    nb["cells"] = _reorder(cells)
    return nb


def _reorder(cells: list[dict]) -> list[dict]:
    """Move the first definition cell to the end and put a wrong early draft of it first:
    the later (correct) definition must win, and position must not matter."""
    from course.contract import contract_names

    pattern = re.compile(rf"^def ({'|'.join(contract_names())})\(", re.M)
    defs = [
        i
        for i, c in enumerate(cells)
        if c["cell_type"] == "code" and pattern.search(source(c)) and not source(c).startswith(SETUP_MARKER)
    ]
    first = cells.pop(defs[0])
    draft = copy.deepcopy(first)
    name = pattern.search(source(first)).group(1)
    set_source(draft, f"def {name}(*args):\n    # first try, rewritten further down\n    return None\n")
    draft["metadata"] = {"id": _colab_id("draft", name)}
    return [cells[0], draft] + cells[1:] + [first]


# ------------------------------------------------------------------ build


def build(out: Path) -> None:
    cfg = load_config()
    names = cfg.notebooks
    solution = {p: load(cfg.solution_notebook(p)) for p in names}
    complete = {p: strip_markers(nb) for p, nb in solution.items()}

    def write(student: str, part: str, nb: dict, file_name: str | None = None) -> None:
        dump(nb, out / student / (file_name or names[part]))

    for part in names:
        write("complete", part, complete[part])
        write("untouched", part, release(part))
        write("colab_saved", part, colab_save(complete[part], names[part], "colab_saved"), f"Copy of {names[part]}")
    buggy = {p: shorten_answers(nb) for p, nb in complete.items()}
    for part, function, pattern, replacement, _ in BUGS:
        buggy[part] = replace_in_function(buggy[part], function, pattern, replacement)
    for part in names:
        write("partial_bugs", part, buggy[part])
    part, function, pattern, replacement, _ = SYNTAX_ERROR
    write("syntax_error_part2", "part1", complete["part1"])
    write("syntax_error_part2", part, replace_in_function(complete[part], function, pattern, replacement))
    script = "\n\n".join(
        f"# In[{i}]:\n{source(c)}" for i, c in enumerate(complete["part1"]["cells"], 1) if c["cell_type"] == "code"
    )
    (out / "not_a_notebook").mkdir(parents=True, exist_ok=True)
    (out / "not_a_notebook" / names["part1"]).write_text(
        "#!/usr/bin/env python\n# coding: utf-8\n\n" + script, encoding="utf-8"
    )


def same_tree(a: Path, b: Path) -> bool:
    cmp = filecmp.dircmp(a, b)
    if cmp.left_only or cmp.right_only or cmp.funny_files:
        return False
    if filecmp.cmpfiles(a, b, cmp.common_files, shallow=False)[1:] != ([], []):
        return False
    return all(same_tree(a / d, b / d) for d in cmp.common_dirs)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=EXAMPLES_DIR)
    p.add_argument("--check", action="store_true", help="compare with --out instead of writing it")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        build(Path(tmp) / "submissions")
        if args.check:
            if not args.out.is_dir() or not same_tree(Path(tmp) / "submissions", args.out):
                print(f"{args.out} is out of date with the solutions; run python examples/make_examples.py")
                return 1
            print(f"{args.out} is up to date")
            return 0
        if args.out.exists():
            shutil.rmtree(args.out)
        shutil.copytree(Path(tmp) / "submissions", args.out)
    print(f"wrote {sorted(p.name for p in args.out.iterdir())} to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
