"""Find who handed in what: SUBMISSIONS folder -> one `Submission` per student.

Layouts accepted (CONTRACT.md section 2):
  flat        SUBMISSIONS/<student_id>/*.ipynb (any depth below the student's folder)
  nbgrader    SUBMISSIONS/submitted/<student_id>/<assignment>/*.ipynb   (SUBMISSIONS is the course root)
              SUBMISSIONS/<student_id>/<assignment>/*.ipynb             (SUBMISSIONS is submitted/ itself)
  loose files SUBMISSIONS/<name>.ipynb directly in the folder, as an LMS bulk download writes them.
              Decision: the student id is the file's stem with the part's notebook name removed
              ("alice_part1_linear_softmax.ipynb" -> "alice"), so both parts of one student land in
              one submission; any other stem is the id itself ("bob.ipynb" -> "bob").

When a student folder holds a subfolder named like the course's assignment id
(nbgrader keeps one folder per assignment), only that subfolder is graded.
Checkpoint copies, hidden entries and macOS litter are ignored. A student
folder without any notebook is still a submission, with a `problem` that
becomes the row's not-gradable status. Nothing here reads a notebook's content.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from course.config import load_config

from .notebook_io import find_notebooks

IGNORED = {".ipynb_checkpoints", "__MACOSX", "__pycache__"}


class DiscoveryError(Exception):
    """SUBMISSIONS cannot be used at all; the message names the path."""


@dataclass
class Submission:
    student_id: str
    folder: Path
    notebooks: list[Path] = field(default_factory=list)
    problem: str | None = None  # set when there is nothing to grade

    def __post_init__(self):
        if not self.notebooks and self.problem is None:
            self.problem = f"no .ipynb found in {self.folder}"


def _ignored(path: Path) -> bool:
    return path.name in IGNORED or path.name.startswith((".", "._"))


def submissions_root(path: Path) -> Path:
    """The folder whose children are student folders: `path`, or its submitted/ when it is a course root."""
    path = Path(path)
    if not path.exists():
        raise DiscoveryError(f"SUBMISSIONS folder {path} does not exist")
    if not path.is_dir():
        raise DiscoveryError(f"SUBMISSIONS {path} is a file; give the folder that holds one folder per student")
    if (path / "submitted").is_dir():  # an nbgrader course root (source/, release/, submitted/, ...)
        return path / "submitted"
    return path


def _student_notebooks(folder: Path, assignment_id: str) -> list[Path]:
    """Notebooks of one student; nbgrader's per-assignment subfolder wins when present."""
    own = folder / assignment_id
    return find_notebooks(own if own.is_dir() else folder)


def loose_student_id(notebook: Path, part_stems: list[str]) -> str:
    """Student id for a notebook lying directly in SUBMISSIONS (see the module docstring)."""
    stem = notebook.stem
    for part in sorted(part_stems, key=len, reverse=True):
        if stem != part and stem.endswith(part):
            prefix = re.sub(r"[\s_\-.]+$", "", stem[: -len(part)])
            if prefix:
                return prefix
    return stem


def discover(path: Path) -> list[Submission]:
    """All submissions below SUBMISSIONS, sorted by student id.

    Raises DiscoveryError when the folder is missing, a file, or holds no
    student folder and no notebook (most likely the wrong path)."""
    root = submissions_root(path)
    cfg = load_config()
    found: dict[str, Submission] = {}
    try:
        entries = sorted(root.iterdir())
    except OSError as exc:
        raise DiscoveryError(f"cannot list SUBMISSIONS folder {root}: {exc.strerror}") from exc
    for entry in entries:
        if _ignored(entry):
            continue
        if entry.is_dir():
            found[entry.name] = Submission(entry.name, entry, _student_notebooks(entry, cfg.assignment_id))
    part_stems = [Path(n).stem for n in cfg.notebooks.values()]
    for entry in entries:
        if entry.is_file() and entry.suffix == ".ipynb" and not _ignored(entry):
            sid = loose_student_id(entry, part_stems)
            sub = found.setdefault(sid, Submission(sid, root, [entry]))
            if entry not in sub.notebooks:
                sub.notebooks.append(entry)
            sub.problem = None
    if not found:
        raise DiscoveryError(f"{root} holds no student folder and no .ipynb file; expected "
                             f"{root}/<student_id>/*.ipynb or an nbgrader course with submitted/")
    return [found[k] for k in sorted(found)]
