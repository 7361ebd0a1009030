"""Run a notebook top to bottom in a fresh kernel and read back named variables.

Shared by the solution-notebook tests (tests/notebooks/test_solution_targets.py):

    values, seconds = run_notebook(path, ["test_accuracy"], timeout=300)

and, through `execute` (run a notebook in place, outputs kept), by the release
tests (tests/notebooks/test_release_notebooks.py).

The kernel runs single-threaded BLAS (the course's timing targets are for ONE
core) in a throw-away working directory, so a notebook that writes files
cannot litter the repository. A variable that the notebook did not define
comes back as None; one that JSON cannot hold comes back as its repr() string,
so a test's assertion shows what was there instead of crashing here.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

# One core: the notebook targets (course.toml notebook_seconds_max) assume it.
SINGLE_THREAD_ENV = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}
_MARKER = "__NBRUN_RESULT__"


def _result_cell(names: list[str]) -> nbformat.NotebookNode:
    """A code cell that prints the requested globals as one JSON line."""
    source = (
        "import json as _nbrun_json\n"
        f"print({_MARKER!r} + _nbrun_json.dumps("
        f"{{_n: globals().get(_n) for _n in {list(names)!r}}}, default=repr))"
    )
    return nbformat.v4.new_code_cell(source)


def _read_result(cell: nbformat.NotebookNode, path: Path) -> dict:
    """Parse the JSON line printed by the result cell."""
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream":
            for line in output.get("text", "").splitlines():
                if line.startswith(_MARKER):
                    return json.loads(line[len(_MARKER) :])
    raise RuntimeError(
        f"nbrun: {path}: the appended result cell printed no result line; its outputs were {cell.get('outputs')!r}"
    )


def execute(nb: nbformat.NotebookNode, cwd, *, timeout: int, env: dict[str, str], allow_errors: bool = False) -> float:
    """Run every cell of `nb` in a fresh python3 kernel working in `cwd`, with
    os.environ plus `env`; the outputs are written into `nb`. Returns the wall
    seconds of kernel start-up and every cell. Unless allow_errors, a cell that
    raises makes nbclient raise CellExecutionError with the traceback."""
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        allow_errors=allow_errors,
        resources={"metadata": {"path": str(cwd)}},
    )
    start = time.perf_counter()
    client.execute(env={**os.environ, **env}, cwd=str(cwd))
    return time.perf_counter() - start


def run_notebook(path, names, timeout: int = 300, *, cwd=None, outputs: list | None = None) -> tuple[dict, float]:
    """Execute the notebook at `path`; return ({name: value}, wall seconds).

    path: a .ipynb file (it is read, never written; a copy is saved in the
    kernel's working directory, as a student's notebook sits in Jupyter's, so
    that the self-check can read the inline answers from it).
    names: global variable names to read after the last cell.
    timeout: seconds allowed per cell (nbclient raises if one takes longer).
    cwd: the kernel's working directory; a fresh temporary one when None.
    outputs: when given, the executed cells (with their outputs) are appended to it.
    seconds covers kernel start-up and every cell of the notebook, i.e. what a
    student waits for with "Run all".
    A cell that raises makes nbclient raise CellExecutionError with the traceback.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"nbrun: no notebook at {path}")
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(_result_cell(list(names)))
    with tempfile.TemporaryDirectory(prefix="nbrun-") as tmp:
        shutil.copy(path, Path(cwd or tmp) / path.name)
        seconds = execute(nb, cwd or tmp, timeout=timeout, env=SINGLE_THREAD_ENV)
    if outputs is not None:
        outputs += nb.cells
    return _read_result(nb.cells[-1], path), seconds


def stream_text(cells) -> str:
    """Everything the cells printed (stdout and stderr), in order."""
    return "".join(
        o.get("text", "")
        for c in cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.get("output_type") == "stream"
    )
