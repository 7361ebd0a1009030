"""The student release is exactly what nbgrader makes from solutions/ today."""

import json

import nbformat
import pytest

from course.config import ASSIGNMENTS_DIR, load_config
from course.contract import CONTRACT
from course.notebook_data import KNOWN_ANSWERS
from course.release import check_release, generate, missing_regions, stubbed_functions
from course.sync_notebooks import synced

CFG = load_config()
PARTS = list(CFG.notebooks)


@pytest.fixture(scope="module")
def fresh_release(tmp_path_factory):
    out = tmp_path_factory.mktemp("release")
    generate(out)
    return out


@pytest.mark.parametrize("part", PARTS)
def test_assignments_equal_fresh_generation(fresh_release, part):
    committed = CFG.release_notebook(part)
    generated = fresh_release / CFG.assignment_id / CFG.notebooks[part]
    assert json.loads(committed.read_text()) == json.loads(generated.read_text()), (
        f"{committed} differs from what `make release` generates from solutions/ today; run `make release`"
    )


def test_release_folder_has_exactly_the_configured_notebooks():
    found = sorted(p.name for p in (ASSIGNMENTS_DIR / CFG.assignment_id).glob("*.ipynb"))
    assert found == sorted(CFG.notebooks.values())


def test_no_solution_line_leaks_and_every_contract_name_has_a_region():
    assert check_release(ASSIGNMENTS_DIR) == []


# Methods students write (LinearSoftmax.loss is one line the contract fixes,
# TwoLayerNet.__init__ is given: both may be provided code).
STUDENT_METHODS = {"LinearSoftmax": {"train", "predict"}, "TwoLayerNet": {"loss", "train", "predict"}}


@pytest.mark.parametrize("part", PARTS)
def test_every_contract_function_and_method_is_stubbed(part):
    release = nbformat.read(CFG.release_notebook(part), as_version=4)
    stubbed = stubbed_functions(release)
    assert missing_regions(release, part) == []
    for name, spec in CONTRACT[part].items():
        wanted = {f"{name}.{m}" for m in STUDENT_METHODS[name]} if "methods" in spec else {name}
        assert wanted <= stubbed, f"{part}: no stubbed region in {sorted(wanted - stubbed)}"


@pytest.mark.parametrize("part", PARTS)
def test_solution_notebooks_are_synced_with_course_sources(part):
    path = CFG.solution_notebook(part)
    nb = nbformat.read(path, as_version=4)
    assert not synced(nb, str(path), part, KNOWN_ANSWERS), (
        f"{path.name}: run `make notebooks` (helper cell or answer metadata stale)"
    )


@pytest.mark.parametrize("part", PARTS)
def test_solution_notebooks_have_no_outputs(part):
    nb = nbformat.read(CFG.solution_notebook(part), as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")


def test_readme_colab_links_are_built_from_the_configured_repository():
    from course.readme_links import links_block, updated

    readme = (ASSIGNMENTS_DIR.parent / "README.md").read_text()
    assert updated(readme) == readme, "README.md's Colab links are stale: run `make readme`"
    for part, name in CFG.notebooks.items():
        url = CFG.colab_url(part)
        assert url in links_block()
        assert url.startswith("https://colab.research.google.com/github/")
        assert url.endswith(f"/blob/{CFG.branch}/assignments/{CFG.assignment_id}/{name}")
