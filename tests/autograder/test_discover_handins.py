"""discover() on hand-ins a student shaped: links, pipes, loose files, names, copies, look-alikes.

Containment here: discover never follows a link or opens a special file,
never merges a loose file into another student's folder, gives every student
one clean, unique id, grades exactly one copy of each part (and says which),
and says what a student should have handed in instead.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from pipeline_helpers import PART1, PART2, notebook

from autograder.discover import MAX_NOTEBOOKS, choose_copy, discover
from autograder.file_walk import MAX_WALK_DEPTH, MAX_WALK_ENTRIES
from autograder.handin_names import loose_owner, read_name, strip_copies
from autograder.student_ids import assign_ids, clean_id
from course.config import load_config

CFG = load_config()
P1, P2 = CFG.notebooks["part1"], CFG.notebooks["part2"]
SOLUTIONS = CFG.solution_notebook("part1").parent


def by_id(root) -> dict:
    return {s.student_id: s for s in discover(root)}


def names(sub) -> list[str]:
    return [p.name for p in sub.notebooks]


def touch(path: Path, when: float) -> Path:
    os.utime(path, (when, when))
    return path


# ---------------------------------------------------------------- links


def test_linked_notebooks_folders_and_parents_are_never_followed(tmp_path):
    subs = tmp_path / "subs"
    (subs / "files").mkdir(parents=True)
    for name in (P1, P2):
        (subs / "files" / name).symlink_to(SOLUTIONS / name)
    (subs / "folder").symlink_to(SOLUTIONS, target_is_directory=True)
    (subs / "parent").mkdir()
    (subs / "parent" / "work").symlink_to(SOLUTIONS, target_is_directory=True)
    (subs / "nbgrader").mkdir()
    (subs / "nbgrader" / CFG.assignment_id).symlink_to(SOLUTIONS, target_is_directory=True)
    (subs / "relative").mkdir()
    (subs / "relative" / P1).symlink_to(os.path.relpath(SOLUTIONS / P1, subs / "relative"))
    (subs / f"loose_{P1}").symlink_to(SOLUTIONS / P1)
    subs_found = by_id(subs)
    assert set(subs_found) == {"files", "folder", "parent", "nbgrader", "relative", "loose"}
    for sid, sub in subs_found.items():
        assert sub.notebooks == [], sid
        assert "symbolic link" in sub.problem and sub.problem.isprintable(), (sid, sub.problem)
    assert subs_found["folder"].problem.startswith("the folder handed in (folder) is a symbolic link")
    assert subs_found["files"].problem.startswith("no notebook could be read in files/")


def test_a_link_beside_real_notebooks_is_a_notice(tmp_path):
    notebook(tmp_path / "alice" / P2, PART2)
    (tmp_path / "alice" / P1).symlink_to(SOLUTIONS / P1)
    alice = by_id(tmp_path)["alice"]
    assert names(alice) == [P2] and alice.problem is None
    assert any(P1 in n and "symbolic link" in n for n in alice.notices)


def test_pipes_and_sockets_named_like_notebooks_are_listed_not_opened(tmp_path):
    notebook(tmp_path / "bob" / P2, PART2)
    os.mkfifo(tmp_path / "bob" / P1)
    os.mkfifo(tmp_path / f"carol_{P1}")
    found = by_id(tmp_path)  # would block forever if a pipe were opened
    assert names(found["bob"]) == [P2] and any("not a regular file" in n for n in found["bob"].notices)
    assert found["carol"].notebooks == [] and "not a regular file" in found["carol"].problem


def test_walk_is_bounded_in_entries_and_depth(tmp_path):
    deep = tmp_path / "deep"
    for _ in range(MAX_WALK_DEPTH + 3):
        deep = deep / "d"
    notebook(deep / P1, PART1)
    wide = tmp_path / "wide"
    wide.mkdir()
    for i in range(MAX_WALK_ENTRIES + 10):
        (wide / f"f{i:05d}.txt").touch()
    found = by_id(tmp_path)
    for sid in ("deep", "wide"):
        assert found[sid].notebooks == [] and "too many files or folders" in found[sid].problem


# ---------------------------------------------------------- loose files


def test_a_loose_file_never_replaces_a_students_own_folder(tmp_path):
    notebook(tmp_path / "alice" / P1, PART1)
    notebook(tmp_path / "alice" / P2, PART2)
    for name in (f"alice_{P2}", f"ALICE - {P2[:-6]} (1).ipynb", f"alice\x1b_{P2}"):
        notebook(tmp_path / name, "def affine_forward(x, w, b):\n    return 0, None\n")
    notebook(tmp_path / f"dan_{P1}", PART1)
    found = by_id(tmp_path)
    assert set(found) == {"alice", "dan"}
    alice = found["alice"]
    assert [p.parent.name for p in alice.notebooks] == ["alice", "alice"]
    assert len([n for n in alice.notices if "lay loose in the submissions folder" in n]) == 3
    assert len([line for line in alice.log if "not merged, not graded" in line]) == 3
    assert all(n.isprintable() for n in alice.notices + alice.log)
    assert names(found["dan"]) == [f"dan_{P1}"]


def test_loose_files_group_by_owner_with_browser_decorations(tmp_path):
    notebook(tmp_path / f"erin_{P1[:-6]} (1).ipynb", PART1)
    notebook(tmp_path / f"Copy of erin_{P2}", PART2)
    notebook(tmp_path / "frank.ipynb", PART1)
    (tmp_path / f"gina_{P1[:-6]}.py").write_text("# a script\n")
    (tmp_path / "notes.pdf").write_bytes(b"%PDF-1.4")  # the instructor's, nobody's hand-in
    found = by_id(tmp_path)
    assert set(found) == {"erin", "frank", "gina"}
    assert sorted(names(found["erin"])) == sorted([f"erin_{P1[:-6]} (1).ipynb", f"Copy of erin_{P2}"])
    assert "Python script" in found["gina"].problem and "Download .ipynb" in found["gina"].problem


# ------------------------------------------------------------------ ids


@pytest.mark.parametrize(
    "raw, shown",
    [
        ("alice", "alice"),
        ("evil\x1b[2J\nalice: 15 points, ok", "evil [2J alice: 15 points, ok"),
        ('=HYPERLINK("http://x","y")', '=HYPERLINK("http:__x","y")'),  # csv_cell neutralises it in CSVs
        ("'=1+1", "=1+1"),
        ("a\\b", "a_b"),
        ("..", "unnamed"),
        ("\u202eevil", "evil"),
        ("é" * 200, "é" * 75),
    ],
)
def test_clean_ids(raw, shown):
    assert clean_id(raw) == shown
    assert clean_id(shown) == shown  # a clean id stays as it is


def test_ids_that_collapse_never_share_a_row_and_the_clean_one_keeps_its_id():
    ids = assign_ids(["\x1balice", "alice", "alice\n", "bob", "Bob"])
    assert ids["alice"] == "alice" and ids["Bob"] == "Bob"  # clean names first, then sorted order
    assert ids["bob"] == "bob~2"  # one folder per id even on a case-insensitive disk
    assert len(set(map(str.casefold, ids.values()))) == 5
    assert ids["\x1balice"].startswith("alice~") and ids["alice\n"].startswith("alice~")


def test_loose_files_named_like_another_student_but_for_case_are_flagged_for_both(tmp_path):
    """Which of "ALICE_..." and "alice_..." gets the plain id is only the sort order: someone
    may pose as alice, so both hand-ins' logs name the other for the instructor to check."""
    notebook(tmp_path / f"alice_{P1}", PART1)
    notebook(tmp_path / f"ALICE_{P1}", PART1)
    notebook(tmp_path / "bob" / P1, PART1)
    found = by_id(tmp_path)
    assert set(found) == {"ALICE", "alice~2", "bob"}
    for sid, other in (("ALICE", "'alice~2'"), ("alice~2", "'ALICE'")):
        assert any(line.startswith("id check:") and other in line for line in found[sid].log), found[sid].log
    assert not any(line.startswith("id check:") for line in found["bob"].log)


