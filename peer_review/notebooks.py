"""Hand-ins read the autograder's way, and the anonymised copies written back.

`read(path)` reads a notebook with autograder.notebook_io.load_json (the one
reader of untrusted notebook files: size cap, BOM, clear messages naming the
file) and returns it as an nbformat node with every text joined into one
string. Cells that are not cells (wrong JSON shape) are dropped: they cannot
hold an answer and a reviewer could not open them anyway. Raises NotebookError.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import nbjson

from autograder.notebook_io import NotebookError, load_json, source_text

__all__ = ["NotebookError", "read", "write"]


def _output(out: dict) -> dict:
    out = dict(out)
    if "text" in out:
        out["text"] = source_text(out["text"])
    if isinstance(out.get("data"), dict):
        out["data"] = {k: source_text(v) if isinstance(v, (list, str)) else v for k, v in out["data"].items()}
    return out


def _cell(cell: dict) -> dict:
    cell = dict(cell, source=source_text(cell.get("source", "")))
    if not isinstance(cell.get("metadata"), dict):
        cell["metadata"] = {}
    if cell["cell_type"] == "code":
        outputs = cell.get("outputs")
        cell["outputs"] = [_output(o) for o in outputs if isinstance(o, dict)] if isinstance(outputs, list) else []
    return cell


def read(path: Path) -> nbformat.NotebookNode:
    """A notebook file -> nbformat node (joined texts); NotebookError naming the file otherwise."""
    data = load_json(Path(path))
    cells = [_cell(c) for c in data["cells"] if isinstance(c, dict) and isinstance(c.get("cell_type"), str)]
    metadata = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    return nbformat.from_dict(
        {
            "nbformat": 4,
            "nbformat_minor": data.get("nbformat_minor", 5) if isinstance(data.get("nbformat_minor"), int) else 5,
            "metadata": metadata,
            "cells": cells,
        }
    )


def write(nb: nbformat.NotebookNode, path: Path) -> None:
    """Write a notebook as Jupyter does (multi-line texts split), without schema checks:
    a student's odd-but-readable notebook is passed on to its reviewers as it is."""
    Path(path).write_text(nbjson.writes(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
