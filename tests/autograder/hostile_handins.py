"""Hostile hand-ins: attacks on the grader's input handling, as a student who read
discover.py, notebook_io.py, cell_parser.py and extract.py would write them.

HANDINS maps a student id to a HandIn: `build(subs, secret)` creates the
files below SUBMISSIONS (`secret` is a folder OUTSIDE it holding copies of the
solution notebooks marked with CANARY: what a link attack would reach), and
`expect` says what the row must show. Every attack is contained when the
batch exits 0, the row's status starts with `status` and says every word of
`says`, the items of `zero_parts` score 0, those of `full_parts` score full
marks (the attack costs the attacker only what it attacked), and CANARY is
nowhere in what the kit wrote.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from variants import code_cell, make_submission

from course.config import load_config

CFG = load_config()
P1, P2 = CFG.notebooks["part1"], CFG.notebooks["part2"]
CANARY = "CANARY-7f3e-solution-text-must-never-be-read"
BROKEN_PART1 = {"softmax_loss_naive": "def softmax_loss_naive(W, X, y, reg):\n    return 0.0, W * 0\n"}
HONEST = ("honest_a", "honest_b")  # solutions: full marks, and they must keep them (so must alice)
NAME_FORGE = "part1\n  honest_a: 0 points, 0.00 s, error: forged\x1b]52;c;cm0gLXJmIH4K\x07\x1b[2J.ipynb"
FOLDER_FORGE = "\x1b[31mforged\nhonest_b: 0 points, 0.00 s, ok"


@dataclass(frozen=True)
class Expect:
    status: str  # "not_gradable" / "partial" / "ok"
    says: tuple[str, ...] = ()
    zero_parts: tuple[str, ...] = ()
    full_parts: tuple[str, ...] = ()
    notice: str = ""  # a word of the run log's "notice:" lines for this student
    seconds: float = 60.0  # grading time bound: each unbounded attack took minutes or forever


@dataclass(frozen=True)
class HandIn:
    build: Callable[[Path, Path], None]
    expect: Expect
    what: str = ""
    raw_name: str = ""  # the folder's name when the id is not it
    tags: tuple[str, ...] = field(default=())


def make_secret(folder: Path) -> Path:
    """Solution notebooks outside SUBMISSIONS, marked: a grade or report that holds CANARY read them."""
    folder.mkdir(parents=True, exist_ok=True)
    for part in ("part1", "part2"):
        nb = json.loads(CFG.solution_notebook(part).read_text())
        nb["cells"].append({"cell_type": "markdown", "metadata": {}, "source": f"# {CANARY}"})
        nb["cells"].append(code_cell(f"def canary_helper():\n    return '{CANARY}'\n"))
        (folder / CFG.notebooks[part]).write_text(json.dumps(nb))
    return folder


def honest(subs: Path, sid: str, parts=("part1", "part2"), **kw) -> Path:
    return make_submission(subs, sid, parts=parts, **kw)


def nb_text(*cells: str) -> str:
    return json.dumps({"cells": [code_cell(c) for c in cells], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


# ------------------------------------------------------------------- builders


def _link_files(subs, secret):
    (subs / "link_files").mkdir()
    for name in (P1, P2):
        (subs / "link_files" / name).symlink_to(secret / name)


def _link_folder(subs, secret):
    (subs / "link_folder").symlink_to(secret, target_is_directory=True)


def _link_parent(subs, secret):
    (subs / "link_parent").mkdir()
    (subs / "link_parent" / "work").symlink_to(secret, target_is_directory=True)


def _link_relative(subs, secret):
    (subs / "link_relative").mkdir()
    (subs / "link_relative" / P1).symlink_to(os.path.relpath(secret / P1, subs / "link_relative"))


def _link_nbgrader(subs, secret):
    (subs / "link_nbgrader").mkdir()
    (subs / "link_nbgrader" / CFG.assignment_id).symlink_to(secret, target_is_directory=True)


def _link_mixed(subs, secret):
    honest(subs, "link_mixed", parts=("part2",))
    (subs / "link_mixed" / P1).symlink_to(secret / P1)


def _loose_link(subs, secret):
    (subs / f"loose_link_{P1}").symlink_to(secret / P1)


def _fifo(subs, secret):
    honest(subs, "fifo", parts=("part2",))
    os.mkfifo(subs / "fifo" / P1)


def _fifo_loose(subs, secret):
    os.mkfifo(subs / f"fifo_loose_{P2}")


def _deep_json(subs, secret):
    honest(subs, "deep_json", parts=("part2",))
    (subs / "deep_json" / P1).write_text('{"cells": [' + "[" * 100_000 + "]" * 100_000 + "]}")


def _json_bomb(subs, secret):
    (subs / "json_bomb").mkdir()
    (subs / "json_bomb" / P1).write_text('{"cells": [], "x": [' + "{}," * 1_100_000 + "{}]}")


def _ipython_flood(subs, secret):
    honest(subs, "ipython_flood", parts=("part2",), extra_cells=["!ls\n" * 6_250] * 10)


def _dense_cell(subs, secret):
    honest(
        subs, "dense_cell", edit=lambda part, nb: part == "part1" and nb["cells"].append(code_cell("x = 1\n" * 750_000))
    )


def _code_cap(subs, secret):
    cell = "x = [" + "(1, 2), " * 11_000 + "]\n"  # 88 KB, under the cell cap; 7 of them are over the total
    honest(subs, "code_cap", edit=lambda part, nb: part == "part1" and nb["cells"].extend([code_cell(cell)] * 7))


def _parse_bombs(subs, secret):
    honest(
        subs,
        "parse_bombs",
        parts=("part2",),
        extra_cells=[
            "x = " + "-" * 90_000 + "1",
            "y = " + "+".join(["a"] * 40_000),
            "z = 1\x00",
            "w = " + "(" * 250 + ")" * 250,
        ],
    )


def _name_forge(subs, secret):
    honest(subs, "name_forge", parts=("part2",))
    (subs / "name_forge" / NAME_FORGE).write_text("not json")


def _folder_forge(subs, secret):
    folder = honest(subs, "tmp_forge")
    folder.rename(subs / FOLDER_FORGE)


def _collide(subs, secret):
    folder = honest(subs, "tmp_collide", replace=BROKEN_PART1)
    folder.rename(subs / "\x1bhonest_a")


def _formula(sid):
    def build(subs, secret):
        honest(subs, sid)

    return build


def _alice_and_loose_files(subs, secret):
    honest(subs, "alice")
    (subs / f"alice_{P2}").write_text(nb_text("def affine_forward(x, w, b):\n    return 0, None\n"))
    (subs / f"alice - {P2[:-6]} (1).ipynb").symlink_to(secret / P2)


def _copies(subs, secret):
    folder = honest(subs, "copies")
    os.utime(folder / P1, (1_700_000_000, 1_700_000_000))
    newer = honest(subs, "tmp_copies", parts=("part1",), replace=BROKEN_PART1)
    (newer / P1).rename(folder / f"{P1[:-6]} (1).ipynb")
    newer.rmdir()


def _py_handin(subs, secret):
    (subs / "py_handin").mkdir()
    (subs / "py_handin" / (P1[:-6] + ".py")).write_text("def softmax_loss_naive(W, X, y, reg):\n    pass\n")
    (subs / "py_handin" / (P2[:-6] + ".html")).write_text("<html></html>")


def _pdf_renamed(subs, secret):
    honest(subs, "pdf_renamed", parts=("part2",))
    (subs / "pdf_renamed" / P1).write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")


LINK = Expect("not_gradable", ("symbolic link",), zero_parts=("part1", "part2"))
HANDINS: dict[str, HandIn] = {
    "link_files": HandIn(_link_files, LINK, "both notebooks link to the solutions"),
    "link_folder": HandIn(_link_folder, LINK, "the student folder links to the solutions"),
    "link_parent": HandIn(_link_parent, LINK, "a subfolder links to the solutions"),
    "link_relative": HandIn(_link_relative, LINK, "a relative link out of SUBMISSIONS"),
    "link_nbgrader": HandIn(_link_nbgrader, LINK, "nbgrader's assignment folder is a link"),
    "loose_link": HandIn(_loose_link, LINK, "a loose file in the root links to the solutions"),
    "link_mixed": HandIn(
        _link_mixed,
        Expect("partial", zero_parts=("part1",), full_parts=("part2",), notice="symbolic link"),
        "one real notebook, one link",
    ),
    "fifo": HandIn(
        _fifo,
        Expect("partial", zero_parts=("part1",), full_parts=("part2",), notice="not a regular"),
        "Part 1 is a FIFO (blocks a reader forever)",
    ),
    "fifo_loose": HandIn(
        _fifo_loose,
        Expect("not_gradable", ("not a regular file",), zero_parts=("part1", "part2")),
        "a FIFO in the root",
    ),
    "deep_json": HandIn(
        _deep_json,
        Expect("partial", zero_parts=("part1",), full_parts=("part2",)),
        "JSON nested 100,000 deep (RecursionError: exit 1 before)",
    ),
    "json_bomb": HandIn(
        _json_bomb,
        Expect("not_gradable", ("JSON values",), zero_parts=("part1", "part2")),
        "a million small JSON objects",
    ),
    "ipython_flood": HandIn(
        _ipython_flood,
        Expect("partial", zero_parts=("part1",), full_parts=("part2",)),
        "ten 25 KB cells of ! escapes (35-80 s of CPU each before)",
    ),
    "dense_cell": HandIn(
        _dense_cell,
        Expect("partial", zero_parts=("part1",), full_parts=("part2",)),
        "a 4.5 MB cell (~3 GB in ast.parse before)",
    ),
    "code_cap": HandIn(
        _code_cap,
        Expect("partial", zero_parts=("part1",), full_parts=("part2",)),
        "cells under the cell cap, over the submission's code cap",
    ),
    "parse_bombs": HandIn(
        _parse_bombs,
        Expect("partial", zero_parts=("part1",), full_parts=("part2",)),
        "cells that make ast.parse raise MemoryError, RecursionError, ValueError",
    ),
    "name_forge": HandIn(
        _name_forge,
        Expect("partial", zero_parts=("part1",), full_parts=("part2",)),
        "a file name with newlines, a forged log line and terminal escapes",
    ),
    "[31mforged honest_b: 0 points, 0.00 s, ok": HandIn(
        _folder_forge,
        Expect("ok", full_parts=("part1", "part2")),
        "a folder name with escapes and a forged line",
        raw_name=FOLDER_FORGE,
    ),
    "honest_a~2": HandIn(
        _collide, Expect("ok", zero_parts=()), "a folder that cleans to honest_a's id", raw_name="\x1bhonest_a"
    ),
    "=1+2": HandIn(_formula("=1+2"), Expect("ok", full_parts=("part1", "part2")), "a formula id"),
    "@SUM(A1)": HandIn(_formula("@SUM(A1)"), Expect("ok", full_parts=("part1", "part2")), "a formula id"),
    "-2+3": HandIn(_formula("-2+3"), Expect("ok", full_parts=("part1", "part2")), "a formula id"),
    "alice": HandIn(
        _alice_and_loose_files,
        Expect("ok", full_parts=("part1", "part2"), notice="lay loose"),
        "files named alice_... dropped in the root beside alice's folder",
    ),
    "copies": HandIn(
        _copies,
        Expect("ok", full_parts=("part2",), notice="not graded"),
        "an older good Part 1 and a newer broken 'X (1)' copy",
    ),
    "py_handin": HandIn(
        _py_handin,
        Expect("not_gradable", ("Python script", "Download .ipynb"), zero_parts=("part1", "part2")),
        "a .py and an .html",
    ),
    "pdf_renamed": HandIn(
        _pdf_renamed, Expect("partial", zero_parts=("part1",), full_parts=("part2",)), "a PDF renamed to .ipynb"
    ),
}
