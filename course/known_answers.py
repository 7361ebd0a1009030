"""Known answers: small fixed inputs and what the reference solution returns on them.

Computed once, when the notebooks are generated (`make notebooks`), from the
solution notebooks' code (autograder.reference, the same reference the grader
uses), and written into each notebook's helper cell as KNOWN_ANSWERS. Nothing
here runs in a student's notebook: the notebook holds the numbers, and
course/known_answer_checks.py compares a student's outputs with them.

A case (one call of one function) holds:
  title      what the inputs exercise, shown with the verdict
  call       how the grader calls it (course/contract.py "calls")
  args       the inputs (2-decimal numbers, so they read and round-trip exactly)
  construct, attributes   for a method: how the instance is built and what is set on it
  forward    for a backward pass: the forward call whose cache it receives
  returns    the names of what it returns (None for a cache, which is not compared)
  expected   the reference's outputs, to SIGNIFICANT_DIGITS digits
  variants   what realistic mistakes return on the same inputs, each with its hints
  hints      what to look at when an output is wrong in no recognisable way
  N          the batch size (to recognise "N times too large")
"""

from __future__ import annotations

import numpy as np

from .config import load_config
from .contract import CONTRACT, CONVENTIONS

SIGNIFICANT_DIGITS = 8  # the checks compare to a relative 1e-6
INPUT_DECIMALS = 2
REG = 0.1  # large enough that the regularization term is a sizeable part of loss and gradient

FINITE_HINT = (
    "for scores near +1000 in some rows and near -1000 in others, np.exp overflows to inf (or "
    "every exponential of a row underflows to 0): subtract each row's own maximum score "
    "(scores.max(axis=1, keepdims=True)) before np.exp; one maximum for the whole matrix is "
    "not enough when rows are far apart"
)
DELEGATE_HINT = (
    "LinearSoftmax.loss should return softmax_loss_vectorized(self.W, X_batch, y_batch, reg); "
    "if softmax_loss_vectorized fails its own known answers, fix it first"
)
NO_REG_PASSED_HINT = (
    "there is no regularization: does LinearSoftmax.loss pass reg on? It should return "
    "softmax_loss_vectorized(self.W, X_batch, y_batch, reg)"
)
LARGE_HINT = "right for ordinary scores but wrong for large ones: subtract each row's own maximum score before np.exp"


def known_answers(reference=None) -> dict:
    """{part: {"name" or "Class.method": [case]}} for every part of the contract."""
    if reference is None:
        from autograder.reference import load_reference  # the solutions, read as the grader reads them

        reference = load_reference()
    rng = np.random.default_rng(load_config().seed)
    return {"part1": _part1(reference, rng), "part2": _part2(reference, rng)}


# ---------------------------------------------------------------- numbers


def _inputs(array) -> np.ndarray:
    """Inputs are rounded to INPUT_DECIMALS: short to print, and exactly what the notebook reads back."""
    array = np.asarray(array, dtype=np.float64)
    return np.array([float(f"{v:.{INPUT_DECIMALS}f}") for v in array.ravel()]).reshape(array.shape)


