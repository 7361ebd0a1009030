"""The course's functions as grader callbacks for the `classes` sandbox.

The classes (LinearSoftmax, TwoLayerNet) are graded on their own code: the
layer and loss functions they call are the course's, run here in the grader's
process and reached from the sandbox through callbacks (autograder.sandbox),
so no reference code or object is ever inside a process that runs student
code. For `train`, a test replaces the instance's `loss` by the course's
(KIT_SOURCE below), so a bug in the student's loss costs the loss item only;
every such call is recorded in a `Trace`, from which the tests read what train
really did (each update, each learning rate) instead of trusting what it returns.

Arguments come from student code: each callback checks types, sizes and the
work the call would cost before the reference code runs (a product of two huge
shapes, or float16 arrays that numpy multiplies without BLAS, must not hold the
grader's CPU or memory), converts numbers to float64, and refuses anything else
with ValueError, which the child sees as a generic error.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

import numpy as np

from course.contract import contract_names

MAX_ELEMENTS = 2**24  # largest array a callback computes (128 MB of float64)
# Most multiply-adds one callback may cost (~0.1 s with BLAS): the grader's own time is not
# a student's to spend. Training on the digits needs < 2**23 per call.
MAX_WORK = 2**27
CLASSES = ("LinearSoftmax", "TwoLayerNet")
NET_KEYS = ("W1", "b1", "W2", "b2")

# Loaded into the classes sandbox after the student's code (public: nothing here is an answer).
KIT_SOURCE = '''
def __kit_bare(class_name):
    cls = globals()[class_name]
    return cls.__new__(cls)


def __kit_use_reference_loss(obj, kind, with_predict=False):
    """Make obj.loss (and with_predict, obj.predict) the course's, for this instance:
    grader callbacks that read obj.params / obj.W at every call."""
    # extra arguments a student's own methods accept (dropout=..., verbose=...) are ignored
    if kind == "net":
        def loss(X, y=None, reg=0.0, *more, **options):
            return __kit_net_loss(obj.params, X, y, reg)

        def predict(X, *more, **options):
            return __kit_net_predict(obj.params, X)
    else:
        def loss(X_batch, y_batch, reg, *more, **options):
            return __kit_linear_loss(obj.W, X_batch, y_batch, reg)

        def predict(X, *more, **options):
            return __kit_linear_predict(obj.W, X)
    obj.loss = loss
    if with_predict:
        obj.predict = predict


def __kit_loss_at(net, params, X, y, reg):
    """net.loss(X, y, reg=reg) with net.params = params: one request for a numerical gradient."""
    net.params = params
    return net.loss(X, y, reg=reg)


def __kit_drop(obj, name):
    """Undo __kit_use_reference_loss for one method: the class's own method again."""
    obj.__dict__.pop(name, None)
