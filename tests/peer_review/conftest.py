import shutil

import pytest
from pr_helpers import write_class, write_grades, write_solutions

from peer_review import assign

STUDENTS = ["alice", "bob", "carol", "dave", "erin"]


@pytest.fixture(scope="session")
def _assigned(tmp_path_factory):
    root = tmp_path_factory.mktemp("pr")
    subs = write_class(root / "subs", STUDENTS)
    (subs / "frank").mkdir()  # handed in nothing: takes no part
    write_grades(root / "grades.csv", [*STUDENTS, "frank"])
    assign.run(
        subs, root / "out", reviews=2, seed=7, grades=root / "grades.csv", solutions=write_solutions(root / "sol")
    )
    return root


@pytest.fixture
def assigned(_assigned, tmp_path):
    """A fresh copy of an assigned 5-student class: (root, out dir)."""
    root = tmp_path / "class"
    shutil.copytree(_assigned, root)
    return root, root / "out"


@pytest.fixture(scope="module")
def _chromium():
    """Headless Debian Chromium for one test module, or the reason there is none."""
    from pr_browser import launch, why_no_browser

    reason = why_no_browser()
    if reason:
        yield reason
        return
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def browser(request, _chromium):
    """The module's browser; without one the test is skipped by name (failed when CI requires it)."""
    from pr_browser import unavailable

    if isinstance(_chromium, str):
        unavailable(request.node.name, _chromium)
    return _chromium
