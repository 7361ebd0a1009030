"""Which contract names a submission's code can be called by, and why not.

The grader asks this once per submission, from the extraction (ast) and the
sandbox's load errors; course/rules.py decides signatures, as it does for the
notebooks' self-check. The answer is per qualified name ("TwoLayerNet.train"),
so that a wrong method costs that method's checks only (student_code.StudentCode).
"""

from __future__ import annotations

import ast

from course import rules
from course.contract import CONTRACT
from course.rules import SIGNATURE_FIX

from .extract import Extraction
from .student_code import exception_words

FUNCTION_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef)


def load_error_words(name: str, load_error: str) -> str:
    """A load error as the student sees it: the exception's type, never its message."""
    exc_type = load_error.split(":", 1)[0].strip()
    return (
        f"{name} failed to load (it raised {exception_words(exc_type)} when its cell ran); "
        f"run its cell in a fresh runtime to see the error"
    )


def callable_problems(ext: Extraction, load_errors: dict[str, str]) -> dict[str, tuple[str, str]]:
    """{name or "Class.method": (why the grader cannot call it, how to fix it)} for every
    contract name of the submission ({} when everything can be called)."""
    problems: dict[str, tuple[str, str]] = {}
    for part in CONTRACT.values():
        for name, spec in part.items():
            problems.update(_problems_of(ext, name, spec, load_errors))
    return problems


def _problems_of(ext: Extraction, name: str, spec: dict, load_errors: dict[str, str]) -> dict[str, tuple[str, str]]:
    defn = ext.definitions.get(name)
    if defn is None:
        unparsed = f" (a cell could not be parsed: {ext.problems[0]})" if ext.problems else ""
        return {name: (f"{name} is not defined in any code cell{unparsed}", "")}
    if name in load_errors:
        return {name: (load_error_words(name, load_errors[name]), "")}
    if "methods" not in spec:
        if not isinstance(defn.node, FUNCTION_DEFS):
            return {name: (f"{name} should be a function ({defn.where})", "")}
        problem = rules.signature_problem_of_node(defn.node, name)
        return {name: (problem, SIGNATURE_FIX)} if problem else {}
    if not isinstance(defn.node, ast.ClassDef):
        return {name: (f"{name} should be a class ({defn.where})", "")}
    methods = {s.name: s for s in defn.node.body if isinstance(s, FUNCTION_DEFS)}
    out: dict[str, tuple[str, str]] = {}
    for method in spec["methods"]:
        qualname = f"{name}.{method}"
        if method not in methods:
            if method != "__init__":  # object's own __init__ is fine where the contract takes no arguments
                out[qualname] = (f"{qualname} is missing", "")
            continue
        problem = rules.signature_problem_of_node(methods[method], qualname)
        if problem:
            out[qualname] = (problem, SIGNATURE_FIX)
    return out


def blocked_items(rubric, problems: dict[str, tuple[str, str]]) -> dict[str, str]:
    """{item id: reason} for items none of whose functions can be graded at all
    (every one missing, not loadable or of the wrong kind); an item with at
    least one usable function is graded, and each test fails on its own."""
    blockers = {}
    for item in rubric.auto:
        reasons = [problems[n][0] for n in item.functions if n in problems]
        if item.functions and len(reasons) == len(item.functions):
            unique = list(dict.fromkeys(reasons))
            blockers[item.id] = unique[0] + (f" (+{len(unique) - 1} more)" if len(unique) > 1 else "")
    return blockers
