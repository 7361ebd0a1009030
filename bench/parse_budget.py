"""What reading and parsing one hand-in can cost the grader's own process.

    python -m bench.parse_budget            (also part of `make bench`)

1. An honest submission (the bundled `complete` example, its own cells made
   unique per student, the release's cells shared as in a real class): CPU
   per submission for notebook_io + extract (what every student pays).
2. The worst a student can do within the caps (autograder/cell_parser.py,
   extract.MAX_CODE_PER_SUBMISSION): the densest code shapes measured
   (`[f(a, b), ...]`, one statement per line, tuples of tuples) inside
   function definitions (so the trees are kept), filling every cap, plus the
   IPython transformer's whole budget spent on `!` escapes. Each shape runs in
   a fresh process; reported: CPU seconds and peak memory above the process
   after imports.

Targets: honest <= 50 ms CPU per submission; worst case <= 10 s CPU and
<= 1,000 MB peak memory per submission (unbounded, the issue measured
35-80 s per cell and ~3 GB for one 4.5 MB cell). Exit 0 when all are met.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HONEST_MS, WORST_S, WORST_MB = 50.0, 10.0, 1000.0


def _nb(path: Path, cells: list[str]) -> Path:
    path.write_text(
        json.dumps(
            {
                "cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "source": c} for c in cells],
                "metadata": {},
                "nbformat": 4,
                "nbformat_minor": 5,
            }
        )
    )
    return path


def honest_ms(students: int = 40) -> float:
    from autograder.extract import extract_readable
    from autograder.notebook_io import read_cells
    from course.config import EXAMPLES_DIR, load_config

    cfg = load_config()
    release = (
        {c.source for part in cfg.notebooks for c in read_cells(cfg.release_notebook(part)) if c.cell_type == "code"}
        if cfg.release_notebook("part1").exists()
        else set()
    )
    sources = sorted((EXAMPLES_DIR / "complete").glob("*.ipynb"))
    with tempfile.TemporaryDirectory() as tmp:
        handins = []
        for i in range(students):
            folder = Path(tmp) / f"s{i}"
            folder.mkdir()
            for src in sources:
                nb = json.loads(src.read_text())
                for cell in nb["cells"]:
                    text = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
                    if cell["cell_type"] == "code" and text not in release:
                        cell["source"] = text + f"\n# student {i}\n"
                (folder / src.name).write_text(json.dumps(nb))
            handins.append(sorted(folder.glob("*.ipynb")))
        extract_readable(handins[0])  # imports and the release's cells, once per process
        start = time.process_time()
        for notebooks in handins[1:]:
            extract_readable(notebooks)
        return (time.process_time() - start) / (students - 1) * 1000


def _worst_cells(shape: str) -> list[str]:
    from autograder.cell_parser import IPYTHON_WORK_PER_CELL, MAX_CELL_CHARS
    from autograder.extract import MAX_CODE_PER_SUBMISSION

    unit = {"calls": "f(a, b), ", "lines": "a = 1\n    ", "tuples": "(1, 2), "}.get(shape)
    if shape == "ipython":  # every cell at the per-cell limit of escapes x lines, then fallback cells
        escapes = int(IPYTHON_WORK_PER_CELL**0.5)
        while escapes * (escapes + 1) > IPYTHON_WORK_PER_CELL:  # a cell of n escapes has n + 1 lines
            escapes -= 1
        cell = "!ls\n" * escapes
    else:
        body = unit * ((MAX_CELL_CHARS - 200) // len(unit))
        cell = f"def f_{{}}():\n    return [{body}]\n" if shape != "lines" else f"def f_{{}}():\n    {body}\n"
    count = MAX_CODE_PER_SUBMISSION // len(cell.format(0))
    return [cell.format(i) if "{}" in cell else cell for i in range(count)]


def _measure_child(shape: str) -> None:
    """In a fresh process: CPU and peak memory of extract_readable on the worst hand-in of `shape`."""
    from autograder.extract import extract_readable

    cells = _worst_cells(shape)
    with tempfile.TemporaryDirectory() as tmp:
        path = _nb(Path(tmp) / "worst.ipynb", cells)
        extract_readable([_nb(Path(tmp) / "warm.ipynb", ["x = 1"])])
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        start = time.process_time()
        ext, readable, unreadable = extract_readable([path])
        seconds = time.process_time() - start
        peak = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) / 1024
        kept = len(ext.definitions)
    print(
        json.dumps(
            {
                "shape": shape,
                "cells": len(cells),
                "chars": sum(map(len, cells)),
                "cpu_s": seconds,
                "peak_mb": peak,
                "definitions_kept": kept,
                "read": bool(readable),
            }
        )
    )


def worst_cases() -> list[dict]:
    out = []
    for shape in ("calls", "lines", "tuples", "ipython"):
        proc = subprocess.run(
            [sys.executable, "-m", "bench.parse_budget", "--child", shape], capture_output=True, text=True, timeout=600
        )
        if proc.returncode != 0:
            raise RuntimeError(f"{shape}: {proc.stderr[-2000:]}")
        out.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    return out


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        _measure_child(argv[1])
        return 0
    ms = honest_ms()
    print(f"honest submission: {ms:.1f} ms CPU for reading + extraction (target <= {HONEST_MS:g})")
    ok = ms <= HONEST_MS
    for r in worst_cases():
        met = r["cpu_s"] <= WORST_S and r["peak_mb"] <= WORST_MB
        ok &= met
        print(
            f"worst within the caps, {r['shape']:8s}: {r['cells']} cells, {r['chars']:,} chars -> "
            f"{r['cpu_s']:.2f} s CPU, peak +{r['peak_mb']:.0f} MB, {r['definitions_kept']} definitions kept "
            f"({'ok' if met else 'OVER'}; targets <= {WORST_S:g} s, <= {WORST_MB:g} MB)"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