def _literal(value):
    """Arrays -> nested lists; floats -> SIGNIFICANT_DIGITS digits; ints stay ints."""
    if isinstance(value, dict):
        return {k: _literal(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_literal(v) for v in value]
    if isinstance(value, np.ndarray):
        return _literal(value.tolist())
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(f"{float(value):.{SIGNIFICANT_DIGITS}g}")
    return value


def _call_of(qualname, names):
    """The grader's call of `qualname` whose arguments are `names` (the order and keywords it uses)."""
    name, _, method = qualname.partition(".")
    spec = next(p[name] for p in CONTRACT.values() if name in p)
    spec = spec["methods"][method] if method else spec
    return next(c for c in spec["calls"] if [a.rstrip("=") for a in c] == list(names))


def _case(qualname, title, args, returns, expected, **extra) -> dict:
    names = list(args) + (["cache"] if "forward" in extra else [])  # a backward pass gets the forward's cache
    case = {
        "title": title,
        "call": _call_of(qualname, names),
        "args": args,
        "returns": returns,
        "expected": expected,
        **extra,
    }
    return _literal(case)


def _labels_without_last_class(rng, n, c):
    """n labels using every class but the last (so C must come from the weights' or scores' shape)."""
    return rng.permutation(np.arange(n) % (c - 1)).astype(np.int64)


# ----------------------------------------------------------------- part 1


def _loss_outputs(fn, W, X, y, reg):
    loss, dW = fn(W, X, y, reg)
    return {"loss": float(loss), "dW": np.asarray(dW)}


def _regularization_variants(fn, W, X, y, reg, n):
    """What the usual regularization and averaging mistakes of Part 1 return."""
    full, data = _loss_outputs(fn, W, X, y, reg), _loss_outputs(fn, W, X, y, 0.0)
    bias_row_left_out = {
        "loss": data["loss"] + reg * np.sum(W[:-1] ** 2),
        "dW": data["dW"] + 2 * reg * np.vstack([W[:-1], np.zeros((1, W.shape[1]))]),
    }
    summed = {"loss": n * data["loss"] + (full["loss"] - data["loss"]), "dW": n * data["dW"] + 2 * reg * W}
    both = (
        "the bias row W[-1] is left out of the regularization. In Part 1 the bias trick makes the bias "
        "the last row of W, and the penalty reg * np.sum(W * W) covers the whole W, bias row included"
    )
    return [
        {
            "outputs": data,
            "hints": {
                "loss": "the loss has no regularization term: add reg * np.sum(W * W)",
                "dW": "dW has no regularization gradient: add 2 * reg * W",
            },
        },
        {
            "outputs": _loss_outputs(fn, W, X, y, reg / 2),
            "hints": {
                "loss": "the regularization term is halved: the penalty is reg * np.sum(W * W), "
                "with no factor 0.5 in this course",
                "dW": "the regularization gradient is reg * W, but the derivative of reg * np.sum(W * W) "
                "is 2 * reg * W",
            },
        },
        {"outputs": bias_row_left_out, "hints": {"loss": both, "dW": both}},
        {
            "outputs": summed,
            "hints": {
                "loss": "the data loss is summed over the N examples: divide it by N "
                "(the loss is the mean over the examples)",
                "dW": "the data gradient is summed over the N examples: divide it by N",
            },
        },
    ]


def _large_linear_problem(rng, n=4, c=3):
    """W (c + 2, c), X (n, c + 2), y (n,) whose scores X @ W sit near +1000 in even rows and
    near -1000 in odd rows, the correct class of even rows 800 ahead of the others: exp
    overflows unless each row's own maximum is subtracted (a global maximum, or the row
    minimum, fails), while -log of the correct class's probability stays finite."""
    y = rng.integers(0, c, size=n).astype(np.int64)
    sign = np.where(np.arange(n) % 2 == 0, 1.0, -1.0)
    lead = np.zeros((n, c))
    lead[::2][np.arange(len(y[::2])), y[::2]] = 1.0
    X = _inputs(np.column_stack([lead, rng.standard_normal(n), sign]))
    W = _inputs(np.vstack([800.0 * np.eye(c), 0.5 * rng.standard_normal((1, c)), 1000.0 + rng.standard_normal((1, c))]))
    return W, X, y


def _part1(ref, rng) -> dict:
    n, d, c = 5, 4, 3
    X = _inputs(np.column_stack([rng.standard_normal((n, d - 1)), np.ones(n)]))
    W = _inputs(0.5 * rng.standard_normal((d, c)))
    y = _labels_without_last_class(rng, n, c)
    title = (
        f"N={n}, D={d}, C={c}, reg={REG}; the last row of W (the bias) is not zero; "
        f"class {c - 1} does not occur in y, so C comes from W.shape[1]"
    )
    Wl, Xl, yl = _large_linear_problem(rng)
    large_title = "scores near +1000 in some rows and near -1000 in others, reg=0"
    hints = {
        "loss": "check the cross-entropy: -log of the softmax probability of the correct class, "
        "averaged over the N examples, plus reg * np.sum(W * W)",
        "dW": "check dW = X.T @ (P - Y) / N + 2 * reg * W, with P the probabilities and Y the one-hot labels",
    }
    cases = {}
    for name in ("softmax_loss_naive", "softmax_loss_vectorized"):
        fn = ref[name]
        cases[name] = [
            _case(
                name,
                title,
                {"W": W, "X": X, "y": y, "reg": REG},
                ["loss", "dW"],
                _loss_outputs(fn, W, X, y, REG),
                variants=_regularization_variants(fn, W, X, y, REG, n),
                hints=hints,
                N=n,
            ),
            _case(
                name,
                large_title,
                {"W": Wl, "X": Xl, "y": yl, "reg": 0.0},
                ["loss", "dW"],
                _loss_outputs(fn, Wl, Xl, yl, 0.0),
                hints={"finite": FINITE_HINT, "value": LARGE_HINT},
                N=len(yl),
            ),
        ]
    fn = ref["softmax_loss_vectorized"]
    cases["LinearSoftmax.loss"] = [
        _case(
            "LinearSoftmax.loss",
            f"self.W = the W of known answer 1 of softmax_loss_vectorized, reg={REG}",
            {"X_batch": X, "y_batch": y, "reg": REG},
            ["loss", "dW"],
            _loss_outputs(fn, W, X, y, REG),
            construct={"call": [], "args": {}},
            attributes={"W": W},
            variants=[
                {
                    "outputs": _loss_outputs(fn, W, X, y, 0.0),
                    "hints": {"loss": NO_REG_PASSED_HINT, "dW": NO_REG_PASSED_HINT},
                }
            ],
            hints={"loss": DELEGATE_HINT, "dW": DELEGATE_HINT},
            N=n,
        )
    ]
    return cases


# ----------------------------------------------------------------- part 2


def _net_outputs(ref, params, X, y, reg):
    net = ref["TwoLayerNet"](*params["W1"].shape, params["W2"].shape[1])
    net.params = {k: v.copy() for k, v in params.items()}
    loss, grads = net.loss(X, y, reg=reg)
    return {"loss": float(loss), "grads": {k: np.asarray(grads[k]) for k in params}}


def _net_variants(ref, params, X, y, reg, n):
    full, data = _net_outputs(ref, params, X, y, reg), _net_outputs(ref, params, X, y, 0.0)
    biases = {
        "loss": full["loss"] + reg * (np.sum(params["b1"] ** 2) + np.sum(params["b2"] ** 2)),
        "grads": {k: g + 2 * reg * params[k] if k.startswith("b") else g for k, g in full["grads"].items()},
    }
    summed = {
        "loss": n * data["loss"] + (full["loss"] - data["loss"]),
        "grads": {k: n * data["grads"][k] + (full["grads"][k] - data["grads"][k]) for k in params},
    }
    bias_hint = "the biases are regularized: in Part 2 only W1 and W2 are, never b1 and b2"
    return [
        {
            "outputs": data,
            "hints": {
                "loss": "the loss has no regularization term: add reg * (np.sum(W1 * W1) + np.sum(W2 * W2))",
                "grads": "no regularization gradient: add 2 * reg * W1 to grads['W1'] and 2 * reg * W2 to grads['W2']",
            },
        },
        {
            "outputs": _net_outputs(ref, params, X, y, reg / 2),
            "hints": {
                "loss": "the regularization term is halved: the penalty is reg * (np.sum(W1 * W1) + np.sum(W2 * W2)), "
                "with no factor 0.5 in this course",
                "grads": "the regularization gradient is reg * W, but the derivative of reg * np.sum(W * W) "
                "is 2 * reg * W",
            },
        },
        {"outputs": biases, "hints": {"loss": bias_hint, "grads": bias_hint}},
        {
            "outputs": summed,
            "hints": {
                "loss": "the data loss is summed over the N examples: average it (divide by N)",
                "grads": "the data gradient is summed over the N examples: divide by N "
                "(softmax_loss's dscores already is)",
            },
        },
    ]


def _net_case(rng, n=5, d=3, h=4, c=3):
    """X (n, d), y without the last class, params with non-zero biases and every
    hidden pre-activation at least 0.01 away from 0 (no ReLU kink involved)."""
    while True:
        X = _inputs(rng.standard_normal((n, d)))
        params = {
            "W1": _inputs(0.5 * rng.standard_normal((d, h))),
            "b1": _inputs(0.5 * rng.standard_normal(h)),
            "W2": _inputs(0.5 * rng.standard_normal((h, c))),
            "b2": _inputs(0.5 * rng.standard_normal(c)),
        }
        if np.min(np.abs(X @ params["W1"] + params["b1"])) > 1e-2:
            return X, _labels_without_last_class(rng, n, c), params


def _part2(ref, rng) -> dict:
    cases = {}
    x, w, b = (
        _inputs(rng.standard_normal((2, 3, 2))),
        _inputs(rng.standard_normal((6, 3))),
        _inputs(rng.standard_normal(3)),
    )
    affine_args = {"x": x, "w": w, "b": b}
    cases["affine_forward"] = [
        _case(
            "affine_forward",
            "x of shape (2, 3, 2) (each example flattened to D=6), a non-zero b",
            affine_args,
            ["out", None],
            {"out": ref["affine_forward"](x, w, b)[0]},
            hints={
                "out": "flatten each example to one row of D numbers, then multiply by w and add b",
                "out shape": "flatten each example to one row of D numbers first",
            },
        )
    ]
    dout = _inputs(rng.standard_normal((2, 3)))
    dx, dw, db = ref["affine_backward"](dout, ref["affine_forward"](x, w, b)[1])
    cases["affine_backward"] = [
        _case(
            "affine_backward",
            "the cache of affine_forward on known answer 1's x, w, b; dout of shape (2, 3)",
            {"dout": dout},
            ["dx", "dw", "db"],
            {"dx": dx, "dw": dw, "db": db},
            forward={"name": "affine_forward", "call": _call_of("affine_forward", affine_args), "args": affine_args},
            hints={
                "dx": "combine dout (N, M) with w (D, M) into (N, D), then give it the shape of x",
                "dx shape": "dx must have the shape of x: reshape it with .reshape(x.shape)",
                "dw": "dw has the shape of w (D, M): the product of x flattened to (N, D) and dout (N, M) "
                "that has this shape",
                "db": "b is added to each of the N rows, so db sums dout over the examples",
                "db shape": "db has one entry per output: sum dout over axis 0 (the examples)",
            },
            N=2,
        )
    ]

    xr = _inputs(rng.standard_normal((3, 4)))
    xr[0, 1] = xr[1, 3] = xr[2, 0] = 0.0  # exactly at the kink
    dout_r = _inputs(rng.standard_normal((3, 4)))
    dout_r[0, 1] = abs(dout_r[0, 1]) + 0.5  # a positive upstream gradient where x == 0
    relu_zero = CONVENTIONS["relu_zero"]["rule"]
    cases["relu_forward"] = [
        _case(
            "relu_forward",
            "x with some entries exactly 0",
            {"x": xr},
            ["out", None],
            {"out": ref["relu_forward"](xr)[0]},
            hints={"out": "out is max(0, x), element by element"},
        )
    ]
    cases["relu_backward"] = [
        _case(
            "relu_backward",
            "x with some entries exactly 0: dx must be 0 there",
            {"dout": dout_r},
            "dx",
            {"dx": ref["relu_backward"](dout_r, ref["relu_forward"](xr)[1])},
            forward={"name": "relu_forward", "call": ["x"], "args": {"x": xr}},
            variants=[
                {
                    "outputs": {"dx": np.where(xr >= 0, dout_r, 0.0)},
                    "hints": {"dx": f"the convention (see the docstring): {relu_zero}; use x > 0, not x >= 0"},
                },
                {
                    "outputs": {"dx": dout_r * (dout_r > 0)},
                    "hints": {"dx": "the mask must come from the forward input x (the cache), not from dout"},
                },
            ],
            hints={"dx": "dx is dout where x > 0 and 0 elsewhere"},
        )
    ]

    n, c = 4, 3
    scores = _inputs(2.0 * rng.standard_normal((n, c)))
    ys = _labels_without_last_class(rng, n, c)
    big = np.where(np.arange(n) % 2 == 0, 1000.0, -1000.0)[:, None] + _inputs(2.0 * rng.standard_normal((n, c)))
    yb = rng.integers(0, c, size=n).astype(np.int64)
    big[::2][np.arange(len(yb[::2])), yb[::2]] += 800.0
    big = _inputs(big)
    softmax_hints = {
        "loss": "the loss is the mean over N of -log(softmax probability of the correct class)",
        "dscores": "dscores = (probabilities - one_hot(y)) / N",
    }
    cases["softmax_loss"] = [
        _case(
            "softmax_loss",
            f"N={n}, C={c}; class {c - 1} does not occur in y, so C comes from scores.shape[1]",
            {"scores": scores, "y": ys},
            ["loss", "dscores"],
            _softmax_outputs(ref, scores, ys),
            hints=softmax_hints,
            N=n,
        ),
        _case(
            "softmax_loss",
            "scores near +1000 in some rows and near -1000 in others",
            {"scores": big, "y": yb},
            ["loss", "dscores"],
            _softmax_outputs(ref, big, yb),
            hints={"finite": FINITE_HINT, "value": LARGE_HINT},
            N=n,
        ),
    ]

    X, y, params = _net_case(rng)
    d, h = params["W1"].shape
    construct = {
        "call": _call_of("TwoLayerNet.__init__", ["input_size", "hidden_size", "output_size", "std"]),
        "args": {"input_size": d, "hidden_size": h, "output_size": params["W2"].shape[1], "std": 0.1},
    }
    net = ref["TwoLayerNet"](d, h, params["W2"].shape[1])
    net.params = {k: v.copy() for k, v in params.items()}
    setting = f"N={len(y)}, D={d}, H={h}, C={params['W2'].shape[1]}, non-zero biases"
    cases["TwoLayerNet.loss"] = [
        _case(
            "TwoLayerNet.loss",
            f"loss(X): the scores; {setting}",
            {"X": X},
            "scores",
            {"scores": net.loss(X)},
            construct=construct,
            attributes={"params": params},
            hints={"scores": "scores = relu(X @ W1 + b1) @ W2 + b2: check both layers and both biases"},
        ),
        _case(
            "TwoLayerNet.loss",
            f"loss(X, y, reg={REG}); {setting}",
            {"X": X, "y": y, "reg": REG},
            ["loss", "grads"],
            _net_outputs(ref, params, X, y, REG),
            construct=construct,
            attributes={"params": params},
            variants=_net_variants(ref, params, X, y, REG, len(y)),
            hints={
                "loss": "loss = softmax_loss of the scores + reg * (np.sum(W1 * W1) + np.sum(W2 * W2))",
                "grads": "go back through the layers in reverse order with their caches; add 2 * reg * W "
                "to the weight gradients only (TwoLayerNet uses your layer functions: "
                "their own checks must pass first)",
            },
            N=len(y),
        ),
    ]
    return cases


def _softmax_outputs(ref, scores, y):
    loss, dscores = ref["softmax_loss"](scores, y)
    return {"loss": float(loss), "dscores": np.asarray(dscores)}
