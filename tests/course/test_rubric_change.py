"""Changing an item's points in rubric.toml and running `make rubric` keeps the suite green:
every total the tests check is derived from the rubric, not written in them.

The kit is copied (its git-tracked files), one autograder item is given one more point
(and [scale] max_raw with it, as rubric.toml asks), `make rubric` regenerates
grading_rubric.md there, and the tests that check totals, rescaling, gradebooks and
exports run on that copy."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from course.config import REPO_ROOT
from course.rubric import load_rubric

pytestmark = pytest.mark.slow
TOTALS_TESTS = [
    "tests/course/test_contract.py",
    "tests/autograder/test_report.py",
    "tests/autograder/test_cli.py",
    "tests/autograder/test_cli_config_errors.py",
    "tests/peer_review/test_pr_grading.py",
    "tests/peer_review/test_pr_rubric_md.py",
    "tests/peer_review/test_pr_late_and_lms.py",
    "tests/peer_review/test_pr_roundtrip.py",
]


def copy_kit(dest: Path) -> Path:
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=REPO_ROOT, capture_output=True, check=True).stdout
    for rel in filter(None, tracked.decode().split("\0")):
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if (REPO_ROOT / rel).is_file():
            shutil.copy2(REPO_ROOT / rel, target)
    return dest


def one_more_point(rubric_toml: Path, item_id: str) -> None:
    text = rubric_toml.read_text()
    rubric = load_rubric()
    old = rubric.auto_item(item_id).points
    block = re.search(rf'id = "{re.escape(item_id)}"\n(?:.*\n)*?points = {old:g}\n', text)
    assert block, item_id
    text = (
        text[: block.start()]
        + block.group(0).replace(f"points = {old:g}", f"points = {old + 1:g}")
        + text[block.end() :]
    )
    text = text.replace(f"max_raw = {rubric.max_raw:g}", f"max_raw = {rubric.max_raw + 1:g}")
    rubric_toml.write_text(text)


def test_more_points_for_an_item_keeps_the_totals_tests_green(tmp_path):
    kit = copy_kit(tmp_path / "kit")
    item = load_rubric().auto[0].id
    one_more_point(kit / "course" / "rubric.toml", item)
    venv = Path(sys.executable).parent.parent
    before = (kit / "grading_rubric.md").read_text()
    # The copy's own install stamp, newer than its pyproject.toml: make must not reinstall the
    # kit into the shared venv (an editable install pointing at this temporary copy would
    # then serve every later import, in this run and after it)
    stamp = kit / ".installed-stamp"
    stamp.touch()
    make = ["make", "--no-print-directory", "rubric", f"VENV={venv}", f"STAMP={stamp}"]
    subprocess.run(make, cwd=kit, check=True, capture_output=True)
    assert (kit / "grading_rubric.md").read_text() != before  # make rubric did regenerate it
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    probe = subprocess.run(
        [sys.executable, "-c", "import course.rubric as r; print(r.load_rubric().max_raw, r.__file__)"],
        cwd=kit,
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout.split()
    assert float(probe[0]) == load_rubric().max_raw + 1 and probe[1].startswith(str(kit))  # the copy is tested
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *TOTALS_TESTS],
        cwd=kit,
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout[-4000:]
