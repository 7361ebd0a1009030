"""Part 2 layers: affine (multi-dimensional x, non-zero bias), ReLU, softmax_loss.

Thresholds (relative errors, float64, centered differences with h = 1e-5):
- affine and softmax_loss are smooth (affine is linear: finite differences are
  exact up to rounding, ~1e-10): gradients must agree to 1e-5, as in Part 1.
- ReLU has a kink at 0 where finite differences are meaningless; the inputs
  are drawn with |x| >= 1e-2 >> h, so the function is linear in the whole
  +-h box around each point and the same 1e-5 threshold applies.
- Forward values are compared at 1e-7 (same float64 arithmetic up to
  summation order).
"""

import numpy as np
import pytest

from autograder.checks import (
    Fail,
    as_array,
    as_float,
    as_tuple,
    check_close,
    check_close_scaled,
    check_value,
    check_value_scaled,
    convention,
    expect,
    numerical_gradient,
    numerical_gradient_array,
    on_large_scores,
)
from autograder.hidden_tests.inputs import away_from_zero, labels_not_covering, large_scores

GRAD_TOL = 1e-5
FWD_TOL = 1e-7


def affine_case(rng, shape=(3, 4, 2), m=5):
    x = rng.standard_normal(shape)
    d = int(np.prod(shape[1:]))
    return x, rng.standard_normal((d, m)), rng.standard_normal(m)  # non-zero bias


def affine_forward(student, x, w, b):
    out, cache = as_tuple(student.call("affine_forward", x, w, b), "affine_forward", ("out", "cache"))
    return as_array(out, "affine_forward: out", (x.shape[0], w.shape[1])), cache


def affine_backward(student, dout, cache, x, w, b):
    dx, dw, db = as_tuple(student.call("affine_backward", dout, cache), "affine_backward", ("dx", "dw", "db"))
    if isinstance(dx, np.ndarray) and dx.shape != x.shape and dx.size == x.size:
        raise Fail(f"dx has shape {dx.shape} but must have the shape of x {x.shape}", "reshape it back")
    return (as_array(dx, "dx", x.shape), as_array(dw, "dw", w.shape), as_array(db, "db", b.shape))


# ------------------------------------------------------------------ affine

# x shapes: examples of several dimensions (flattened by affine_forward) and plain rows
SHAPES = {"x3d": (3, 4, 2), "one_row": (1, 7), "x4d": (2, 3, 2, 2)}
BACKWARD_SHAPES = {"x3d": (3, 4, 2), "rows": (4, 6)}


@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
@pytest.mark.graded(item="p2_affine", weight=1 / 3, group="forward")
def test_affine_forward(student, ref, rng, shape):
    x, w, b = affine_case(rng, shape)
    out, _ = affine_forward(student, x, w, b)
    check_close(
        "out",
        out,
        ref["affine_forward"](x, w, b)[0],
        FWD_TOL,
        f"for x of shape {shape}",
        "flatten each example to a row, then x.dot(w) + b",
    )


@pytest.mark.parametrize("shape", BACKWARD_SHAPES.values(), ids=BACKWARD_SHAPES.keys())
@pytest.mark.parametrize("grad", ["dx", "dw", "db"])
@pytest.mark.graded(item="p2_affine", weight=0.25, group="backward")
def test_affine_backward_against_reference(student, ref, rng, grad, shape):
    x, w, b = affine_case(rng, shape)
    out, cache = affine_forward(student, x, w, b)
    dout = rng.standard_normal(out.shape)
    got = dict(zip(("dx", "dw", "db"), affine_backward(student, dout, cache, x, w, b)))[grad]
    fwd = {
        "dx": lambda v: ref["affine_forward"](v, w, b)[0],
        "dw": lambda v: ref["affine_forward"](x, v, b)[0],
        "db": lambda v: ref["affine_forward"](x, w, v)[0],
    }[grad]
    num = numerical_gradient_array(fwd, {"dx": x, "dw": w, "db": b}[grad], dout)
    fixes = {
        "dx": "dx = dout.dot(w.T), reshaped like x",
        "dw": "dw = (x flattened to (N, D)).T.dot(dout)",
        "db": "db sums dout over the examples (axis 0)",
    }
    check_close(grad, got, num, GRAD_TOL, f"for x of shape {x.shape}", fixes[grad])


@pytest.mark.graded(item="p2_affine", weight=0.5, kind="structure", group="forward")
def test_affine_backward_matches_own_forward(student, rng):
    x, w, b = affine_case(rng, (2, 3, 2), 3)
    out, cache = affine_forward(student, x, w, b)
    dout = rng.standard_normal(out.shape)
    dx, dw, db = affine_backward(student, dout, cache, x, w, b)
    own = lambda *a: affine_forward(student, *a)[0]
    for name, got, num in (
        ("dx", dx, numerical_gradient_array(lambda v: own(v, w, b), x, dout)),
        ("dw", dw, numerical_gradient_array(lambda v: own(x, v, b), w, dout)),
        ("db", db, numerical_gradient_array(lambda v: own(x, w, v), b, dout)),
    ):
        check_close(name, got, num, GRAD_TOL, "against the numerical derivative of your own affine_forward")


