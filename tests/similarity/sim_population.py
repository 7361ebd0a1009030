"""A class of independent, correct hand-ins that really differ, written as real notebooks.

Each student fills every region of the real release (assignments/) with
code composed from the phrasebook (sim_phrasebook.py), or, for some units,
with one of the alternative implementations the test suite already holds
(sim_implementations.IMPLEMENTATIONS, tests/autograder/variant_sources.CORRECT)
or the reference solution's region. Some students rewrite every function
whole (no markers, no docstrings, their own initialisations), as real
students do. Every student names variables their own way. The hand-in is the
release notebook with the student's definitions and answers in place.
"""

from __future__ import annotations

import ast
import json
import random
import re
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

from sim_implementations import IMPLEMENTATIONS as FIXTURE_REGIONS
from sim_phrasebook import PHRASEBOOK

from autograder.extract import extract
from course.config import load_config
from course.markers import ANSWER_HEADER, BEGIN_SOLUTION, END_CODE, END_SOLUTION, START_CODE

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "autograder"))
from variant_sources import CORRECT  # noqa: E402  (not ours: imported, never edited)

WHOLE_STYLE_SHARE = 0.15  # students who rewrite every function whole
REFERENCE_SHARE = 0.02  # per region: write exactly what the reference solution writes
WORDS = (
    "the loss softmax gradient weights scores probability class example matrix vector "
    "regularization learning rate batch step small large uniform linear layer hidden relu "
    "nonlinear boundary spiral decision margin because so therefore each every all with "
    "without when then more less initial final data training validation"
).split()


@dataclass
class Release:
    """The release's definitions (source text), its notebooks as JSON, and region layout."""

    notebooks: dict[str, dict]  # part -> notebook JSON
    definitions: dict[str, str]  # contract top-level name -> release source
    cells: dict[str, tuple[str, int]]  # contract top-level name -> (part, cell index) holding it
    answer_cells: dict[str, tuple[str, int]]  # question id -> (part, cell index)
    reference: dict[str, list[str]] = field(default_factory=dict)  # unit -> reference region code


def _source(cell) -> str:
    s = cell.get("source", "")
    return "".join(s) if isinstance(s, list) else s


def load_release(folder: Path | None = None) -> Release:
    cfg = load_config()
    folder = folder or REPO / "assignments" / cfg.assignment_id
    notebooks = {part: json.loads((folder / name).read_text()) for part, name in cfg.notebooks.items()}
    ext = extract([folder / name for name in cfg.notebooks.values()])
    rel = Release(notebooks, {}, {}, {})
    for part, nb in notebooks.items():
        for i, cell in enumerate(nb["cells"]):
            text = _source(cell)
            if cell["cell_type"] == "markdown" and (m := ANSWER_HEADER.match(text.partition("\n")[0])):
                rel.answer_cells[m.group(1)] = (part, i)
            if cell["cell_type"] != "code":
                continue
            for stmt in ast.parse(text).body if "START CODE HERE" in text else []:
                if isinstance(stmt, (ast.FunctionDef, ast.ClassDef)) and stmt.name in UNITS_OF:
                    rel.cells[stmt.name] = (part, i)
                    rel.definitions[stmt.name] = ext.definitions[stmt.name].source
    rel.reference = reference_regions(cfg)
    return rel


def reference_regions(cfg) -> dict[str, list[str]]:
    """unit -> the reference solution's code of each of its regions (dedented)."""
    ext = extract([REPO / "solutions" / cfg.assignment_id / name for name in cfg.notebooks.values()])
    out = {}
    for name, units in UNITS_OF.items():
        source = ext.definitions[name].source
        regions = [textwrap.dedent(r) for r in _solution_texts(source)]
        for unit in units:
            count = len(PHRASEBOOK[unit][0])
            out[unit], regions = regions[:count], regions[count:]
    return out


