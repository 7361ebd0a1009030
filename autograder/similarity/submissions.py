"""A student's notebooks -> their fingerprints per unit (code and inline answers).

The same code is compared as is graded: `autograder.extract` finds the
definitions by content (a later definition winning) and reads each notebook
once; one unreadable notebook costs only itself (its problem is recorded).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..extract import Extraction, extract_readable
from ..notebook_io import NotebookError
from .evidence import Starter, answer_fingerprints, answer_unit, code_fingerprints
from .fingerprint import Fingerprints
from .units import Release, UnitCode, student_units


@dataclass
class Submission:
    """What the comparison needs of one student (small: it crosses process boundaries)."""

    student_id: str
    prints: dict[str, np.ndarray] = field(default_factory=dict)  # unit -> uint64 fingerprint hashes
    problems: list[str] = field(default_factory=list)  # unreadable notebooks, units not compared


@dataclass
class Details:
    """What the report shows of one student: canonical units, fingerprints with positions, answers."""

    units: dict[str, UnitCode]
    prints: dict[str, Fingerprints]
    answers: dict[str, str]


def _extract(notebooks: list[Path], problems: list[str]) -> Extraction:
    ext, _, unreadable = extract_readable(notebooks)
    problems.extend(unreadable)
    return ext


def details(notebooks: list[Path], starter: Starter, problems: list[str] | None = None) -> Details:
    problems = [] if problems is None else problems
    ext = _extract(notebooks, problems)
    units = student_units(ext, starter.release, problems)
    prints = {u: code_fingerprints(code, starter) for u, code in units.items()}
    prints.update({answer_unit(q): answer_fingerprints(t, starter) for q, t in ext.answers.items()})
    return Details(units, {u: fp for u, fp in prints.items() if len(fp)}, ext.answers)


def load(student_id: str, notebooks: list[Path], starter: Starter) -> Submission:
    """One student's notebooks -> Submission (never raises for a bad notebook or unit)."""
    sub = Submission(student_id)
    if not notebooks:
        sub.problems.append("no notebook that could be read safely")
        return sub
    found = details(notebooks, starter, sub.problems)
    sub.prints = {u: fp.hashes() for u, fp in found.prints.items()}
    return sub


def load_release(notebooks: list[Path]) -> Starter:
    """The student release -> everything given to all students, to be discounted."""
    problems: list[str] = []
    ext = _extract(notebooks, problems)
    if problems:
        raise NotebookError("release notebook unreadable: " + "; ".join(problems))
    return Starter.from_release(Release.from_extraction(ext), list(ext.answers.values()))
