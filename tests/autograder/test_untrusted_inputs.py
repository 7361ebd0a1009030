"""The grader's own process on hostile notebook files: every read and parse is bounded.

Each attack is what a student who read notebook_io.py, cell_parser.py and
extract.py would hand in. Containment here means: a NotebookError (or a
problem line) that names the file and says what is wrong, no exception of
another kind, no hang (a SIGALRM deadline turns one into a failure), no
cache that keeps a student's text, and the other notebooks and cells of the
same hand-in still read.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import time
from pathlib import Path

import pytest

from autograder import cell_parser, extract, notebook_io
from autograder.extract import extract_readable
from autograder.notebook_io import NotebookError, load_json, read_cells
from course.config import load_config

SOLUTION = load_config().solution_notebook("part1")
DEADLINE = 60  # seconds for any one read or parse here; the attacks took 35 s to forever unbounded


@contextlib.contextmanager
def deadline(seconds: int = DEADLINE):
    """Fail (instead of hanging the suite) when the block blocks."""

    def expired(signum, frame):
        raise TimeoutError(f"still running after {seconds} s: the read is not bounded")

    old = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def nb_json(*cells: str, cell_type: str = "code") -> str:
    return json.dumps(
        {
            "cells": [{"cell_type": cell_type, "metadata": {}, "outputs": [], "source": c} for c in cells],
            "metadata": {},
            "nbformat": 4,
            "nbformat_minor": 5,
        }
    )


def refused(path: Path, *words: str) -> str:
    """load_json(path) raises NotebookError naming the file and saying `words`; returns the message."""
    with deadline(), pytest.raises(NotebookError) as err:
        load_json(path)
    message = str(err.value)
    assert message.startswith(notebook_io.shown_name(path) + ":"), message
    for word in words:
        assert word in message, message
    assert message.isprintable()
    return message


GOOD = "def relu_forward(x):\n    return x * (x > 0)\n"


# ------------------------------------------------------------------ kinds of file


def test_a_symlink_to_the_solutions_is_never_read(tmp_path):
    link = tmp_path / "part1_linear_softmax.ipynb"
    link.symlink_to(SOLUTION)
    refused(link, "symbolic link", "never followed")


def test_a_file_in_a_linked_folder_below_a_handin_root_is_never_read(tmp_path):
    root = tmp_path / "subs"
    (root / "alice").mkdir(parents=True)
    (root / "alice" / "work").symlink_to(SOLUTION.parent, target_is_directory=True)
    notebook_io.register_handin_root(root)
    refused(root / "alice" / "work" / SOLUTION.name, "symbolic link")


def test_a_fifo_named_like_a_notebook_does_not_block(tmp_path):
    fifo = tmp_path / "part1_linear_softmax.ipynb"
    os.mkfifo(fifo)
    refused(fifo, "not a regular file", "named pipe")


def test_a_socket_and_a_folder_named_like_a_notebook(tmp_path):
    sock_path = tmp_path / "s.ipynb"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(sock_path))
        refused(sock_path, "not a regular file")
    (tmp_path / "d.ipynb").mkdir()
    with deadline(), pytest.raises(NotebookError, match="d.ipynb"):
        load_json(tmp_path / "d.ipynb")


def test_a_device_file_named_like_a_notebook(tmp_path):
    dev = tmp_path / "part1_linear_softmax.ipynb"
    try:
        os.mknod(dev, 0o666 | 0o020000, os.makedev(1, 5))  # /dev/zero: never ends
    except (PermissionError, OSError):
        pytest.skip("creating a device node needs root")
    refused(dev, "not a regular file", "device")


def test_a_huge_file_is_refused_before_reading(tmp_path):
    big = tmp_path / "big.ipynb"
    with open(big, "wb") as f:  # sparse: no disk used
        f.truncate(notebook_io.MAX_NOTEBOOK_BYTES + 1)
    refused(big, "too large")


# ------------------------------------------------------------------------ JSON


@pytest.mark.parametrize("depth", [notebook_io.MAX_JSON_DEPTH + 5, 100_000])
def test_deeply_nested_json_is_the_students_problem(tmp_path, depth):
    path = tmp_path / "deep.ipynb"
    path.write_text('{"cells": [], "metadata": ' + "[" * depth + "]" * depth + "}")
    refused(path, "not a notebook", "nested")


def test_a_million_small_objects_are_refused_before_parsing(tmp_path):
    path = tmp_path / "bomb.ipynb"
    path.write_text('{"cells": [], "x": [' + "{}," * notebook_io.MAX_JSON_ITEMS + "{}]}")
    refused(path, "JSON values")


def test_too_many_cells(tmp_path):
    path = tmp_path / "cells.ipynb"
    path.write_text(nb_json(*["x = 1"] * (notebook_io.MAX_CELLS + 1)))
    refused(path, "cells, more than")


@pytest.mark.parametrize(
    "content, says",
    [
        (b"%PDF-1.4\n%\xe2\xe3", "a PDF renamed to .ipynb"),
        (b"PK\x03\x04\x14\x00", "a zip archive renamed"),
        (b"<!DOCTYPE html><html>", "an HTML page renamed"),
        (b"\xff\xfe\x00garbage", "invalid JSON"),
        (b"import numpy as np\n", "invalid JSON"),
        (b"[1, 2, 3]", "without a 'cells' list"),
        (b"   \n", "empty"),
    ],
)
def test_files_that_are_not_notebooks_say_what_they_are(tmp_path, content, says):
    path = tmp_path / "part1_linear_softmax.ipynb"
    path.write_bytes(content)
    refused(path, says)


def test_malformed_cells_are_skipped_not_fatal(tmp_path):
    path = tmp_path / "odd.ipynb"
    path.write_text(
        json.dumps(
            {
                "cells": [
                    1,
                    None,
                    {"cell_type": 5},
                    {"cell_type": "code", "source": [1, "x = 1"]},
                    {"cell_type": "code", "source": GOOD},
                ]
            }
        )
    )
    assert [c.source for c in read_cells(path)] == ["x = 1", GOOD]


# ------------------------------------------------------------------------ names


def test_a_file_name_with_newlines_and_escapes_is_printable_in_every_message(tmp_path):
    name = "part1\n  mallory: 15 points, 0.1 s, ok\x1b]52;c;cm0gLXJmIH4=\x07\r.ipynb"
    path = tmp_path / name
    path.write_text("not json")
    message = refused(path, "mallory: 15 points")  # the text stays, as text on one line
    assert "\n" not in message and "\x1b" not in message and "\x07" not in message and "\r" not in message
    path.write_text(nb_json("def f(:\n    pass\n"))
    ext, _, _ = extract_readable([path])
    assert ext.problems and all(p.isprintable() for p in ext.problems)


# ------------------------------------------------------------- parsing budgets


def cpu_seconds_of(fn, *args):
    start = time.process_time()
    with deadline():
        out = fn(*args)
    return time.process_time() - start, out


def test_ipython_escape_floods_cost_little_and_keep_the_functions(tmp_path):
    """Ten 25 KB cells of `!` escapes took 35-80 s of CPU each in IPython's transformer."""
    path = tmp_path / "bang.ipynb"
    cells = ["!ls\n" * 6_250] * 10 + [
        "a?\n" * 20_000,
        "files = !ls\n" * 5_000,
        "%%bash\n" + "echo\n" * 15_000,
        "!pip install numpy\n" + GOOD,
    ]
    path.write_text(nb_json(*cells))
    seconds, (ext, readable, unreadable) = cpu_seconds_of(extract_readable, [path])
    assert readable == [path] and unreadable == []
    assert "relu_forward" in ext.definitions
    assert seconds < 15, f"{seconds:.1f} s of CPU: the transformer budget does not hold"