def test_student_folders_with_control_characters(tmp_path):
    notebook(tmp_path / "alice" / P1, PART1)
    notebook(tmp_path / "\x1balice" / P1, PART1)
    notebook(tmp_path / "x\ny\rz\x07" / P1, PART1)
    found = by_id(tmp_path)
    assert set(found) == {"alice", "alice~2", "x y z"}
    assert found["alice"].folder.name == "alice"
    assert any("shown as student id 'alice~2'" in line for line in found["alice~2"].log)


# --------------------------------------------------------------- copies


@pytest.mark.parametrize(
    "name, stem, generation",
    [
        (P1, P1[:-6], 0),
        (f"{P1[:-6]} (1).ipynb", P1[:-6], 1),
        (f"{P1[:-6]}(3).ipynb", P1[:-6], 3),
        (f"Copy of {P1}", P1[:-6], 1),
        (f"Copy of {P1[:-6]} (2).ipynb", P1[:-6], 3),
        (f"{P1[:-6]}-Copy1.ipynb", P1[:-6], 1),
        (f"{P1[:-6]} - Copy (2).ipynb", P1[:-6], 2),
        (f"{P1[:-6]} copy 2.ipynb", P1[:-6], 2),
    ],
)
def test_browser_and_file_manager_decorations(name, stem, generation):
    assert strip_copies(name[:-6]) == (stem, generation)
    assert read_name(name, CFG.notebooks).part == "part1"


