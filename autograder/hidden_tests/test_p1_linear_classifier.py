"""LinearSoftmax, each method on its own code.

These run in the `classes` sandbox, where softmax_loss_vectorized is the
course's (a grader callback): a bug in the student's loss function is graded
under p1_softmax_vectorized only. `train` runs with the instance's `loss`
replaced by the course's, so a bug in LinearSoftmax.loss costs test_loss_method
only; train is judged by what it did to self.W (recomputed here), never by
the losses it reports, and predict against the argmax of X.dot(W) for the
same W, on data train never saw.
"""

import numpy as np
import pytest

from autograder.checks import (
    as_array,
    as_float,
    as_sequence,
    as_tuple,
    check_accuracy,
    check_close,
    check_value,
    expect,
)
from autograder.hidden_tests.inputs import linear_problem
from autograder.hidden_tests.training import check_minibatches, check_sgd, sgd_updates

# Fixed budget for train on digits (65 features with the bias column, 10 classes).
# With these settings the reference reaches 0.93 validation accuracy (need 0.85).
TRAIN = dict(learning_rate=1.0, reg=1e-4, num_iters=100, batch_size=200)
LOWERED = 0.5  # train must bring the full training loss under half of log C (the loss at W ~ 0)
SMALL_INIT = 0.1  # "small random values": every initial weight below this in magnitude
ITEM = "p1_linear_classifier"
LINEAR_CALLBACKS = ("__kit_linear_loss", "__kit_linear_predict")  # the course's, while train runs


def model_with(classes, W):
    """A LinearSoftmax whose __init__ did not run (it is not what these tests grade), with self.W = W."""
    model = classes.bare("LinearSoftmax")
    classes.setattr(model, "LinearSoftmax.W", W)
    return model


def ref_loss(ref, W, X, y, reg):
    return ref["softmax_loss_vectorized"](W, X, y, reg)


@pytest.fixture(scope="module")
def trained(classes, digits, seed, trace):
    """(W after train, losses train returned, recorded calls) of a LinearSoftmax trained on the
    digits training split from self.W = None, with the course's loss."""
    classes.seed(seed)
    model = model_with(classes, None)
    classes.kit("__kit_use_reference_loss", model, "linear")
    trace.clear()
    with trace.arm(*LINEAR_CALLBACKS):
        losses = classes.method(model, "LinearSoftmax.train", digits["X_train"], digits["y_train"], **TRAIN)
    calls = list(trace.calls)
    W = as_array(classes.getattr(model, "LinearSoftmax.W"), "self.W after train", (digits["X_train"].shape[1], 10))
    return W, losses, calls, model


@pytest.fixture(scope="module")
def need():
    from course.config import load_config

    return load_config().grading["linear_predict_acc_min"]


@pytest.mark.graded(item=ITEM, weight=0.5, group="loss")
def test_loss_method(classes, ref, rng):
    W, X, y = linear_problem(rng, 7, 5, 4)
    out = classes.method(model_with(classes, W), "LinearSoftmax.loss", X, y, 0.1)
    loss, dW = as_tuple(out, "LinearSoftmax.loss", ("loss", "dW"))
    want_loss, want_dW = ref_loss(ref, W, X, y, 0.1)
    fix = "it should return softmax_loss_vectorized(self.W, X_batch, y_batch, reg)"
    check_value("LinearSoftmax.loss", as_float(loss, "LinearSoftmax.loss"), float(want_loss), 1e-6, "", fix)
    check_close("dW from LinearSoftmax.loss", as_array(dW, "dW", W.shape), want_dW, 1e-6, "", fix)


@pytest.mark.graded(item=ITEM, weight=0.5, group="train")
def test_one_sgd_step(classes, ref, rng, trace):
    """On a batch whose examples are all the same, whichever rows train samples,
    one iteration must give W - learning_rate * dW exactly (dW the course's, non-zero)."""
    W, X, y = linear_problem(rng, 1, 6, 4)
    X, y = np.repeat(X, 30, axis=0), np.repeat(y, 30)
    model = model_with(classes, W)
    classes.kit("__kit_use_reference_loss", model, "linear")
    with trace.arm(*LINEAR_CALLBACKS):
        classes.method(model, "LinearSoftmax.train", X, y, learning_rate=0.3, reg=0.1, num_iters=1, batch_size=30)
    got = as_array(classes.getattr(model, "LinearSoftmax.W"), "self.W after one iteration of train", W.shape)
    dW = ref_loss(ref, W, X, y, 0.1)[1]
    expect(
        not np.array_equal(got, W),
        "train did not change self.W in one iteration",
        "update self.W -= learning_rate * grad inside the loop",
    )
    check_close(
        "self.W",
        got,
        W - 0.3 * dW,
        1e-6,
        "after one iteration of train (learning_rate=0.3)",
        "the update is self.W -= learning_rate * grad, with grad from self.loss, keeping an existing self.W",
    )


@pytest.fixture(scope="module")
def updates(trained):
    """The digits run's updates as training.sgd_updates reads them (once for all its tests)."""
    W, _, calls, _ = trained
    return sgd_updates(calls, {"W": W})