@pytest.mark.graded(item="p2_affine", weight=0.25, kind="structure")
def test_affine_inputs_unchanged(student, rng):
    x, w, b = affine_case(rng)
    result, after = student.call("affine_forward", x, w, b, echo_args=True)
    _, cache = as_tuple(result, "affine_forward", ("out", "cache"))
    for name, before, now in zip("xwb", (x, w, b), after):
        expect(
            np.array_equal(now, before),
            f"affine_forward modified its input {name} in place",
            "compute the output in a new array",
        )
    dout = rng.standard_normal((x.shape[0], w.shape[1]))
    _, after = student.call("affine_backward", dout, cache, echo_args=True)
    expect(np.array_equal(after[0], dout), "affine_backward modified dout in place" + convention("dout_unchanged"))


# -------------------------------------------------------------------- relu


@pytest.mark.graded(item="p2_relu", weight=0.5, group="forward")
def test_relu_forward(student, ref, rng):
    for shape in [(4, 5), (2, 3, 4)]:
        x = rng.standard_normal(shape)
        x.flat[::7] = 0.0
        out = as_array(
            as_tuple(student.call("relu_forward", x), "relu_forward", ("out", "cache"))[0], "relu_forward: out", shape
        )
        check_close(
            "out",
            out,
            ref["relu_forward"](x)[0],
            FWD_TOL,
            f"for x of shape {shape}",
            "relu_forward computes max(0, x) elementwise",
        )


@pytest.mark.graded(item="p2_relu", weight=0.25, kind="structure", group="forward")
def test_relu_forward_keeps_x(student, rng):
    x = rng.standard_normal((4, 5))
    _, after = student.call("relu_forward", x, echo_args=True)
    expect(np.array_equal(after[0], x), "relu_forward modified x in place", "return a new array")


def relu_backward(student, dout, cache, shape):
    return as_array(student.call("relu_backward", dout, cache), "relu_backward: dx", shape)


@pytest.mark.graded(item="p2_relu", weight=1, group="backward")
def test_relu_backward_against_reference(student, ref, rng):
    for shape in [(4, 5), (2, 3, 4)]:
        x = away_from_zero(rng, shape)
        _, cache = as_tuple(student.call("relu_forward", x), "relu_forward", ("out", "cache"))
        dout = rng.standard_normal(shape)
        dx = relu_backward(student, dout, cache, shape)
        num = numerical_gradient_array(lambda v: ref["relu_forward"](v)[0], x, dout)
        check_close(
            "dx",
            dx,
            num,
            GRAD_TOL,
            f"for x of shape {shape}",
            "dx is dout where the forward input was positive, 0 elsewhere",
        )


@pytest.mark.graded(item="p2_relu", weight=0.25, kind="structure", group="forward")
def test_relu_backward_matches_own_forward(student, rng):
    x = away_from_zero(rng, (3, 4))
    _, cache = as_tuple(student.call("relu_forward", x), "relu_forward", ("out", "cache"))
    dout = rng.standard_normal(x.shape)
    dx = relu_backward(student, dout, cache, x.shape)
    own = lambda v: as_array(
        as_tuple(student.call("relu_forward", v), "relu_forward", ("out", "cache"))[0], "relu_forward: out", v.shape
    )
    check_close(
        "dx",
        dx,
        numerical_gradient_array(own, x, dout),
        GRAD_TOL,
        "against the numerical derivative of your own relu_forward",
    )


@pytest.mark.graded(item="p2_relu", weight=0.25, group="backward")
def test_relu_backward_at_zero(student, rng):
    """At the kink the notebook fixes the convention: dx = 0 where x == 0 (and dout where x > 0)."""
    x = away_from_zero(rng, (4, 5))
    x[::2, ::2] = 0.0
    _, cache = as_tuple(student.call("relu_forward", x), "relu_forward", ("out", "cache"))
    dout = rng.standard_normal(x.shape)
    dx = relu_backward(student, dout, cache, x.shape)
    expect(
        not np.any(dx[x == 0.0]),
        "relu_backward gives dx != 0 where x == 0" + convention("relu_zero"),
        "use x > 0, not x >= 0",
    )
    check_close(
        "dx",
        dx,
        dout * (x > 0),
        GRAD_TOL,
        "where x is exactly 0 in some entries",
        "dx is dout where the forward input was positive, 0 elsewhere",
    )