def test_names_say_parts():
    parts = CFG.notebooks
    assert read_name("Part 2.ipynb", parts).part == "part2"
    assert read_name("part12_other.ipynb", parts).part is None
    assert read_name("homework.ipynb", parts).part is None
    assert loose_owner(f"s123 {P2}", parts) == "s123"
    assert read_name(f"{P1}.json", parts).part == "part1"


def test_the_newer_copy_is_graded_and_the_student_is_told(tmp_path):
    folder = tmp_path / "ann"
    old = touch(notebook(folder / P1, PART1), time.time() - 3600)
    new = touch(notebook(folder / f"{P1[:-6]} (1).ipynb", PART1), time.time())
    touch(notebook(folder / P2, PART2), time.time())
    ann = by_id(tmp_path)["ann"]
    assert ann.notebooks == [new, folder / P2]
    [notice] = ann.notices
    assert f"graded '{new.name}'" in notice and f"not graded: '{old.name}'" in notice and "most recently" in notice
    touch(old, time.time() + 60)  # now the plain name is newer
    assert by_id(tmp_path)["ann"].notebooks[0] == old


def test_on_equal_times_the_later_download_name_wins(tmp_path):
    when = time.time()
    paths = [
        touch(notebook(tmp_path / n, PART1), when)
        for n in (P1, f"Copy of {P1}", f"{P1[:-6]} (1).ipynb", f"{P1[:-6]} (2).ipynb")
    ]
    assert choose_copy(paths, CFG.notebooks) == paths[3]
    assert choose_copy(paths[:2], CFG.notebooks) == paths[1]
    assert choose_copy(list(reversed(paths[:3])), CFG.notebooks) == paths[2]


def test_a_notebook_named_for_no_part_competes_by_what_it_defines(tmp_path):
    folder = tmp_path / "ben"
    touch(notebook(folder / P1, PART1), time.time() - 3600)
    hw = touch(notebook(folder / "homework.ipynb", PART1), time.time())
    both = touch(notebook(folder / "everything.ipynb", PART1 + PART2), time.time())
    scratch = notebook(folder / "scratch.ipynb", "x = 1\n")
    ben = by_id(tmp_path)["ben"]
    assert ben.notebooks == [both, scratch, hw]  # no single part first, then the chosen copy (last wins)
    assert any("homework.ipynb" in n and P1 in n for n in ben.notices)


def test_a_lone_unnamed_notebook_is_not_read_by_discover(tmp_path):
    (tmp_path / "cy").mkdir()
    os.mkfifo(tmp_path / "cy" / "x.ipynb")  # opening it would block: one notebook needs no choosing
    notebook(tmp_path / "cy" / "hw.ipynb", PART1)
    assert names(by_id(tmp_path)["cy"]) == ["hw.ipynb"]


def test_too_many_notebooks(tmp_path):
    for i in range(MAX_NOTEBOOKS + 1):
        notebook(tmp_path / "dee" / f"n{i}.ipynb", "x = 1\n")
    dee = by_id(tmp_path)["dee"]
    assert dee.notebooks == [] and "more than" in dee.problem


# ----------------------------------------------------------- look-alikes


@pytest.mark.parametrize(
    "name, kind",
    [
        (P1[:-6] + ".py", "a Python script"),
        (P1[:-6] + ".html", "an HTML page"),
        (P1[:-6] + ".pdf", "a PDF"),
        ("homework.zip", "a zip archive"),
    ],
)
def test_a_script_page_or_pdf_says_what_to_download(tmp_path, name, kind):
    (tmp_path / "eve").mkdir()
    (tmp_path / "eve" / name).write_text("x")
    eve = by_id(tmp_path)["eve"]
    assert eve.notebooks == [] and eve.problem.startswith("no .ipynb found in eve/")
    assert kind in eve.problem and "File -> Download -> Download .ipynb" in eve.problem


def test_a_script_beside_a_notebook_is_a_notice(tmp_path):
    notebook(tmp_path / "fay" / P1, PART1)
    (tmp_path / "fay" / (P2[:-6] + ".py")).write_text("x = 1\n")
    fay = by_id(tmp_path)["fay"]
    assert names(fay) == [P1] and any("Python script" in n for n in fay.notices)
