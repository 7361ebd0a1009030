"""A stand-in for autograder.runner.grade_submission, for testing the pipeline.

Same signature and result type as the real one, but it never runs student
code: it reads the notebooks with the real extraction and scores each rubric
item from markers in the code, so pipeline tests are fast and exact.
  STANDIN_CRASH  the grader raises (a bug of ours)      STANDIN_DIE  the worker process dies
  STANDIN_HANG   the grader never returns                STANDIN_SLOW sleeps 1 s
  BUG_<item id>  that item fails                          BUG_LEAK     a message with an array in it
Also used to check that each worker got a distinct slot (written to the log).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from autograder import results as R
from autograder.extract import extract_cells
from autograder.notebook_io import NotebookError, read_cells
from autograder.results import FAILED, NOT_GRADABLE, PASSED, ItemResult, SubmissionResult
from course.rubric import load_rubric

ARRAY_LEAK = "expected [0.125, 0.25, 0.5, 1.0, 2.0] but got something else"


def grade_submission(student_id: str, notebooks: list[Path], *, limits=None, slot: int = 0) -> SubmissionResult:
    start = time.perf_counter()
    try:
        cells = [c for nb in notebooks for c in read_cells(nb)]
    except NotebookError as exc:
        return SubmissionResult(
            student_id=student_id,
            status=R.Status(R.Status.NOT_GRADABLE, str(exc)),
            notebooks=[str(p) for p in notebooks],
        )
    code = "\n".join(c.source for c in cells if c.cell_type == "code")
    ext = extract_cells(cells)
    if "STANDIN_CRASH" in code:
        raise RuntimeError("stand-in grader bug")
    if "STANDIN_DIE" in code:
        os._exit(7)
    if "STANDIN_HANG" in code:
        time.sleep(3600)
    if "STANDIN_SLOW" in code:
        time.sleep(1)
    items, missing_all = {}, []
    for a in load_rubric().auto:
        missing = ext.missing(a.functions)
        if missing:
            missing_all += [m for m in missing if m not in missing_all]
            items[a.id] = ItemResult(
                a.id, a.title, 0.0, a.points, NOT_GRADABLE, [f"{', '.join(missing)} is not defined in any code cell"]
            )
        elif f"BUG_{a.id}" in code:
            items[a.id] = ItemResult(
                a.id,
                a.title,
                a.points / 2,
                a.points,
                FAILED,
                [f"{a.id}: relative error 3e-2, largest at W[3,1]; check the regularization term"],
            )
        elif "BUG_LEAK" in code:
            t = R.TestOutcome("test_leak", a.id, 1, False, ARRAY_LEAK)
            items[a.id] = ItemResult(a.id, a.title, 0.0, a.points, FAILED, [ARRAY_LEAK], [t])
        else:
            items[a.id] = ItemResult(a.id, a.title, a.points, a.points, PASSED)
    status = (
        R.Status(R.Status.OK)
        if not missing_all
        else R.Status(R.Status.PARTIAL, f"not defined: {', '.join(missing_all)}")
    )
    wall = getattr(limits, "wall_seconds", None)
    return SubmissionResult(
        student_id=student_id,
        status=status,
        items=items,
        notebooks=[str(p) for p in notebooks],
        duration_s=time.perf_counter() - start,
        log=[
            f"isolation: stand-in grader, no sandbox (slot {slot})",
            f"slot={slot} pid={os.getpid()} wall_limit={wall}",
        ],
    )