def trained_by_sgd(trained, updates) -> tuple[list[float], list]:
    """(learning rates, update calls) of the digits run; fails unless self.W came from the
    contract's SGD on the course's loss (a W fitted any other way earns nothing here). The
    first call's W is the student's own initialisation."""
    return check_sgd(trained[2], updates, "LinearSoftmax.train", TRAIN)


@pytest.mark.graded(item=ITEM, weight=0.25, group="train")
def test_minibatches(trained, digits, updates):
    """Each update's minibatch: rows of X_train with their own labels, over the run nearly all of them."""
    _, used = trained_by_sgd(trained, updates)
    check_minibatches(used, digits["X_train"], digits["y_train"], TRAIN["batch_size"], "LinearSoftmax.train")


@pytest.mark.graded(item=ITEM, weight=0.5, group="train")
def test_train_lowers_the_loss(trained, ref, digits, updates):
    W, _, _, _ = trained
    trained_by_sgd(trained, updates)
    X, y = digits["X_train"], digits["y_train"]
    before, after = np.log(W.shape[1]), float(ref_loss(ref, W, X, y, 0.0)[0])
    expect(
        after < LOWERED * before,
        f"after train ({TRAIN['num_iters']} iterations, learning_rate={TRAIN['learning_rate']}) the loss of "
        f"self.W on the training data is {after:.2f}, not below {LOWERED:g} x log C = {LOWERED * before:.2f}",
        "check the update self.W -= learning_rate * grad inside the loop",
    )


@pytest.mark.graded(item=ITEM, weight=0.5, group="train")
def test_trained_model_accuracy(trained, digits, need, updates):
    W, _, _, _ = trained
    trained_by_sgd(trained, updates)
    acc = float(np.mean(np.argmax(digits["X_test"] @ W, axis=1) == digits["y_test"]))
    check_accuracy(
        acc,
        need,
        f"self.W after train ({TRAIN['num_iters']} iterations)",
        "check the minibatch sampling and the update inside the loop",
    )


@pytest.mark.graded(item=ITEM, weight=0.25, group="train")
def test_train_initialises_W(trained, digits):
    """The contract: self.W is initialised lazily, with small random values, when it is None."""
    _, _, calls, _ = trained
    expect(
        calls,
        "train never called self.loss, so its first self.W could not be checked",
        "compute each iteration's loss and gradient with self.loss(X_batch, y_batch, reg)",
    )
    W0 = calls[0].params["W"]
    expect(
        W0.shape == (digits["X_train"].shape[1], 10),
        f"the first self.W has shape {W0.shape}, expected (D, C) = {(digits['X_train'].shape[1], 10)}",
    )
    expect(
        np.max(np.abs(W0)) < SMALL_INIT and np.std(W0) > 0,
        f"the first self.W is not small random values (largest |W| {np.max(np.abs(W0)):.2g}, spread {np.std(W0):.2g})",
        "initialise it as 0.001 * np.random.randn(D, C) when it is None",
    )


@pytest.mark.graded(item=ITEM, weight=0.25, kind="structure", group="train")
def test_train_reports_its_losses(trained, updates):
    _, losses, _, _ = trained
    n = TRAIN["num_iters"]
    losses = as_sequence(losses, f"what LinearSoftmax.train returns (its {n} per-iteration losses)", n)
    reported = np.array([as_float(v, "a loss train returned") for v in losses])
    _, used = trained_by_sgd(trained, updates)
    check_close(
        "the losses train returned",
        reported,
        np.array([c.loss for c in used]),
        1e-6,
        "against the loss of each iteration's minibatch",
        "append each iteration's loss",
    )


@pytest.mark.graded(item=ITEM, weight=0.25, group="predict")
def test_predict_returns_labels(classes, rng):
    W, X, _ = linear_problem(rng, 13, 6, 4)
    pred = as_array(
        classes.method(model_with(classes, W), "LinearSoftmax.predict", X), "LinearSoftmax.predict(X)", (13,), "iu"
    )
    expect(
        np.array_equal(pred, np.argmax(X @ W, axis=1)),
        "LinearSoftmax.predict does not return, for each row, the class with the highest score X.dot(self.W)",
    )


@pytest.mark.graded(item=ITEM, weight=0.25, group="predict")
def test_predict_after_train(trained, classes, rng, digits):
    """The trained instance (whatever train kept in it), given a new self.W, predicts by its
    scores on rows train never saw: a predict that looks rows up in memory fails."""
    W_trained, _, _, model = trained
    W = rng.standard_normal(W_trained.shape)
    classes.setattr(model, "LinearSoftmax.W", W)
    X = digits["X_test"]
    pred = as_array(classes.method(model, "LinearSoftmax.predict", X), "predict(X) after train", (len(X),), "iu")
    expect(
        np.array_equal(pred, np.argmax(X @ W, axis=1)),
        "after train, predict(X) is not the argmax of X.dot(self.W) on rows train never saw",
    )
