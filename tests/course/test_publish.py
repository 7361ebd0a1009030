"""`make publish DEST`: the student repository gets the release notebooks and a student README
with the Colab links, nothing else; anything hidden in a notebook stops it before a file is written."""

from __future__ import annotations

import shutil
import subprocess

import nbformat
import pytest

from autograder.platforms import publish
from course.config import ASSIGNMENTS_DIR, REPO_ROOT, load_config

CFG = load_config()


@pytest.fixture()
def release(tmp_path):
    root = tmp_path / "release"
    shutil.copytree(ASSIGNMENTS_DIR, root)
    return root


def files(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_publishes_exactly_the_notebooks_and_a_readme_with_colab_links(tmp_path):
    dest = tmp_path / "public"
    done = subprocess.run(
        ["make", "--no-print-directory", "publish", f"DEST={dest}"], cwd=REPO_ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert files(dest) == [
        "README.md",
        *(f"assignments/{CFG.assignment_id}/{n}" for n in sorted(CFG.notebooks.values())),
    ]
    readme = (dest / "README.md").read_text()
    assert all(CFG.colab_url(p) in readme for p in CFG.notebooks)
    for part, name in CFG.notebooks.items():
        assert (dest / "assignments" / CFG.assignment_id / name).read_bytes() == CFG.release_notebook(part).read_bytes()


def test_an_earlier_publish_is_updated_and_its_git_kept(tmp_path, release):
    dest = tmp_path / "public"
    publish.publish(dest, release)
    (dest / ".git").mkdir()
    (dest / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (dest / "assignments" / CFG.assignment_id / "old_name.ipynb").write_text("{}")
    publish.publish(dest, release)
    assert (dest / ".git" / "HEAD").exists() and not (
        dest / "assignments" / CFG.assignment_id / "old_name.ipynb"
    ).exists()


def _edit(release, part, source):
    path = CFG.release_notebook(part, release)
    nb = nbformat.read(str(path), as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(source))
    nbformat.write(nb, str(path))


def _solution_line(part):
    from course.release import solution_lines

    nb = nbformat.read(str(CFG.solution_notebook(part)), as_version=4)
    return max(solution_lines(nb), key=len)


def _reference_answer():
    from peer_review.answers import reference_answers

    return max(reference_answers(list(CFG.solution_notebooks().values())).values(), key=len)


def _hidden_test_lines():
    text = (REPO_ROOT / "autograder" / "hidden_tests" / "test_p1_softmax.py").read_text()
    body = [ln for ln in text.splitlines() if ln.strip() and not ln.strip().startswith("#")]
    return "\n".join(body[10:16])


@pytest.mark.parametrize(
    "leak, words",
    [
        (lambda: _solution_line("part1"), "solution line"),
        (lambda: "### BEGIN SOLUTION\nx = 1\n### END SOLUTION", "marker"),
        (lambda: _reference_answer(), "reference answer to inline question"),
        (lambda: _hidden_test_lines(), "hidden-test lines"),
    ],
)
def test_refuses_anything_hidden(tmp_path, release, leak, words):
    _edit(release, "part1", leak())
    with pytest.raises(publish.PublishError, match=words):
        publish.publish(tmp_path / "public", release)
    assert not (tmp_path / "public").exists()


def test_refuses_a_dest_with_other_files_or_inside_the_kit(tmp_path, release, capsys):
    dest = tmp_path / "public"
    dest.mkdir()
    (dest / "solutions").mkdir()
    assert publish.main([str(dest), "--release", str(release)]) == 2
    assert "solutions" in capsys.readouterr().err
    with pytest.raises(publish.PublishError, match="inside the private kit"):
        publish.publish(REPO_ROOT / "build" / "public", release)
