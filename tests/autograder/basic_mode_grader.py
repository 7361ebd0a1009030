"""`autograde --grader basic_mode_grader:grade`: the real grader on a machine that offers
neither namespaces nor Landlock (what a root grader gets in a default Docker container)."""

from autograder.runner import grade_submission, warm_up
from autograder.sandbox.policy import SUPPORT

_warm = []


def grade(student_id, notebooks, **kw):
    if not _warm:
        SUPPORT.step_down("namespaces", "test: a machine without namespaces")
        SUPPORT.step_down("landlock", "test: a machine without Landlock")
        warm_up()
        _warm.append(1)
    return grade_submission(student_id, notebooks, **kw)