@pytest.mark.graded(item="p2_relu", weight=0.5, kind="structure", group="backward")
def test_relu_backward_keeps_dout(student, rng):
    """A classic: dout[x <= 0] = 0 overwrites the caller's upstream gradient."""
    x = away_from_zero(rng, (5, 6))
    _, cache = as_tuple(student.call("relu_forward", x), "relu_forward", ("out", "cache"))
    dout = rng.standard_normal(x.shape)
    _, after = student.call("relu_backward", dout, cache, echo_args=True)
    expect(
        np.array_equal(after[0], dout),
        "relu_backward modified dout in place" + convention("dout_unchanged"),
        "compute dx in a new array (dx = dout * (x > 0), not dout[x <= 0] = 0)",
    )


# ------------------------------------------------------------ softmax_loss


def softmax_loss(student, scores, y):
    loss, dscores = as_tuple(student.call("softmax_loss", scores, y), "softmax_loss", ("loss", "dscores"))
    return as_float(loss, "softmax_loss: loss"), as_array(dscores, "dscores", scores.shape)


def scores_case(rng, n, c, scale=2.0):
    return scale * rng.standard_normal((n, c)), rng.integers(0, c, size=n).astype(np.int64)


def shape_cases(*cases):
    return pytest.mark.parametrize("n, c", cases, ids=[f"N{n}_C{c}" for n, c in cases])


@shape_cases((1, 3), (5, 2), (12, 10))
@pytest.mark.graded(item="p2_softmax_loss", weight=1 / 3)
def test_softmax_loss_value(student, ref, rng, n, c):
    scores, y = scores_case(rng, n, c)
    loss, _ = softmax_loss(student, scores, y)
    want = float(ref["softmax_loss"](scores, y)[0])
    check_value_scaled(
        "loss", loss, want, 1e-6, n, f"(N={n}, C={c})", "mean over N of -log(softmax probability of the correct class)"
    )


@shape_cases((1, 3), (6, 2), (8, 5))
@pytest.mark.graded(item="p2_softmax_loss", weight=1 / 3)
def test_dscores_against_reference(student, ref, rng, n, c):
    scores, y = scores_case(rng, n, c)
    _, dscores = softmax_loss(student, scores, y)
    num = numerical_gradient(lambda s: float(ref["softmax_loss"](s, y)[0]), scores)
    check_close_scaled(
        "dscores", dscores, num, GRAD_TOL, n, f"(N={n}, C={c})", "dscores = (probabilities - one_hot(y)) / N"
    )


@pytest.mark.graded(item="p2_softmax_loss", weight=0.5, kind="structure")
def test_dscores_matches_own_loss(student, rng):
    scores, y = scores_case(rng, 4, 3)
    _, dscores = softmax_loss(student, scores, y)
    num = numerical_gradient(lambda s: softmax_loss(student, s, y)[0], scores)
    check_close("dscores", dscores, num, GRAD_TOL, "against the numerical derivative of your own loss")


@pytest.mark.graded(item="p2_softmax_loss", weight=1)
def test_softmax_loss_large_scores(student, ref, rng):
    _, y = scores_case(rng, 8, 5)
    scores = large_scores(rng, y, 5)
    loss, dscores = on_large_scores(lambda: softmax_loss(student, scores, y))
    want_loss, want_d = ref["softmax_loss"](scores, y)
    # finite but wrong: not (only) a stability problem, so no stability advice
    check_value("loss", loss, float(want_loss), 1e-6, "for scores around +-1e3")
    check_close("dscores", dscores, want_d, GRAD_TOL, "for scores around +-1e3")


@pytest.mark.graded(item="p2_softmax_loss", weight=0.5)
def test_softmax_loss_labels_not_covering_every_class(student, ref, rng):
    n, c = 8, 6
    scores = rng.standard_normal((n, c))
    y = labels_not_covering(rng, n, c)
    loss, dscores = softmax_loss(student, scores, y)
    want_loss, want_d = ref["softmax_loss"](scores, y)
    context, fix = "when the batch has no example of the last classes", "take C from scores.shape[1], not max(y) + 1"
    check_value("loss", loss, float(want_loss), 1e-6, context, fix)
    check_close("dscores", dscores, want_d, GRAD_TOL, context, fix)


@pytest.mark.graded(item="p2_softmax_loss", weight=0.25, kind="structure")
def test_softmax_loss_inputs_unchanged(student, rng):
    scores, y = scores_case(rng, 6, 4)
    _, after = student.call("softmax_loss", scores, y, echo_args=True)
    expect(
        np.array_equal(after[0], scores),
        "softmax_loss modified scores in place",
        "work on a shifted copy (not scores -= max)",
    )
    expect(np.array_equal(after[1], y), "softmax_loss modified y in place")
