"""The student release runs as a student first meets it: the helper and data cells
work, the first thing that fails is a stub telling them what to do, the check cells
report instead of raising, and the self-check at the end lists what is left.

The kernel is started the way Jupyter starts it for a notebook (JPY_SESSION_NAME
names the notebook's file), with the file saved outside the working directory: the
self-check must find the inline answers through that name.
"""

import shutil

import nbformat
import pytest
from nbrun import execute, stream_text

from course.config import load_config
from course.markers import SETUP_MARKER

CFG = load_config()
STUB_MESSAGE = "fill in the code between START CODE HERE and END CODE HERE"
QUESTIONS = {"part1": "1.1, 1.2, 1.3", "part2": "2.1, 2.2, 2.3"}


def execute_release(part, tmp_path):
    saved = tmp_path / "saved" / CFG.notebooks[part]
    saved.parent.mkdir()
    shutil.copy(CFG.release_notebook(part), saved)
    nb = nbformat.read(saved, as_version=4)
    work = tmp_path / "work"
    work.mkdir()
    execute(
        nb,
        work,
        timeout=120,
        allow_errors=True,
        env={"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MPLBACKEND": "Agg", "JPY_SESSION_NAME": str(saved)},
    )
    return nb


def errors(cell):
    return [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]


@pytest.mark.slow
@pytest.mark.parametrize("part", list(CFG.notebooks))
def test_release_runs_until_the_first_stub(part, tmp_path):
    nb = execute_release(part, tmp_path)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code[0].source.startswith(SETUP_MARKER) and not errors(code[0]), "the helper cell must run"
    failing = [c for c in code if errors(c)]
    assert failing, "an untouched release should stop at a stub"
    first = errors(failing[0])[0]
    assert first["ename"] == "NotImplementedError" and STUB_MESSAGE in first["evalue"], (
        f"first error in the untouched {part} release is {first['ename']}: {first['evalue']}"
    )
    # Everything before the first failure (setup, data loading, previews) ran cleanly.
    assert code.index(failing[0]) >= 2, "setup and data cells should run before any student code is needed"
    # The check cells report (FAIL, not implemented yet) instead of raising.
    if part == "part2":  # its checks share cells with hand-worked examples, which raise first
        checks = [c for c in code if "check_function(" in c.source][1:]
        assert all(errors(c) and errors(c)[0]["ename"] == "NotImplementedError" for c in checks)
        checks = []
    checks = [
        c
        for c in code[1:]
        if c.source.strip() and all(line.startswith("check_function(") for line in c.source.strip().splitlines())
    ]
    assert not any(errors(c) for c in checks)
    assert not checks or "not implemented yet" in stream_text(checks)
    # The self-check at the end reports instead of crashing, and lists what is left.
    self_check = [c for c in code if "self_check(" in c.source]
    assert self_check and not errors(self_check[-1]), "the self-check cell must not raise on an unfinished notebook"
    report = stream_text(self_check[-1:])
    assert "Ready to submit." not in report and "Not ready" in report
    assert f"blank: {QUESTIONS[part]}" in report, report
    assert "experiment:" in report and "not run yet" in report
