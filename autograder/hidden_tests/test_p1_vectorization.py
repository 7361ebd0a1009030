"""Part 1 vectorization: loop policy checked with ast, and a speed ratio.

The speed test keeps the data inside the student's process (sb.store) so that
moving arrays does not dominate, times both versions from here (best of
several runs, single-threaded BLAS in the child) and subtracts the cost of one
round trip to the child, measured the same way.
"""
import pytest

from course.config import load_config
from course.notebook_helpers import time_function

from autograder.checks import convention, expect
from autograder.hidden_tests.inputs import linear_problem
from autograder.hidden_tests.vectorization import check_loops, check_no_loops, loop_tests


# The item is mostly about softmax_loss_vectorized: its loop-free code (1) and its speed (1).
@loop_tests("part1", "p1_vectorization", {"softmax_loss_vectorized": 1.0, "LinearSoftmax.__init__": 0.1,
                                           "LinearSoftmax.predict": 0.1, "LinearSoftmax.loss": 0.1})
def test_no_loops(ext, qualname):
    check_no_loops(ext, qualname, "part1")


@pytest.mark.graded(item="p1_vectorization", weight=0.2, kind="structure", needs=("p1_softmax_naive",))
def test_naive_version_loops(ext):
    check_loops(ext, "softmax_loss_naive", "softmax_loss_naive has no Python loop" + convention("naive_loops"))


@pytest.mark.timing
@pytest.mark.graded(item="p1_vectorization", weight=1, kind="structure",
                    needs=("p1_softmax_naive", "p1_softmax_vectorized"))
def test_vectorized_faster_than_naive(student, rng):
    need = load_config().grading["grader_speedup_min"]
    W, X, y = linear_problem(rng, 500, 65, 10, scale=0.01)   # a digits-sized batch
    hW, hX, hy = (student.store(a) for a in (W, X, y))
    naive = lambda: student.call("softmax_loss_naive", hW, hX, hy, 1e-3)
    vec = lambda: student.call("softmax_loss_vectorized", hW, hX, hy, 1e-3)
    round_trip = lambda: student.getattr(hX, "ndim")
    vec()  # warm up (and surface exceptions before timing)
    t_vec = time_function(vec, repeats=5)
    t_naive = time_function(naive, repeats=2)
    overhead = time_function(round_trip, repeats=5)
    # the round trip to the child is paid by both; what is left is the compute
    ratio = (t_naive - overhead) / max(t_vec - overhead, 2e-5)
    expect(ratio >= need, f"softmax_loss_vectorized is only {ratio:.1f}x faster than softmax_loss_naive "
                          f"on a 500 x 65 batch (need {need:g}x)", "remove Python-level loops and per-example work")
