"""Part 1 vectorization: loop policy checked with ast, and a speed ratio.

The speed test keeps the data inside the student's process (sb.store) so that
moving arrays does not dominate. It measures CPU time, read from outside the
student's process (Sandbox.cpu_seconds: the sandbox's cgroup, or /proc), so
neither a busy neighbour nor student code patching its own process can change
it; naive and vectorized calls alternate in rounds, each with a fresh W (a
cached answer would be wrong), and every timed result is checked. The
vectorized loss must be `grader_speedup_min` times faster than the student's
naive one, and at most `vectorized_vs_reference_max` times slower than the
course's (a floor the student's own naive version cannot move).
"""

import time

import pytest

from autograder.checks import Fail, NotImplementedFail, as_float, as_tuple, convention, expect
from autograder.hidden_tests.inputs import linear_problem
from autograder.hidden_tests.vectorization import check_loops, check_no_loops, loop_tests
from course.config import load_config

N, D, C = 500, 65, 10  # a digits-sized batch (64 pixels and the bias column)
ROUNDS, VEC_CALLS = 3, 8  # each round: one naive call, then VEC_CALLS vectorized calls
CPU_RESOLUTION = 0.01  # seconds: /proc counts CPU time in clock ticks when there is no cgroup
TIMED_TOL = 1e-6  # relative: a timed call must return the loss, not a cached or made-up number


# The item is mostly about softmax_loss_vectorized: its loop-free code (1) and its speed (1).
@loop_tests(
    "part1",
    "p1_vectorization",
    {
        "softmax_loss_vectorized": 1.0,
        "LinearSoftmax.__init__": 0.1,
        "LinearSoftmax.predict": 0.1,
        "LinearSoftmax.loss": 0.1,
    },
)
def test_no_loops(ext, qualname):
    check_no_loops(ext, qualname, "part1")


@pytest.mark.graded(item="p1_vectorization", weight=0.2, kind="structure", needs=("p1_softmax_naive",))
def test_naive_version_loops(ext):
    check_loops(ext, "softmax_loss_naive", convention("naive_loops"))


@pytest.mark.timing
@pytest.mark.graded(
    item="p1_vectorization", weight=1, kind="structure", needs=("p1_softmax_naive", "p1_softmax_vectorized")
)
def test_vectorized_faster_than_naive(student, ref, rng, ext):
    # the ratio means something only against a naive version that really loops over the examples
    try:
        check_loops(ext, "softmax_loss_naive", "")
    except NotImplementedFail:
        raise
    except Fail as exc:
        raise Fail(f"no speed ratio without a naive version to measure it against: {exc.diagnosis}") from None
    grading = load_config().grading
    need, slowest = grading["grader_speedup_min"], grading["vectorized_vs_reference_max"]
    _, X, y = linear_problem(rng, N, D, C, scale=0.01)  # a digits-sized batch
    hX, hy = student.store(X), student.store(y)
    naive_cpu = vec_cpu = ref_cpu = 0.0
    for _ in range(ROUNDS):
        Ws = [rng.standard_normal((D, C)) for _ in range(1 + VEC_CALLS)]  # fresh and far apart: nothing to cache
        before = student.cpu_seconds()
        student.call("softmax_loss_naive", Ws[0], hX, hy, 0.0)
        middle = student.cpu_seconds()
        vec = [student.call("softmax_loss_vectorized", W, hX, hy, 0.0) for W in Ws[1:]]
        after = student.cpu_seconds()
        naive_cpu, vec_cpu = naive_cpu + middle - before, vec_cpu + after - middle
        started = time.process_time()
        want = [ref["softmax_loss_vectorized"](W, X, y, 0.0)[0] for W in Ws[1:]]
        ref_cpu += time.process_time() - started
        for got, expected in zip(vec, want):  # timed calls must compute the real thing
            loss = as_float(as_tuple(got, "a timed call", ("loss", "dW"))[0], "the loss of a timed call")
            expect(
                abs(loss - expected) <= TIMED_TOL * abs(expected),
                f"softmax_loss_vectorized returned wrong losses while it was timed ({N} x {D} batch, reg=0), "
                f"so its speed is not credited (see 'softmax_loss_vectorized: loss and gradient')",
            )
    per_call_naive, per_call_vec = naive_cpu / ROUNDS, max(vec_cpu, CPU_RESOLUTION) / (ROUNDS * VEC_CALLS)
    ratio = per_call_naive / per_call_vec
    expect(
        ratio >= need,
        f"softmax_loss_vectorized is only {ratio:.1f}x faster than softmax_loss_naive "
        f"on a {N} x {D} batch (CPU time; need {need:g}x)",
        "remove Python-level loops and per-example work",
    )
    expect(
        vec_cpu <= slowest * ref_cpu + CPU_RESOLUTION,
        f"softmax_loss_vectorized takes {vec_cpu / max(ref_cpu, 1e-9):.0f}x the CPU time of the course's "
        f"vectorized loss on a {N} x {D} batch (at most {slowest:g}x)",
        "avoid building arrays much larger than (N, C) or (D, C)",
    )
