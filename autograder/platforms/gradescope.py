"""Gradescope: `autograde gradescope-bundle --out autograder.zip` and the bundle's run_autograder.

Gradescope's autograder specification (gradescope-autograders.readthedocs.io,
"Autograder Specifications"): a zip with `setup.sh` (run once, as root, when
Gradescope builds the Ubuntu image) and `run_autograder` at its root; the zip's
contents land in /autograder/source; each submission is put in
/autograder/submission and run_autograder must write /autograder/results/results.json.

The bundle holds the kit's grading code (course/, autograder/ with the hidden
tests), the reference solutions (solutions/<assignment>/), pyproject.toml and
requirements.txt, which is generated from pyproject.toml's dependencies (the one
place versions are pinned). setup.sh finds or installs a Python >= 3.11 and
installs exactly those pins into /autograder/venv.

run_autograder grades whatever the student uploaded as ONE hand-in (loose
notebooks with any names, folders too; discover.discover_handin), with the
same code as `autograde`, and writes results.json: report.gradescope_results
with each item's visibility from rubric.toml (`gradescope_visibility`). The
root /autograder and the Python can be moved with the environment variables
AUTOGRADER_ROOT and AUTOGRADER_PYTHON (the kit's tests run the bundle in a
temporary folder; Gradescope needs neither).
"""

from __future__ import annotations

import json
import os
import sys
import tomllib
import traceback
import zipfile
from pathlib import Path

from course.config import REPO_ROOT, load_config
from course.rubric import load_rubric
from course.safe_text import printable

ROOT_ENV, PYTHON_ENV = "AUTOGRADER_ROOT", "AUTOGRADER_PYTHON"
DEFAULT_ROOT = "/autograder"
MIN_PYTHON = (3, 11)
EXECUTABLE = 0o755
SOURCE_DIRS = {"course": (".py", ".toml"), "autograder": (".py", ".j2", ".ini")}
SKIPPED_DIRS = {"__pycache__", "ci"}  # autograder/ci: the GitHub workflow, not needed to grade
FAILED_OUTPUT = "The autograder could not grade this submission; your instructor has been told."


class BundleError(Exception):
    """The bundle cannot be written; the message names what is missing."""


# ----------------------------------------------------------------- bundle


def requirements(pyproject: Path = REPO_ROOT / "pyproject.toml") -> list[str]:
    """The pinned runtime dependencies, exactly as pyproject.toml lists them."""
    return list(tomllib.loads(Path(pyproject).read_text())["project"]["dependencies"])


SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image (Ubuntu).
# Written by `autograde gradescope-bundle`; the versions are in requirements.txt,
# generated from the kit's pyproject.toml.
set -euo pipefail
SOURCE=/autograder/source
PYTHON=""
for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(sys.version_info < ({major}, {minor}))'; then
        PYTHON="$(command -v "$candidate")"
        break
    fi
done
export DEBIAN_FRONTEND=noninteractive
apt-get update
if [ -z "$PYTHON" ]; then  # an older Ubuntu image: Python {major}.{minor} from the deadsnakes archive
    apt-get install -y software-properties-common
    add-apt-repository -y ppa:deadsnakes/ppa
    apt-get update
    apt-get install -y python{major}.{minor} python{major}.{minor}-venv
    PYTHON="$(command -v python{major}.{minor})"
fi
# Ubuntu ships venv apart from Python
"$PYTHON" -m venv --help >/dev/null 2>&1 || apt-get install -y "$(basename "$PYTHON")-venv"
"$PYTHON" -m venv /autograder/venv
/autograder/venv/bin/python -m pip install --upgrade pip
/autograder/venv/bin/python -m pip install -r "$SOURCE/requirements.txt"
""".format(major=MIN_PYTHON[0], minor=MIN_PYTHON[1])

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for every submission. It grades /autograder/submission (any
# notebook names: one hand-in) and writes /autograder/results/results.json.
# AUTOGRADER_ROOT / AUTOGRADER_PYTHON move it elsewhere (the kit's own tests only).
set -euo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
PYTHON="${AUTOGRADER_PYTHON:-/autograder/venv/bin/python}"
# One hand-in per throwaway container: when Gradescope's container (root, without user
# namespaces or Landlock) leaves the sandbox only its weakest mode, run it there anyway
# (autograder/sandbox/runtime.py, UNCONFINED_ROOT); there is no other student to protect.
export AUTOGRADE_ALLOW_UNCONFINED_ROOT=1
cd "$ROOT/source"
exec "$PYTHON" -m autograder.platforms.gradescope run
"""


