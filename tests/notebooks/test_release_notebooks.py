"""The student release runs as a student first meets it: the setup and data
cells work, and the first thing that fails is a stub telling them what to do."""
import nbformat
import pytest

from course.config import load_config
from course.markers import SETUP_MARKER
from nbrun import execute

CFG = load_config()
STUB_MESSAGE = "fill in the code between START CODE HERE and END CODE HERE"


def execute_release(part, tmp_path):
    nb = nbformat.read(CFG.release_notebook(part), as_version=4)
    execute(nb, tmp_path, timeout=120, allow_errors=True,
            env={"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MPLBACKEND": "Agg"})
    return nb


def errors(cell):
    return [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]


@pytest.mark.slow
@pytest.mark.parametrize("part", list(CFG.notebooks))
def test_release_runs_until_the_first_stub(part, tmp_path):
    nb = execute_release(part, tmp_path)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code[0].source.startswith(SETUP_MARKER) and not errors(code[0]), "the setup cell must run"
    failing = [c for c in code if errors(c)]
    assert failing, "an untouched release should stop at a stub"
    first = errors(failing[0])[0]
    assert first["ename"] == "NotImplementedError" and STUB_MESSAGE in first["evalue"], (
        f"first error in the untouched {part} release is {first['ename']}: {first['evalue']}")
    # Everything before the first failure (setup, data loading, previews) ran cleanly.
    assert code.index(failing[0]) >= 2, "setup and data cells should run before any student code is needed"
    # The self-check at the end reports instead of crashing.
    self_check = [c for c in code if "self_check(" in c.source]
    assert self_check and not errors(self_check[-1]), "the self-check cell must not raise on an unfinished notebook"
