"""softmax_loss_naive and softmax_loss_vectorized: values, gradients, stability.

Thresholds (relative errors, float64):
- Loss values are compared with the reference at 1e-6: both are float64 sums
  of a few dozen terms, so correct code agrees to ~1e-14; 1e-6 still lets a
  float32 computation pass.
- Gradients are compared with centered finite differences (h = 1e-5) at 1e-5.
  The softmax loss is smooth (infinitely differentiable), so the truncation
  error is O(h^2 * f''') ~ 1e-10 and the rounding error ~ eps * |f| / h ~ 1e-11,
  relative to gradient entries of order 1e-2..1: correct code measures ~1e-8.
  The smallest bug we target (a halved regularization gradient with reg = 0.5
  and |W| ~ 0.5) gives an error above 1e-1, four orders of magnitude away.
"""

import numpy as np
import pytest

from autograder.checks import (
    as_array,
    as_float,
    as_tuple,
    check_close,
    check_close_scaled,
    check_value,
    check_value_scaled,
    expect,
    numerical_gradient,
    on_large_scores,
    rel_error,
)
from autograder.hidden_tests.inputs import LOSS_SHAPES, REG, labels_not_covering, large_scores_problem, linear_problem

GRAD_TOL = 1e-5
LOSS_TOL = 1e-6
ITEMS = {"softmax_loss_naive": "p1_softmax_naive", "softmax_loss_vectorized": "p1_softmax_vectorized"}


def for_both(weight, kind="value"):
    return pytest.mark.parametrize(
        "fn",
        [
            pytest.param(fn, marks=pytest.mark.graded(item=item, weight=weight, kind=kind), id=fn)
            for fn, item in ITEMS.items()
        ],
    )


def run(student, fn, W, X, y, reg):
    loss, dW = as_tuple(student.call(fn, W, X, y, reg), fn, ("loss", "dW"))
    return as_float(loss, f"{fn}: loss"), as_array(dW, f"{fn}: dW", W.shape)


def ref_loss(ref, W, X, y, reg):
    return float(ref["softmax_loss_vectorized"](W, X, y, reg)[0])


def where(n, d, c, reg):
    return f"(N={n}, D={d}, C={c}, reg={reg})"


def _right_without_reg(student, ref, fn, W, X, y) -> bool:
    """Whether the loss is right at reg=0 (so a failure with reg is the regularization term)."""
    loss, _ = run(student, fn, W, X, y, 0.0)
    want = ref_loss(ref, W, X, y, 0.0)
    return abs(loss - want) <= LOSS_TOL * (abs(loss) + abs(want))


def shapes(cases):
    return pytest.mark.parametrize("n, d, c", cases, ids=[f"N{n}_D{d}_C{c}" for n, d, c in cases])


@shapes(LOSS_SHAPES)
@for_both(1.5 / len(LOSS_SHAPES))
def test_loss_without_regularization(student, ref, rng, fn, n, d, c):
    W, X, y = linear_problem(rng, n, d, c)
    loss, _ = run(student, fn, W, X, y, 0.0)
    want = ref_loss(ref, W, X, y, 0.0)
    check_value_scaled(
        "loss",
        loss,
        want,
        LOSS_TOL,
        n,
        where(n, d, c, 0),
        "check the cross-entropy: -log of the softmax probability of the correct class, averaged over N",
    )


@shapes(LOSS_SHAPES[1:])
@for_both(1 / len(LOSS_SHAPES[1:]))
def test_loss_with_regularization(student, ref, rng, fn, n, d, c):
    W, X, y = linear_problem(rng, n, d, c)
    loss, _ = run(student, fn, W, X, y, REG)
    want = ref_loss(ref, W, X, y, REG)
    if abs(loss - want) <= LOSS_TOL * (abs(loss) + abs(want)):
        return
    context = where(n, d, c, REG) + (
        ", while it is right with reg=0" if _right_without_reg(student, ref, fn, W, X, y) else ""
    )
    check_value(
        "loss",
        loss,
        want,
        LOSS_TOL,
        context,
        "check the regularization term reg * sum(W**2), over the whole W (the bias row included)",
    )