def test_a_dense_45_mb_cell_is_not_parsed(tmp_path):
    """4.5 MB of code in a cell: ~3 GB in ast.parse. Refused by its size, before parsing."""
    path = tmp_path / "tuples.ipynb"
    path.write_text(nb_json("a=1\n" * 1_125_000, GOOD))
    seconds, (ext, readable, unreadable) = cpu_seconds_of(extract_readable, [path])
    assert readable == [] and "cell 1 holds 4,500,000 characters of code" in unreadable[0]
    assert seconds < 5


def test_code_over_the_submission_cap_is_refused_notebook_by_notebook(tmp_path):
    """Many cells each under the cell cap: the submission's total is capped."""
    cell = "x = [" + "(1, 2)," * (cell_parser.MAX_CELL_CHARS // 8) + "]\n"
    per_notebook = extract.MAX_CODE_PER_SUBMISSION // (2 * len(cell))  # two notebooks fit, three do not
    assert 3 * per_notebook * len(cell) > extract.MAX_CODE_PER_SUBMISSION
    paths = []
    for i in range(3):
        paths.append(tmp_path / f"n{i}.ipynb")
        paths[-1].write_text(nb_json(*[cell] * per_notebook, GOOD))
    seconds, (ext, readable, unreadable) = cpu_seconds_of(extract_readable, paths)
    assert readable == paths[:2] and len(unreadable) == 1
    assert "n2.ipynb: not read" in unreadable[0] and "characters of code together" in unreadable[0]
    assert "relu_forward" in ext.definitions


@pytest.mark.parametrize(
    "cell, problem",
    [
        ("x = " + "-" * 90_000 + "1\n", "cannot be parsed"),  # parser nesting: MemoryError
        ("x = " + "+".join(["a"] * 40_000) + "\n", "cannot be parsed"),  # left-deep tree: RecursionError
        ("x = 1\x00\n", "cannot be parsed"),  # null byte: ValueError
        ("x = " + "9" * 5_000 + "\n", None),  # digit limit: parses (or is reported)
        ("def f(:\n    pass\n", "SyntaxError on line 1"),
    ],
)
def test_hostile_python_costs_only_its_cell(tmp_path, cell, problem):
    path = tmp_path / "p.ipynb"
    path.write_text(nb_json(cell, GOOD))
    with deadline():
        ext, readable, unreadable = extract_readable([path])
    assert readable == [path] and "relu_forward" in ext.definitions
    if problem:
        assert any(problem in p and p.startswith("p.ipynb, cell 1") for p in ext.problems), ext.problems


def test_no_cache_keeps_a_students_text(tmp_path):
    """The old lru_cache kept every parsed cell (a 3 GB tree too) for later students."""
    unique = f"def relu_forward(x):\n    return x  # {os.getpid()} {time.time()}\n"
    path = tmp_path / "u.ipynb"
    path.write_text(nb_json(unique))
    extract_readable([path])
    assert unique not in cell_parser._RELEASE_PARSED
    assert set(cell_parser._RELEASE_PARSED) <= cell_parser.release_cells()
    assert not hasattr(cell_parser.parse_source, "cache_info")


def test_release_cells_are_parsed_once_and_shared():
    release = load_config().release_notebook("part1")
    if not release.exists():
        pytest.skip("no release notebooks (run make release)")
    helper = max((c.source for c in read_cells(release) if c.cell_type == "code"), key=len)
    budget = cell_parser.IpythonBudget()
    assert cell_parser.parse_cell_text(helper, budget) is cell_parser.parse_cell_text(helper, budget)


def test_plain_python_keeps_lines_and_definitions():
    source = "%matplotlib inline\nfiles = !ls\ndef f(x):\n    !echo hi\n    return x\nf?\n"
    out = cell_parser.plain_python(source)
    assert out.count("\n") == source.count("\n") - 1
    import ast

    assert [n.name for n in ast.parse(out).body if isinstance(n, ast.FunctionDef)] == ["f"]
    assert cell_parser.plain_python("%%timeit\ndef g():\n    pass\n") == ""


def test_the_ipython_budget_runs_out_per_submission():
    budget = cell_parser.IpythonBudget()
    small = "!ls\n" * 10
    while budget.take(cell_parser.ipython_work(small)):
        pass
    assert budget.left < cell_parser.ipython_work(small)
    assert not cell_parser.IpythonBudget().take(cell_parser.IPYTHON_WORK_PER_CELL + 1)
