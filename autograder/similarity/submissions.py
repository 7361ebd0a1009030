"""A class's submissions -> what each student wrote: code regions per unit, inline answers.

A *unit* is one contract function (`softmax_loss_naive`) or one method of a
contract class (`TwoLayerNet.loss`): students are compared unit by unit,
because copying a function is the usual act. Only the text between
START/END CODE HERE counts, extracted by the autograder's own
`autograder.extract` (so the same code is compared as is graded).
"""
from __future__ import annotations

import ast
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

from course.contract import contract_names

from ..extract import Definition, Extraction, extract_readable, first_line, student_regions
from ..notebook_io import NotebookError


@dataclass
class Submission:
    student_id: str
    code: dict[str, str] = field(default_factory=dict)     # unit -> its regions, dedented, joined
    answers: dict[str, str] = field(default_factory=dict)  # question id -> answer text
    problems: list[str] = field(default_factory=list)      # unreadable notebooks, for the report


def _methods(defn: Definition) -> list[Definition]:
    """A class definition -> one Definition per method, named `Class.method`;
    a method's text runs to the next method, so comments after its last
    statement (the END marker) stay with it."""
    lines = defn.source.splitlines()  # line 1 is the class's first line (decorators included)
    offset = first_line(defn.node) - 1
    methods = [m for m in defn.node.body if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef))]
    starts = [first_line(m) - offset for m in methods]
    ends = [s - 1 for s in starts[1:]] + [len(lines)]
    return [Definition(f"{defn.name}.{m.name}", textwrap.dedent("\n".join(lines[s - 1:e])), m,
                       defn.notebook, defn.cell) for m, s, e in zip(methods, starts, ends)]


def units(ext: Extraction) -> dict[str, str]:
    """unit name -> the student's region text (regions dedented, in order, joined)."""
    out = {}
    for name in contract_names():
        defn = ext.definitions.get(name)
        if defn is None:
            continue
        parts = _methods(defn) if isinstance(defn.node, ast.ClassDef) else [defn]
        for part in parts:
            regions = [textwrap.dedent(r).strip("\n") for r in student_regions(part)]
            if any(r.strip() for r in regions):
                out[part.name] = "\n".join(regions)
    return out


def _merge(notebooks: list[Path], problems: list[str]) -> Extraction:
    """One unreadable notebook costs only itself (its problem is recorded)."""
    ext, _, unreadable = extract_readable(notebooks)
    problems.extend(unreadable)
    return ext


def load(student_id: str, notebooks: list[Path]) -> Submission:
    """One student's notebooks -> Submission (never raises for a bad notebook)."""
    sub = Submission(student_id)
    if not notebooks:
        sub.problems.append("no .ipynb file in the student's folder")
        return sub
    ext = _merge(notebooks, sub.problems)
    sub.code, sub.answers = units(ext), ext.answers
    return sub


def load_release(notebooks: list[Path]) -> tuple[list[str], list[str]]:
    """The student release -> (full source of every definition, every answer
    placeholder text): everything given to all students, to be discounted."""
    problems: list[str] = []
    ext = _merge(notebooks, problems)
    if problems:
        raise NotebookError("release notebook unreadable: " + "; ".join(problems))
    return [d.source for d in ext.definitions.values()], list(ext.answers.values())