@shapes([(1, 4, 3), (7, 5, 2), (10, 6, 4)])
@for_both(0.5)
def test_gradient_without_regularization(student, ref, rng, fn, n, d, c):
    W, X, y = linear_problem(rng, n, d, c)
    _, dW = run(student, fn, W, X, y, 0.0)
    num = numerical_gradient(lambda w: ref_loss(ref, w, X, y, 0.0), W)
    check_close_scaled(
        "dW", dW, num, GRAD_TOL, n, f"with reg=0 (N={n}, C={c})", "compare each term with the derivative of the loss"
    )


@for_both(1)
def test_gradient_with_regularization(student, ref, rng, fn):
    n, d, c = 8, 6, 4
    W, X, y = linear_problem(rng, n, d, c)
    _, dW = run(student, fn, W, X, y, REG)
    num = numerical_gradient(lambda w: ref_loss(ref, w, X, y, REG), W)
    if rel_error(dW, num)[0] <= GRAD_TOL:
        return
    err_without = rel_error(
        run(student, fn, W, X, y, 0.0)[1], numerical_gradient(lambda w: ref_loss(ref, w, X, y, 0.0), W)
    )[0]
    right_without = err_without <= GRAD_TOL
    check_close(
        "dW",
        dW,
        num,
        GRAD_TOL,
        f"with reg={REG} (N={n}, C={c})"
        + (" while it is right with reg=0" if right_without else ", and wrong with reg=0 too"),
        "check the gradient of the regularization term (2 * reg * W)"
        if right_without
        else "fix the data part of dW first",
    )


@for_both(1, "structure")
def test_gradient_matches_own_loss(student, rng, fn):
    """The analytic dW must be the derivative of the student's own loss."""
    n, d, c = 5, 4, 3
    W, X, y = linear_problem(rng, n, d, c)
    _, dW = run(student, fn, W, X, y, 0.3)
    num = numerical_gradient(lambda w: run(student, fn, w, X, y, 0.3)[0], W)
    check_close(
        "dW",
        dW,
        num,
        GRAD_TOL,
        "against the numerical gradient of your own loss (reg=0.3)",
        "your dW is not the derivative of your own loss",
    )


@for_both(1)
def test_labels_not_covering_every_class(student, ref, rng, fn):
    """C comes from W's shape, not from max(y) + 1."""
    n, d, c = 8, 5, 6
    W, X, _ = linear_problem(rng, n, d, c)
    y = labels_not_covering(rng, n, c)
    loss, dW = run(student, fn, W, X, y, 0.0)
    context = where(n, d, c, 0) + " when the batch has no example of the last classes"
    fix = "take C from W.shape[1], not from max(y) + 1"
    check_value("loss", loss, ref_loss(ref, W, X, y, 0.0), LOSS_TOL, context, fix)
    check_close("dW", dW, ref["softmax_loss_vectorized"](W, X, y, 0.0)[1], GRAD_TOL, context, fix)


@for_both(0.5, "structure")
def test_inputs_unchanged_and_return_types(student, rng, fn):
    W, X, y = linear_problem(rng, 6, 5, 3)
    out, after = student.call(fn, W, X, y, REG, echo_args=True)
    loss, dW = as_tuple(out, fn, ("loss", "dW"))
    as_float(loss, f"{fn}: loss")
    as_array(dW, f"{fn}: dW", W.shape)
    for name, before, now in zip(("W", "X", "y"), (W, X, y), after):
        expect(
            isinstance(now, np.ndarray) and now.shape == before.shape and np.array_equal(now, before),
            f"{fn} modified its input {name} in place",
            "work on a copy (e.g. scores = X.dot(W), not +=/-= on an input)",
        )


@for_both(1)
def test_large_scores_are_stable(student, ref, rng, fn):
    """Scores around +-1e3: exp overflows unless the row maximum is subtracted first."""
    n, d, c = 10, 8, 5
    W, X, y = large_scores_problem(rng, n, d, c)
    loss, dW = on_large_scores(lambda: run(student, fn, W, X, y, 0.0))  # as_float/as_array reject inf/nan
    # finite but wrong: not (only) a stability problem, so no stability advice
    check_value("loss", loss, ref_loss(ref, W, X, y, 0.0), LOSS_TOL, "for scores around +-1e3")
    check_close("dW", dW, ref["softmax_loss_vectorized"](W, X, y, 0.0)[1], GRAD_TOL, "for scores around +-1e3")
