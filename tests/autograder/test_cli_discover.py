"""Which notebooks belong to whom: flat, nbgrader and loose-file layouts."""

from __future__ import annotations

import pytest
from pipeline_helpers import PART1, notebook

from autograder.discover import DiscoveryError, discover
from autograder.handin_names import loose_owner
from course.config import load_config

AID = load_config().assignment_id


def ids_and_names(root):
    return {s.student_id: sorted(p.name for p in s.notebooks) for s in discover(root)}


def test_flat_layout_ignores_checkpoints_and_litter(tmp_path):
    notebook(tmp_path / "alice" / "part1.ipynb", PART1)
    notebook(tmp_path / "alice" / "sub" / "part2.ipynb", PART1)
    notebook(tmp_path / "alice" / ".ipynb_checkpoints" / "part1-checkpoint.ipynb", PART1)
    notebook(tmp_path / "alice" / "._part1.ipynb", PART1)
    notebook(tmp_path / ".hidden" / "x.ipynb", PART1)
    notebook(tmp_path / "__MACOSX" / "x.ipynb", PART1)
    assert ids_and_names(tmp_path) == {"alice": ["part1.ipynb", "part2.ipynb"]}


@pytest.mark.parametrize("point_at", ["course root", "submitted"])
def test_nbgrader_layout(tmp_path, point_at):
    course = tmp_path / "course"
    notebook(course / "source" / AID / "part1.ipynb", PART1)  # the instructor's copy is not a student
    notebook(course / "submitted" / "bob" / AID / "part1.ipynb", PART1)
    notebook(course / "submitted" / "bob" / "older_homework" / "hw0.ipynb", PART1)
    notebook(course / "submitted" / "cy" / AID / "part2.ipynb", PART1)
    root = course if point_at == "course root" else course / "submitted"
    assert ids_and_names(root) == {"bob": ["part1.ipynb"], "cy": ["part2.ipynb"]}


def test_student_folder_without_notebook_is_a_not_gradable_submission(tmp_path):
    (tmp_path / "dave").mkdir()
    (tmp_path / "dave" / "part1.py").write_text("x = 1\n")
    [sub] = discover(tmp_path)
    assert sub.notebooks == [] and sub.problem.startswith("no .ipynb found in dave/")


def test_loose_notebooks_are_grouped_by_student(tmp_path):
    parts = [v.removesuffix(".ipynb") for v in load_config().notebooks.values()]
    notebook(tmp_path / f"alice_{parts[0]}.ipynb", PART1)
    notebook(tmp_path / f"alice - {parts[1]}.ipynb", PART1)
    notebook(tmp_path / "bob.ipynb", PART1)
    notebook(tmp_path / "carol" / "hw.ipynb", PART1)
    (tmp_path / "notes.txt").write_text("not a submission")
    assert ids_and_names(tmp_path) == {
        "alice": sorted([f"alice_{parts[0]}.ipynb", f"alice - {parts[1]}.ipynb"]),
        "bob": ["bob.ipynb"],
        "carol": ["hw.ipynb"],
    }
    assert loose_owner(f"{parts[0]}.ipynb", load_config().notebooks) == parts[0]


def test_bad_paths_name_the_path(tmp_path):
    with pytest.raises(DiscoveryError, match="does not exist"):
        discover(tmp_path / "nope")
    (tmp_path / "file.ipynb").write_text("{}")
    with pytest.raises(DiscoveryError, match="is a file"):
        discover(tmp_path / "file.ipynb")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DiscoveryError, match="holds no student folder"):
        discover(tmp_path / "empty")