def _solution_texts(source: str) -> list[str]:
    out, current = [], None
    for line in source.splitlines():
        if line.strip().startswith(BEGIN_SOLUTION):
            current = []
        elif line.strip().startswith(END_SOLUTION):
            out.append("\n".join(current))
            current = None
        elif current is not None:
            current.append(line)
    return out


# contract top-level name -> its units that have regions, in the order the regions appear
UNITS_OF = {
    "softmax_loss_naive": ["softmax_loss_naive"],
    "softmax_loss_vectorized": ["softmax_loss_vectorized"],
    "LinearSoftmax": ["LinearSoftmax.train", "LinearSoftmax.predict", "LinearSoftmax.loss"],
    "affine_forward": ["affine_forward"],
    "affine_backward": ["affine_backward"],
    "relu_forward": ["relu_forward"],
    "relu_backward": ["relu_backward"],
    "softmax_loss": ["softmax_loss"],
    "TwoLayerNet": ["TwoLayerNet.loss", "TwoLayerNet.train", "TwoLayerNet.predict"],
}


def compose(unit: str, rng: random.Random) -> list[str]:
    """One student's code for each region of `unit`, from the phrasebook."""
    style = rng.choice(PHRASEBOOK[unit])
    return ["\n".join(alt for alt in (rng.choice(step) for step in region) if alt) for region in style]


def fill_regions(source: str, codes: list[str]) -> str:
    """The release definition with its k-th region's stub replaced by codes[k] (indented like the marker)."""
    lines, out, k, inside = source.splitlines(), [], 0, False
    for line in lines:
        mark = line.strip()
        if mark == START_CODE:
            out.append(line)
            indent = line[: len(line) - len(line.lstrip())]
            out += [indent + ln if ln.strip() else "" for ln in codes[k].splitlines()]
            k, inside = k + 1, True
        elif mark == END_CODE:
            out.append(line)
            inside = False
        elif not inside:
            out.append(line)
    return "\n".join(out) + "\n"


def region_codes(name: str, rel: Release, rng: random.Random, held: dict[str, str]) -> list[str]:
    codes = []
    for unit in UNITS_OF[name]:
        if REGION + unit in held:
            codes.append(held[REGION + unit])
        elif rng.random() < REFERENCE_SHARE:
            codes += rel.reference[unit]
        else:
            codes += compose(unit, rng)
    return codes


REGION = "region "  # a held region's key: "region softmax_loss_naive"; a whole definition's: its name


def held_alternatives() -> list[tuple[str, str]]:
    """Every alternative implementation the tests hold: (key, source). Whole definitions
    from variant_sources.CORRECT (key: the contract name), regions from
    sim_implementations.IMPLEMENTATIONS (key: REGION + unit)."""
    out = [(name, textwrap.dedent(src).strip("\n") + "\n") for alt in CORRECT.values() for name, src in alt.items()]
    out += [
        (REGION + unit, textwrap.dedent(region).strip("\n"))
        for unit, regions in FIXTURE_REGIONS.items()
        for region in regions
    ]
    return list(dict.fromkeys(out))  # variant_sources uses some templates twice


def student_definitions(rel: Release, rng: random.Random, held: dict[str, str] | None = None) -> dict[str, str]:
    """contract top-level name -> this student's source of it. held: alternatives this
    student writes (a whole definition by contract name, or a region by unit name);
    each held alternative goes to one student, so it is an independent solution, not
    one shared by many."""
    from sim_evasions import as_whole_functions  # the same rewrite a copier may use

    held = held or {}
    whole = rng.random() < WHOLE_STYLE_SHARE
    out = {}
    for name, release_source in rel.definitions.items():
        if name in held:
            out[name] = held[name]
            continue
        out[name] = fill_regions(release_source, region_codes(name, rel, rng, held))
        if whole:
            out[name] = as_whole_functions(out[name], rng)
    return rename_locals(out, rng)


