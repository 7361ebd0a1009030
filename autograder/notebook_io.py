"""Read a submitted notebook without trusting its shape.

Colab and Jupyter write slightly different JSON, students hand in files that
were renamed, truncated or re-saved by other tools. `read_cells` accepts any
JSON with a `cells` list and raises `NotebookError` (naming the file and what
is wrong) for anything else. Nothing here executes code.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

MAX_NOTEBOOK_BYTES = 50 * 1024 * 1024  # a homework notebook with plots is a few MB


class NotebookError(Exception):
    """The file cannot be read as a notebook. The message names the file."""


@dataclass(frozen=True)
class Cell:
    notebook: str  # file name, for messages
    index: int     # 1-based position, as a student counts cells
    cell_type: str
    source: str


def _source_text(source) -> str:
    if isinstance(source, list):
        return "".join(str(s) for s in source)
    return source if isinstance(source, str) else ""


def load_json(path: Path) -> dict:
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise NotebookError(f"{path.name}: cannot be read ({exc.strerror})") from exc
    if size > MAX_NOTEBOOK_BYTES:
        raise NotebookError(f"{path.name}: {size / 1e6:.0f} MB is too large for a notebook; "
                            "clear the outputs (Edit -> Clear all outputs) and download it again")
    raw = path.read_bytes()
    if not raw.strip():
        raise NotebookError(f"{path.name}: the file is empty; download the notebook again "
                            "(File -> Download -> Download .ipynb)")
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise NotebookError(f"{path.name}: not a notebook (invalid JSON: {exc}); hand in the "
                            ".ipynb file from File -> Download -> Download .ipynb, not a .py or PDF") from exc
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise NotebookError(f"{path.name}: JSON without a 'cells' list, so not a Jupyter notebook "
                            "(nbformat 4); download it again from Colab or Jupyter")
    return data


def read_cells(path: Path) -> list[Cell]:
    """All cells in notebook order; malformed individual cells are skipped."""
    data = load_json(path)
    cells = []
    for i, raw in enumerate(data["cells"], start=1):
        if isinstance(raw, dict) and isinstance(raw.get("cell_type"), str):
            cells.append(Cell(Path(path).name, i, raw["cell_type"], _source_text(raw.get("source", ""))))
    return cells


def find_notebooks(folder: Path) -> list[Path]:
    """Notebooks below a student's folder, in a stable order (name, then path).

    Jupyter's checkpoint copies and macOS resource forks are not submissions."""
    found = [p for p in Path(folder).rglob("*.ipynb")
             if ".ipynb_checkpoints" not in p.parts and not p.name.startswith("._")]
    return sorted(found, key=lambda p: (p.name, str(p)))
