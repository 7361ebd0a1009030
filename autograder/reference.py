"""The reference implementation the hidden tests compare against.

One source: the SOLUTION notebooks, read with the same extraction a student's
notebook goes through (autograder.extract), so the reference is exactly the
code the notebooks teach. This is trusted code: it is exec'd in the grader's
own process (never a student's) and cached per process.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from course.config import ConfigError, load_config
from course.contract import contract_names

from .extract import Extraction, extract


class SolutionsMissing(ConfigError):
    """The solution notebooks are missing or do not define the whole contract."""


@dataclass(frozen=True)
class Reference:
    namespace: dict  # contract name -> reference function/class (and their helpers)
    extraction: Extraction  # to hand reference functions to a sandbox (see runner)

    def __getitem__(self, name):
        return self.namespace[name]


def solution_notebooks() -> list[Path]:
    return list(load_config().solution_notebooks().values())


@lru_cache(maxsize=4)
def _load(paths: tuple[Path, ...]) -> Reference:
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise SolutionsMissing(
            f"{missing[0]}: reference solution notebook not found; the grader needs the "
            f"solutions/ folder of the kit (restore it, or fix [notebooks] in course/course.toml)"
        )
    ext = extract(list(paths))
    absent = ext.missing(contract_names())
    if absent:
        raise SolutionsMissing(
            f"{paths[0].parent}: the solution notebooks do not define {', '.join(absent)}; "
            f"restore them from the kit's repository"
        )
    namespace: dict = {"__name__": "autograder_reference"}
    for chunk in ext.chunks_for(contract_names()):
        exec(compile(chunk.source, f"<solution: {chunk.label}>", "exec"), namespace)
    return Reference(namespace, ext)


def load_reference(notebooks: list[Path] | None = None) -> Reference:
    """Reference namespace built from the solution notebooks (cached)."""
    return _load(tuple(Path(p).resolve() for p in (notebooks or solution_notebooks())))
