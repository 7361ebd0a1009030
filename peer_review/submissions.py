"""Find the submissions: SUBMISSIONS/<student_id>/*.ipynb, or nbgrader's
submitted/<student_id>/<assignment>/*.ipynb.

A student whose folder holds no notebook handed in nothing and takes no part
in peer review (neither reviewed nor reviewing).
"""
from __future__ import annotations

from pathlib import Path


def student_notebooks(folder: Path) -> list[Path]:
    """Notebooks of one student folder; nbgrader's extra <assignment>/ level too."""
    direct = sorted(p for p in folder.glob("*.ipynb") if p.is_file())
    if direct:
        return direct
    return sorted(p for p in folder.glob("*/*.ipynb")
                  if p.is_file() and p.parent.name != ".ipynb_checkpoints")


def find_submissions(root: Path) -> dict[str, list[Path]]:
    """root -> {student_id: [notebook paths]} for every student who handed in something."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"SUBMISSIONS folder {root} does not exist")
    found = {}
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        notebooks = student_notebooks(folder)
        if notebooks:
            found[folder.name] = notebooks
    return found
