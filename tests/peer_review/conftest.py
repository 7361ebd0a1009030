import shutil

import pytest

from peer_review import assign

from pr_helpers import write_class, write_grades, write_solutions

STUDENTS = ["alice", "bob", "carol", "dave", "erin"]


@pytest.fixture(scope="session")
def _assigned(tmp_path_factory):
    root = tmp_path_factory.mktemp("pr")
    subs = write_class(root / "subs", STUDENTS)
    (subs / "frank").mkdir()  # handed in nothing: takes no part
    write_grades(root / "grades.csv", [*STUDENTS, "frank"])
    assign.run(subs, root / "out", reviews=2, seed=7, grades=root / "grades.csv",
               solutions=write_solutions(root / "sol"))
    return root


@pytest.fixture
def assigned(_assigned, tmp_path):
    """A fresh copy of an assigned 5-student class: (root, out dir)."""
    root = tmp_path / "class"
    shutil.copytree(_assigned, root)
    return root, root / "out"
