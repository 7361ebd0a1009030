"""Part 1 vectorization: loop policy checked with ast, and a speed ratio.

The speed test keeps the data inside the student's process (sb.store) so that
moving arrays does not dominate, times both versions from here (best of
several runs, single-threaded BLAS in the child) and subtracts the cost of one
round trip to the child, measured the same way.
"""
import pytest

from course.config import load_config
from course.notebook_helpers import time_function

from autograder.checks import NotImplementedFail, expect, function_node, loops_in
from autograder.hidden_tests.inputs import linear_problem
from autograder.hidden_tests.vectorization import is_stub, loop_problems


@pytest.mark.graded(item="p1_vectorization", weight=1)
def test_no_loops_where_vectorized(ext):
    problems = loop_problems(ext, "part1")
    expect(not problems, "; ".join(problems))


@pytest.mark.graded(item="p1_vectorization", weight=0.5)
def test_naive_version_loops(ext):
    node = function_node(ext, "softmax_loss_naive")
    if node is not None and is_stub(node):
        raise NotImplementedFail("softmax_loss_naive is not implemented yet (it raises NotImplementedError)")
    expect(node is not None and loops_in(node),
           "softmax_loss_naive must use explicit Python loops (it is the reference the vectorized version is timed against)")


@pytest.mark.timing
@pytest.mark.graded(item="p1_vectorization", weight=1)
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
                          f"on a 500 x 65 batch (need {need:g}x): remove Python-level loops and per-example work")