NAMING = [
    lambda n, k: n,
    lambda n, k: f"{n}_{k}",
    lambda n, k: f"my_{n}",
    lambda n, k: f"{n}{k}",
    lambda n, k: f"_{n}",
    lambda n, k: f"{n}_v{k}",
]
_KEEP = {"loss", "dW", "out", "dx", "dw", "db", "dscores", "y_pred", "scores", "grads", "cache", "self"}


def rename_locals(defs: dict[str, str], rng: random.Random) -> dict[str, str]:
    """Each student names the variables they introduce their own way (consistently)."""
    scheme, k = rng.choice(NAMING), rng.randint(1, 9)
    out = {}
    for name, source in defs.items():
        params, stored, keywords = set(), set(), set()
        for n in ast.walk(ast.parse(source)):
            if isinstance(n, ast.arguments):
                params |= {a.arg for a in (*n.posonlyargs, *n.args, *n.kwonlyargs)}
            elif isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
                stored.add(n.id)
            elif isinstance(n, ast.keyword) and n.arg:
                keywords.add(n.arg)
        for old in sorted(stored - params - _KEEP - keywords - {"_"}, key=len, reverse=True):
            new = scheme(old, k)
            if new != old:
                source = re.sub(rf"(?<![.\w'\"])(?<!def ){re.escape(old)}(?![\w'\"])", new, source)
        out[name] = source
    return out


def student_answers(rng: random.Random, questions) -> dict[str, str]:
    return {q: " ".join(rng.choice(WORDS) for _ in range(rng.randint(12, 35))).capitalize() + "." for q in questions}


def _definition_spans(source: str) -> dict[str, tuple[int, int]]:
    """Top-level definition name -> (first, last) 0-based line, trailing indented comments included."""
    lines, out = source.splitlines(), {}
    for stmt in ast.parse(source).body:
        if isinstance(stmt, (ast.FunctionDef, ast.ClassDef)):
            first = min([stmt.lineno] + [d.lineno for d in stmt.decorator_list]) - 1
            last = stmt.end_lineno - 1
            while last + 1 < len(lines) and (not lines[last + 1].strip() or lines[last + 1].startswith((" ", "\t"))):
                last += 1
            out[stmt.name] = (first, last)
    return out


def replace_definitions(cell_source: str, defs: dict[str, str], extra: dict[str, str]) -> str:
    """The cell with each definition in `defs` replaced (helpers from `extra` just before it)."""
    lines = cell_source.splitlines()
    for name, (first, last) in sorted(_definition_spans(cell_source).items(), key=lambda kv: -kv[1][0]):
        if name in defs:
            new = ((extra.get(name, "") + "\n\n") if extra.get(name) else "") + defs[name].rstrip("\n") + "\n"
            lines[first : last + 1] = new.splitlines()
    return "\n".join(lines) + "\n"


def notebooks_for(
    rel: Release, defs: dict[str, str], answers: dict[str, str], extra: dict[str, str] | None = None
) -> dict[str, dict]:
    """The release notebooks with this student's definitions and answers in place.
    extra: top-level name -> helper source to put in the same cell, before it."""
    out = {part: {**nb, "cells": [dict(c) for c in nb["cells"]]} for part, nb in rel.notebooks.items()}
    for part, i in set(rel.cells.values()):
        cell = out[part]["cells"][i]
        cell["source"] = replace_definitions(_source(cell), defs, extra or {})
    for q, (part, i) in rel.answer_cells.items():
        if q in answers:
            header = _source(rel.notebooks[part]["cells"][i]).partition("\n")[0]
            out[part]["cells"][i]["source"] = f"{header}\n\n{answers[q]}"
    return out


def write_hand_in(folder: Path, notebooks: dict[str, dict]) -> None:
    cfg = load_config()
    folder.mkdir(parents=True, exist_ok=True)
    for part, nb in notebooks.items():
        (folder / cfg.notebooks[part]).write_text(json.dumps(nb))
