"""LinearSoftmax: loss delegates to softmax_loss_vectorized, train lowers the
loss, predict returns int labels and reaches the accuracy target on digits.

These run in the `classes` sandbox, where softmax_loss_vectorized is the
reference one: a bug in the student's loss function is graded under
p1_softmax_vectorized only, not a second time here.
"""
import numpy as np
import pytest

from autograder.checks import as_array, as_float, check_accuracy, check_close, check_losses_fall, check_value, expect
from autograder.hidden_tests.inputs import linear_problem

# Fixed budget for train on digits (65 features with the bias column, 10 classes).
# With these settings the reference reaches 0.93 validation accuracy (need 0.85).
TRAIN = dict(learning_rate=1.0, reg=1e-4, num_iters=100, batch_size=200)


@pytest.fixture(scope="module")
def trained(classes, digits, seed):
    """(handle, losses) of a LinearSoftmax trained on the digits training split."""
    classes.seed(seed)
    model = classes.new("LinearSoftmax")
    losses = classes.method(model, "LinearSoftmax.train", digits["X_train"], digits["y_train"], **TRAIN)
    return model, losses


@pytest.mark.graded(item="p1_linear_classifier", weight=0.5)
def test_loss_method(classes, ref, rng):
    W, X, y = linear_problem(rng, 7, 5, 4)
    model = classes.new("LinearSoftmax")
    classes.setattr(model, "LinearSoftmax.W", W)
    out = classes.method(model, "LinearSoftmax.loss", X, y, 0.1)
    expect(isinstance(out, (tuple, list)) and len(out) == 2,
           "LinearSoftmax.loss should return (loss, dW) = softmax_loss_vectorized(self.W, X_batch, y_batch, reg)")
    want_loss, want_dW = ref["softmax_loss_vectorized"](W, X, y, 0.1)
    hint = "it should return softmax_loss_vectorized(self.W, X_batch, y_batch, reg)"
    check_value("LinearSoftmax.loss", as_float(out[0], "LinearSoftmax.loss"), float(want_loss), 1e-6, "", hint)
    check_close("dW from LinearSoftmax.loss", as_array(out[1], "dW", W.shape), want_dW, 1e-6, hint)


@pytest.mark.graded(item="p1_linear_classifier", weight=0.5)
def test_train_lowers_the_loss(trained, classes, digits):
    model, losses = trained
    n = TRAIN["num_iters"]
    check_losses_fall(losses, n, f"LinearSoftmax.train should return the list of its {n} per-iteration losses",
                      "a loss in the list train returned",
                      "check the update self.W -= learning_rate * grad inside the loop")
    W = classes.getattr(model, "LinearSoftmax.W")
    shape = (digits["X_train"].shape[1], 10)
    as_array(W, "self.W after train", shape)


@pytest.mark.graded(item="p1_linear_classifier", weight=0.5)
def test_one_sgd_step(classes, rng):
    """On a batch whose examples are all the same, whichever rows train samples,
    one iteration must give W - learning_rate * dW exactly."""
    W, X, y = linear_problem(rng, 1, 6, 4)
    X, y = np.repeat(X, 30, axis=0), np.repeat(y, 30)
    model = classes.new("LinearSoftmax")
    classes.setattr(model, "LinearSoftmax.W", W)
    own = classes.method(model, "LinearSoftmax.loss", X, y, 0.1)
    expect(isinstance(own, (tuple, list)) and len(own) == 2, "LinearSoftmax.loss should return (loss, dW)")
    dW = as_array(own[1], "dW from LinearSoftmax.loss", W.shape)
    classes.method(model, "LinearSoftmax.train", X, y, learning_rate=0.3, reg=0.1, num_iters=1, batch_size=30)
    got = as_array(classes.getattr(model, "LinearSoftmax.W"), "self.W after one iteration of train", W.shape)
    want = W - 0.3 * dW   # with the student's own loss method (checked on its own above)
    check_close("self.W", got, want, 1e-6,
                "after one iteration of train; it must do self.W -= learning_rate * grad (and keep an existing self.W)")


@pytest.mark.graded(item="p1_linear_classifier", weight=0.75)
def test_predict_accuracy_on_digits(trained, classes, digits):
    check_accuracy(classes, trained[0], "LinearSoftmax.predict", digits, "linear_predict_acc_min", TRAIN, "predict(X)")


@pytest.mark.graded(item="p1_linear_classifier", weight=0.25)
def test_predict_returns_labels(classes, ref, rng):
    W, X, _ = linear_problem(rng, 13, 6, 4)
    model = classes.new("LinearSoftmax")
    classes.setattr(model, "LinearSoftmax.W", W)
    pred = classes.method(model, "LinearSoftmax.predict", X)
    pred = as_array(pred, "LinearSoftmax.predict(X)", (13,), "iu")
    expect(np.array_equal(pred, np.argmax(X @ W, axis=1)),
           "LinearSoftmax.predict should return, for each row, the class with the highest score X.dot(self.W)")
