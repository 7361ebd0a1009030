"""Gradescope and nbgrader on the bundled examples, with the real grader.

`autograde` grades examples/submissions/ once; then
  - the Gradescope bundle's run_autograder runs in a simulated /autograder (a temporary
    root, AUTOGRADER_ROOT) on each example, its notebooks uploaded under other names:
    results.json is valid against Gradescope's schema and its scores equal autograde's;
  - the same OUT is written into an nbgrader gradebook, and the real `nbgrader export`
    shows the kit's totals for three students.
setup.sh never runs here (it needs the network): what it would install is checked instead.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from pipeline_helpers import gradescope_problems

from autograder import cli
from autograder.platforms import gradescope
from course.config import EXAMPLES_DIR, REPO_ROOT
from course.rubric import load_rubric

pytestmark = pytest.mark.slow
EXAMPLES = sorted(p.name for p in EXAMPLES_DIR.iterdir() if p.is_dir())


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("examples")
    assert cli.main([str(EXAMPLES_DIR), "--out", str(root / "out"), "--jobs", "2"]) == cli.EXIT_OK
    with open(root / "out" / "grades.csv", newline="") as f:
        return root / "out", {r["student_id"]: r for r in csv.DictReader(f)}


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    path = tmp_path_factory.mktemp("bundle") / "autograder.zip"
    assert cli.main(["gradescope-bundle", "--out", str(path)]) == cli.EXIT_OK
    return path


def test_bundle_holds_the_scripts_the_hidden_tests_and_the_reference(bundle):
    with zipfile.ZipFile(bundle) as zf:
        names = set(zf.namelist())
        modes = {i.filename: (i.external_attr >> 16) & 0o777 for i in zf.infolist()}
    assert {"setup.sh", "run_autograder", "requirements.txt", "pyproject.toml"} <= names
    assert modes["setup.sh"] & 0o111 and modes["run_autograder"] & 0o111
    assert "autograder/hidden_tests/test_p1_softmax.py" in names
    assert "solutions/nn_from_scratch/part1_linear_softmax.ipynb" in names
    assert not [n for n in names if "__pycache__" in n or n.startswith(("examples/", "tests/", "peer_review/"))]


def test_setup_installs_exactly_the_pins_of_pyproject(bundle, tmp_path):
    with zipfile.ZipFile(bundle) as zf:
        setup = zf.read("setup.sh").decode()
        wanted = zf.read("requirements.txt").decode().split()
    pins = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert wanted == pins and all("==" in p for p in pins)
    assert '-r "$SOURCE/requirements.txt"' in setup and "==" not in setup  # one place for versions
    (tmp_path / "setup.sh").write_text(setup)
    assert subprocess.run(["bash", "-n", str(tmp_path / "setup.sh")]).returncode == 0  # parses; never run here
    assert "3, 11" in setup  # the kit's minimum Python, found or installed


def _run_bundle(bundle: Path, root: Path, example: str) -> dict:
    """Unpack the bundle into root/source, upload the example's notebooks under new names, run it."""
    with zipfile.ZipFile(bundle) as zf:
        zf.extractall(root / "source")
    upload = root / "submission"
    upload.mkdir(parents=True)
    for n, nb in enumerate(sorted((EXAMPLES_DIR / example).glob("*.ipynb"))):
        shutil.copyfile(nb, upload / f"my upload {n}.ipynb")  # any name: one hand-in
    (root / "submission_metadata.json").write_text(
        json.dumps(
            {
                "users": [{"email": f"{example}@uni.example", "id": 7, "name": "A B"}],
                "created_at": "2026-12-01T10:00:00+00:00",
            }
        )
    )
    env = {**os.environ, gradescope.ROOT_ENV: str(root), gradescope.PYTHON_ENV: sys.executable}
    done = subprocess.run(
        ["bash", str(root / "source" / "run_autograder")], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads((root / "results" / "results.json").read_text())


def test_run_autograder_scores_equal_autogrades(graded, bundle, tmp_path):
    _, rows = graded
    with ThreadPoolExecutor(2) as pool:
        docs = dict(zip(EXAMPLES, pool.map(lambda e: _run_bundle(bundle, tmp_path / e / "autograder", e), EXAMPLES)))
    for example, doc in docs.items():
        assert gradescope_problems(doc) == [], (example, gradescope_problems(doc))
        assert doc["score"] == pytest.approx(float(rows[example]["total"]), abs=1e-6), example
        by_item = {t["extra_data"]["item"]: t["score"] for t in doc["tests"]}
        for item in load_rubric().auto:
            assert by_item[item.id] == pytest.approx(float(rows[example][item.id] or 0), abs=1e-3), (example, item.id)
    assert docs["complete"]["score"] == load_rubric().auto_max


def test_visibility_comes_from_the_rubric(monkeypatch):
    from dataclasses import replace

    from course import rubric as rubric_module

    real = rubric_module.load_rubric()
    hidden = replace(
        real,
        auto=tuple(replace(a, visibility="after_published" if i % 2 else "hidden") for i, a in enumerate(real.auto)),
    )
    monkeypatch.setattr(gradescope, "load_rubric", lambda: hidden)
    doc = {"tests": [{"extra_data": {"item": a.id}, "visibility": "visible"} for a in real.auto]}
    assert [t["visibility"] for t in gradescope.with_visibility(doc)["tests"]] == [a.visibility for a in hidden.auto]


def test_a_broken_upload_still_gets_a_results_json(bundle, tmp_path):
    root = tmp_path / "autograder"
    with zipfile.ZipFile(bundle) as zf:
        zf.extractall(root / "source")
    (root / "submission").mkdir()
    (root / "submission" / "hw.pdf").write_bytes(b"%PDF-1.4")
    env = {**os.environ, gradescope.ROOT_ENV: str(root), gradescope.PYTHON_ENV: sys.executable}
    subprocess.run(
        ["bash", str(root / "source" / "run_autograder")], env=env, check=True, capture_output=True, timeout=300
    )
    doc = json.loads((root / "results" / "results.json").read_text())
    assert gradescope_problems(doc) == [] and doc["score"] == 0
    assert "PDF" in doc["output"] or "pdf" in doc["output"]


def test_nbgrader_export_shows_the_kits_totals(graded, tmp_path):
    out, rows = graded
    three = ["complete", "partial_bugs", "untouched"]
    subset = tmp_path / "out3"
    subset.mkdir()
    with open(out / "grades.csv", newline="") as f:
        reader = csv.DictReader(f)
        kept = [r for r in reader if r["student_id"] in three]
        header = reader.fieldnames
    with open(subset / "grades.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, header)
        writer.writeheader()
        writer.writerows(kept)
    db = tmp_path / "gradebook.db"
    assert cli.main(["nbgrader-export", str(subset), "--db", str(db)]) == cli.EXIT_OK
    assert cli.main(["nbgrader-export", str(subset), "--db", str(db)]) == cli.EXIT_OK  # twice: updated, not doubled
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "nbgrader",
            "export",
            f"--CourseDirectory.root={tmp_path}",
            f"--CourseDirectory.db_url=sqlite:///{db}",
            "--to=export.csv",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    with open(tmp_path / "export.csv", newline="") as f:
        exported = {r["student_id"]: r for r in csv.DictReader(f)}
    assert sorted(exported) == three
    for sid in three:
        assert float(exported[sid]["raw_score"]) == pytest.approx(float(rows[sid]["total"]), abs=1e-6), sid
        assert float(exported[sid]["max_score"]) == load_rubric().auto_max
    assert float(exported["complete"]["score"]) == load_rubric().auto_max > float(exported["untouched"]["score"])