def source_files(root: Path = REPO_ROOT) -> list[Path]:
    """The kit's files the bundle carries, relative to `root`."""
    files = [Path("pyproject.toml")]
    for top, suffixes in SOURCE_DIRS.items():
        for path in sorted((root / top).rglob("*")):
            rel = path.relative_to(root)
            if path.is_file() and path.suffix in suffixes and not SKIPPED_DIRS & set(rel.parts):
                files.append(rel)
    cfg = load_config()
    solutions = [Path("solutions") / cfg.assignment_id / name for name in cfg.notebooks.values()]
    missing = [str(p) for p in solutions + [Path("autograder/hidden_tests/plugin.py")] if not (root / p).is_file()]
    if missing:
        raise BundleError(
            f"the bundle needs {', '.join(missing)} (the reference solutions and the hidden tests), missing in {root}"
        )
    return files + solutions


def _add(zf: zipfile.ZipFile, name: str, data: bytes, mode: int = 0o644) -> None:
    info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))  # the same bytes for the same kit
    info.external_attr = (0o100000 | mode) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    zf.writestr(info, data)


def write_bundle(out: Path, root: Path = REPO_ROOT) -> list[str]:
    """Write autograder.zip; -> the names inside."""
    files = source_files(root)
    out = Path(out)
    if out.parent and not out.parent.is_dir():
        raise BundleError(f"--out {out}: the folder {out.parent} does not exist")
    tmp = out.with_name(f".{out.name}.tmp")
    with zipfile.ZipFile(tmp, "w") as zf:
        _add(zf, "setup.sh", SETUP_SH.encode(), EXECUTABLE)
        _add(zf, "run_autograder", RUN_AUTOGRADER.encode(), EXECUTABLE)
        _add(zf, "requirements.txt", ("\n".join(requirements(root / "pyproject.toml")) + "\n").encode())
        for rel in files:
            _add(zf, rel.as_posix(), (root / rel).read_bytes())
        names = zf.namelist()
    os.replace(tmp, out)
    return names


# -------------------------------------------------------------------- run


def with_visibility(doc: dict) -> dict:
    """results.json with each test's visibility from rubric.toml (`gradescope_visibility`)."""
    shown = {a.id: a.visibility for a in load_rubric().auto}
    for test in doc.get("tests", []):
        test["visibility"] = shown.get(test.get("extra_data", {}).get("item"), "visible")
    return doc


def _metadata(root: Path) -> dict:
    """Gradescope's submission_metadata.json ({} when absent or unreadable: it is optional here)."""
    try:
        data = json.loads((root / "submission_metadata.json").read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _handin(root: Path):
    from ..discover import HandinInfo, discover_handin

    meta = _metadata(root)
    users = meta.get("users") if isinstance(meta.get("users"), list) else []
    first = users[0] if users and isinstance(users[0], dict) else {}
    student = str(first.get("email") or first.get("name") or "submission").split("@")[0]
    info = HandinInfo(
        "gradescope", str(first.get("id", "")), printable(first.get("name", "")), str(meta.get("created_at", ""))
    )
    return discover_handin(root / "submission", student, info)


def failed_results(message: str) -> dict:
    return {
        "score": 0.0,
        "output": FAILED_OUTPUT,
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "extra_data": {"error": printable(message, 300)},
        "tests": [],
    }


def grade_upload(root: Path) -> dict:
    """The results.json document for the upload in root/submission."""
    from .. import report
    from ..batch import DEFAULT_TIMEOUT, grade_all

    sub = _handin(root)
    [result] = grade_all([sub], jobs=1, timeout=DEFAULT_TIMEOUT)
    print(report.feedback_markdown(result))  # stdout: the instructor's view on Gradescope
    for line in result.log:
        print(printable(line, 2000))
    return with_visibility(report.gradescope_results(result))


def run(root: Path | None = None) -> int:
    root = Path(root or os.environ.get(ROOT_ENV, DEFAULT_ROOT))
    results = root / "results" / "results.json"
    try:
        doc = grade_upload(root)
    except Exception as exc:  # whatever happens, Gradescope gets a results.json saying so
        traceback.print_exc()
        doc = failed_results(f"{type(exc).__name__}: {exc}")
    results.parent.mkdir(parents=True, exist_ok=True)
    tmp = results.with_name(".results.json.tmp")
    tmp.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, results)
    return 0


if __name__ == "__main__":
    if sys.argv[1:] != ["run"]:
        sys.exit("usage: python -m autograder.platforms.gradescope run   (the bundle's run_autograder calls it)")
    sys.exit(run())
