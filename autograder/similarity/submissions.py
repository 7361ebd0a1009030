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

from ..extract import Definition, Extraction, extract_readable, inline_answers, student_regions
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
    try:
        node = ast.parse(defn.source).body[0]
    except (SyntaxError, ValueError, RecursionError, IndexError):  # extract parsed it, so unlikely
        return []
    lines = defn.source.splitlines()
    methods = [m for m in getattr(node, "body", []) if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef))]
    starts = [min([m.lineno] + [d.lineno for d in m.decorator_list]) for m in methods]
    ends = [s - 1 for s in starts[1:]] + [len(lines)]
    return [Definition(f"{defn.name}.{m.name}", textwrap.dedent("\n".join(lines[s - 1:e])), m,
                       defn.notebook, defn.cell) for m, s, e in zip(methods, starts, ends)]


def units(ext: Extraction, names: list[str] | None = None) -> dict[str, str]:
    """unit name -> the student's region text (regions dedented, in order, joined)."""
    out = {}
    for name in names if names is not None else contract_names():
        defn = ext.definitions.get(name)
        if defn is None:
            continue
        parts = _methods(defn) if isinstance(defn.node, ast.ClassDef) else [defn]
        for part in parts:
            regions = [textwrap.dedent(r).strip("\n") for r in student_regions(part)]
            if any(r.strip() for r in regions):
                out[part.name] = "\n".join(regions)
    return out


def _merge(notebooks: list[Path], problems: list[str]) -> tuple[Extraction, dict[str, str]]:
    """One unreadable notebook costs only itself (its problem is recorded)."""
    ext, readable, unreadable = extract_readable(notebooks)
    problems.extend(unreadable)
    return ext, inline_answers(readable)


def load(student_id: str, notebooks: list[Path]) -> Submission:
    """One student's notebooks -> Submission (never raises for a bad notebook)."""
    sub = Submission(student_id)
    if not notebooks:
        sub.problems.append("no .ipynb file in the student's folder")
        return sub
    ext, sub.answers = _merge(notebooks, sub.problems)
    sub.code = units(ext)
    return sub


def load_release(notebooks: list[Path]) -> tuple[list[str], list[str]]:
    """The student release -> (full source of every definition, every answer
    placeholder text): everything given to all students, to be discounted."""
    problems: list[str] = []
    ext, answers = _merge(notebooks, problems)
    if problems:
        raise NotebookError("release notebook unreadable: " + "; ".join(problems))
    return [d.source for d in ext.definitions.values()], list(answers.values())