'''


@dataclass
class Call:
    """One recorded call of the course's loss made by a student's train."""

    params: dict  # the parameters it was called with (copies)
    loss: float
    grads: dict  # the gradients it returned
    X: np.ndarray | None = None  # the minibatch it was called on
    y: np.ndarray | None = None


@dataclass
class Trace:
    """The course's loss as a student's train called it, and which of the kit's own
    callbacks are armed. The kit's loss and predict callbacks answer only while a test
    has armed them (while the student's train or predict runs on them): student code that
    calls them by name from its own loss method gets an error, not the course's answer."""

    calls: list[Call] = field(default_factory=list)
    armed: set = field(default_factory=set)

    def clear(self) -> None:
        self.calls.clear()

    @contextlib.contextmanager
    def arm(self, *names: str):
        self.armed |= set(names)
        try:
            yield self
        finally:
            self.armed -= set(names)

    def check_armed(self, name: str) -> None:
        if name not in self.armed:
            raise ValueError(f"{name} is only available while the grader runs train or predict on it")


def _array(value, what: str, ndim: int | None = None) -> np.ndarray:
    """A numeric array of `ndim` dimensions, as float64 (labels: see _labels)."""
    if not isinstance(value, np.ndarray) or value.dtype.kind not in "fiub":
        raise ValueError(f"{what} must be a numeric array")
    if ndim is not None and value.ndim != ndim:
        raise ValueError(f"{what} must have {ndim} dimensions")
    if value.size > MAX_ELEMENTS:
        raise ValueError(f"{what} is too large")
    return value if value.dtype.kind in "iub" else value.astype(np.float64, copy=False)


def _work(*products: int) -> None:
    """Refuse a call whose multiply-adds (sum of `products`) exceed MAX_WORK."""
    if sum(int(p) for p in products) > MAX_WORK:
        raise ValueError("the call would cost too much computation")


def _floats(*arrays):
    return tuple(a.astype(np.float64, copy=False) for a in arrays)


def _labels(y, n: int, c: int) -> np.ndarray:
    y = _array(y, "y", 1)
    if y.dtype.kind not in "iu" or len(y) != n or (n and (y.min() < 0 or y.max() >= c)):
        raise ValueError("y must hold N integer labels in [0, C)")
    return y


def _reg(reg) -> float:
    if isinstance(reg, bool) or not isinstance(reg, (int, float, np.generic)) or not np.isfinite(float(reg)):
        raise ValueError("reg must be a number")
    return float(reg)


def _fits(*sizes: int) -> None:
    for size in sizes:
        if size > MAX_ELEMENTS:
            raise ValueError("the arrays are too large")


def callbacks(reference, trace: Trace) -> dict:
    """{name in the sandbox: grader function} for the classes sandbox."""
    ref = reference.namespace

    def affine_forward(x, w, b):
        x, w, b = _floats(_array(x, "x"), _array(w, "w", 2), _array(b, "b", 1))
        if x.ndim < 1 or int(np.prod(x.shape[1:])) != w.shape[0] or b.shape[0] != w.shape[1]:
            raise ValueError("shapes of x, w, b do not fit")
        _fits(x.shape[0] * w.shape[1])
        _work(x.shape[0] * w.shape[0] * w.shape[1])
        return ref["affine_forward"](x, w, b)

    def affine_backward(dout, cache):
        if not (isinstance(cache, tuple) and len(cache) == 3):
            raise ValueError("cache must be the cache affine_forward returned")
        x, w, b = _floats(*(_array(v, "cache") for v in cache))
        dout = _floats(_array(dout, "dout", 2))[0]
        if (
            x.ndim < 1
            or w.ndim != 2
            or b.ndim != 1
            or dout.shape != (x.shape[0], w.shape[1])
            or int(np.prod(x.shape[1:])) != w.shape[0]
            or b.shape[0] != w.shape[1]
        ):
            raise ValueError("shapes of dout and cache do not fit")
        _work(2 * x.shape[0] * w.shape[0] * w.shape[1])
        return ref["affine_backward"](dout, (x, w, b))

    def relu_forward(x):
        return ref["relu_forward"](_floats(_array(x, "x"))[0])

    def relu_backward(dout, cache):
        dout, x = _floats(_array(dout, "dout"), _array(cache, "cache"))
        if dout.shape != x.shape:
            raise ValueError("dout and cache must have one shape")
        return ref["relu_backward"](dout, x)

    def softmax_loss(scores, y):
        scores = _floats(_array(scores, "scores", 2))[0]
        return ref["softmax_loss"](scores, _labels(y, *scores.shape))

    def softmax_loss_vectorized(W, X, y, reg):
        W, X = _floats(_array(W, "W", 2), _array(X, "X", 2))
        if X.shape[1] != W.shape[0]:
            raise ValueError("shapes of W and X do not fit")
        _fits(X.shape[0] * W.shape[1])
        _work(2 * X.shape[0] * X.shape[1] * W.shape[1])
        return ref["softmax_loss_vectorized"](W, X, _labels(y, X.shape[0], W.shape[1]), _reg(reg))

    def linear_loss(W, X, y, reg):
        trace.check_armed("__kit_linear_loss")
        loss, dW = softmax_loss_vectorized(W, X, y, reg)
        batch = Call({"W": np.array(W, dtype=np.float64)}, float(loss), {"W": dW}, np.array(X), np.array(y))
        trace.calls.append(batch)
        return loss, dW

    def net_loss(params, X, y, reg):
        trace.check_armed("__kit_net_loss")
        if not (isinstance(params, dict) and all(isinstance(params.get(k), np.ndarray) for k in NET_KEYS)):
            raise ValueError("self.params must hold W1, b1, W2, b2 as arrays")
        p = {k: _floats(_array(params[k], k, 2 if k.startswith("W") else 1))[0] for k in NET_KEYS}
        X = _floats(_array(X, "X", 2))[0]
        d, h = p["W1"].shape
        c = p["W2"].shape[1]
        if X.shape[1] != d or p["b1"].shape != (h,) or p["W2"].shape[0] != h or p["b2"].shape != (c,):
            raise ValueError("shapes of X and self.params do not fit")
        _fits(X.shape[0] * h, X.shape[0] * c)
        _work(3 * X.shape[0] * h * (d + c))
        net = ref["TwoLayerNet"](d, h, c)
        net.params = {k: np.array(v, dtype=np.float64) for k, v in p.items()}
        if y is None:
            return net.loss(X)
        labels = _labels(y, X.shape[0], c)
        loss, grads = net.loss(X, labels, reg=_reg(reg))
        trace.calls.append(Call({k: v.copy() for k, v in net.params.items()}, float(loss), grads, X, np.array(labels)))
        return loss, grads

    def net_predict(params, X):
        trace.check_armed("__kit_net_predict")
        return np.argmax(net_loss(params, X, None, 0.0), axis=1)

    def linear_predict(W, X):
        trace.check_armed("__kit_linear_predict")
        W, X = _floats(_array(W, "W", 2), _array(X, "X", 2))
        if X.shape[1] != W.shape[0]:
            raise ValueError("shapes of W and X do not fit")
        _fits(X.shape[0] * W.shape[1])
        _work(X.shape[0] * X.shape[1] * W.shape[1])
        return np.argmax(X @ W, axis=1)

    found = {
        "affine_forward": affine_forward,
        "affine_backward": affine_backward,
        "relu_forward": relu_forward,
        "relu_backward": relu_backward,
        "softmax_loss": softmax_loss,
        "softmax_loss_vectorized": softmax_loss_vectorized,
        "softmax_loss_naive": softmax_loss_vectorized,  # same values; a class has no reason to call it
        "__kit_linear_loss": linear_loss,
        "__kit_net_loss": net_loss,
        "__kit_linear_predict": linear_predict,
        "__kit_net_predict": net_predict,
    }
    provided = {n for n in contract_names() if n not in CLASSES}
    assert provided <= set(found), f"no callback for {provided - set(found)}"
    return found
