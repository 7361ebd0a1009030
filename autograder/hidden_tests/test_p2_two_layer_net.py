"""TwoLayerNet: scores, loss with L2, the four gradients, train and predict.

These run in the `classes` sandbox, where the layer functions (affine_*,
relu_*, softmax_loss) are the reference ones: a bug in a student's layer is
graded under that layer's item only.

Gradient threshold: 1e-5 relative error against centered differences
(h = 1e-5, float64). The network is piecewise smooth; it has kinks where a
hidden pre-activation crosses 0. `net_case` redraws its inputs until every
pre-activation is at least 1e-3 away from 0, while a +-h nudge of one weight
moves a pre-activation by at most h * max|x| ~ 4e-5: no kink is crossed, the
loss is smooth around the point and the same threshold as for the smooth
softmax applies (correct code measures ~1e-8; the reg and bias bugs we
target are above 1e-2).
"""
import numpy as np
import pytest

from autograder.checks import (as_array, as_float, as_tuple, check_accuracy, check_close, check_losses_fall,
                               check_value, expect, numerical_gradient)
from autograder.hidden_tests.inputs import scale_hint

GRAD_TOL = 1e-5
PARAMS = ("W1", "b1", "W2", "b2")
REG = 0.3
# Fixed training budget on digits (64 features, 10 classes): the reference
# reaches 0.95-0.96 validation accuracy with it (numpy seeds 2026 and 1; need 0.90).
NET = dict(hidden_size=64, std=0.1)
TRAIN = dict(learning_rate=1.0, learning_rate_decay=0.95, reg=1e-4, num_iters=200, batch_size=200)


def net_case(rng, n=5, d=4, h=6, c=3):
    """X (n, d), y (n,), params with non-zero biases, kink-free (see module doc)."""
    while True:
        X = rng.standard_normal((n, d))
        params = {"W1": 0.5 * rng.standard_normal((d, h)), "b1": 0.5 * rng.standard_normal(h),
                  "W2": 0.5 * rng.standard_normal((h, c)), "b2": 0.5 * rng.standard_normal(c)}
        if np.min(np.abs(X @ params["W1"] + params["b1"])) > 1e-3:
            return X, rng.integers(0, c, size=n).astype(np.int64), params


def make_net(classes, params):
    d, h = params["W1"].shape
    net = classes.new("TwoLayerNet", d, h, params["W2"].shape[1], std=0.1)
    classes.setattr(net, "TwoLayerNet.params", {k: v.copy() for k, v in params.items()})
    return net


def ref_net(ref, params):
    d, h = params["W1"].shape
    net = ref["TwoLayerNet"](d, h, params["W2"].shape[1])
    net.params = {k: v.copy() for k, v in params.items()}
    return net


def ref_loss(ref, params, X, y, reg):
    return float(ref_net(ref, params).loss(X, y, reg=reg)[0])


def student_loss(classes, net, X, y, reg, params):
    """(loss, grads) of the student's net for these params."""
    out = classes.method(net, "TwoLayerNet.loss", X, y, reg=reg)
    loss, grads = as_tuple(out, "TwoLayerNet.loss(X, y, reg)", ("loss", "grads"))
    loss = as_float(loss, "TwoLayerNet.loss: loss")
    expect(isinstance(grads, dict) and set(PARAMS) <= set(grads),
           "TwoLayerNet.loss should return (loss, grads) with grads a dict with keys W1, b1, W2, b2")
    return loss, {k: as_array(grads[k], f"grads['{k}']", params[k].shape) for k in PARAMS}


def numerical(loss_of_params, params, key):
    def f(value):
        return loss_of_params({**params, key: value})
    return numerical_gradient(f, params[key])


@pytest.mark.graded(item="p2_two_layer_loss", weight=0.75)
def test_scores(classes, ref, rng):
    X, _, params = net_case(rng)
    net = make_net(classes, params)
    scores = as_array(classes.method(net, "TwoLayerNet.loss", X), "TwoLayerNet.loss(X) (the scores)",
                      (X.shape[0], params["W2"].shape[1]))
    check_close("scores", scores, ref_net(ref, params).loss(X), 1e-7,
                "scores = relu(X.dot(W1) + b1).dot(W2) + b2; did you add both biases?")


@pytest.mark.parametrize("reg", [0.0, REG], ids=["reg0", "reg"])
@pytest.mark.graded(item="p2_two_layer_loss", weight=0.5)
def test_loss_value(classes, ref, rng, reg):
    X, y, params = net_case(rng)
    loss, _ = student_loss(classes, make_net(classes, params), X, y, reg, params)
    want = ref_loss(ref, params, X, y, reg)
    hint = ("check the L2 term reg * (sum(W1**2) + sum(W2**2)) (weights only, never biases)" if reg
            else scale_hint(loss, want, X.shape[0]) or "the data loss is the mean softmax cross-entropy")
    check_value("loss", loss, want, 1e-6, f"with reg={reg}", hint)


@pytest.mark.graded(item="p2_two_layer_loss", weight=0.5)
def test_gradients_without_regularization(classes, ref, rng):
    X, y, params = net_case(rng)
    _, grads = student_loss(classes, make_net(classes, params), X, y, 0.0, params)
    for key in PARAMS:
        num = numerical(lambda p: ref_loss(ref, p, X, y, 0.0), params, key)
        check_close(f"grads['{key}']", grads[key], num, GRAD_TOL, "with reg=0: " + (
            scale_hint(grads[key], num, X.shape[0]) or "check this step of the backward pass"))


@pytest.mark.parametrize("key", PARAMS)
@pytest.mark.graded(item="p2_two_layer_loss", weight=0.25)
def test_gradient_with_regularization(classes, ref, rng, key):
    X, y, params = net_case(rng)
    _, grads = student_loss(classes, make_net(classes, params), X, y, REG, params)
    num = numerical(lambda p: ref_loss(ref, p, X, y, REG), params, key)
    hint = ("biases are not regularized: their gradient has no reg term" if key.startswith("b")
            else f"add the regularization gradient 2 * reg * {key}")
    check_close(f"grads['{key}']", grads[key], num, GRAD_TOL, f"with reg={REG}: {hint}")


@pytest.mark.graded(item="p2_two_layer_loss", weight=0.5)
def test_gradients_match_own_loss(classes, rng):
    X, y, params = net_case(rng, n=3, d=3, h=4, c=3)
    net = make_net(classes, params)
    _, grads = student_loss(classes, net, X, y, REG, params)

    def own(p):
        classes.setattr(net, "TwoLayerNet.params", p)
        return student_loss(classes, net, X, y, REG, params)[0]

    for key in PARAMS:
        check_close(f"grads['{key}']", grads[key], numerical(own, params, key), GRAD_TOL,
                    "your gradient is not the derivative of your own loss (numerical check, reg=0.3)")


# ------------------------------------------------------------ train/predict

@pytest.fixture(scope="module")
def trained(classes, digits_net, seed):
    classes.seed(seed)
    d = digits_net["X_train"].shape[1]
    net = classes.new("TwoLayerNet", d, NET["hidden_size"], 10, std=NET["std"])
    stats = classes.method(net, "TwoLayerNet.train", digits_net["X_train"], digits_net["y_train"],
                           digits_net["X_val"], digits_net["y_val"], **TRAIN)
    return net, stats


@pytest.mark.graded(item="p2_two_layer_train", weight=0.25)
def test_train_history(trained):
    _, stats = trained
    expect(isinstance(stats, dict), "TwoLayerNet.train should return a dict (loss_history, train_acc_history, val_acc_history)")
    for key in ("loss_history", "train_acc_history", "val_acc_history"):
        expect(key in stats, f"the dict TwoLayerNet.train returns has no {key!r}")
    n = TRAIN["num_iters"]
    check_losses_fall(stats["loss_history"], n, f"loss_history should hold the {n} per-iteration losses",
                      "a loss in loss_history", "check the parameter update inside the loop")


@pytest.mark.graded(item="p2_two_layer_train", weight=0.5)
def test_one_sgd_step(classes, rng):
    """On a batch whose examples are all the same, whichever rows train samples,
    one iteration must give params - learning_rate * grads exactly, with the
    student's own grads (wrong gradients are graded under p2_two_layer_loss)."""
    X, y, params = net_case(rng, n=1)
    X, y = np.repeat(X, 20, axis=0), np.repeat(y, 20)
    net = make_net(classes, params)
    _, grads = student_loss(classes, net, X, y, 0.1, params)
    classes.method(net, "TwoLayerNet.train", X, y, X, y, learning_rate=0.3, learning_rate_decay=0.5,
                   reg=0.1, num_iters=1, batch_size=20)
    after = classes.getattr(net, "TwoLayerNet.params")
    expect(isinstance(after, dict) and set(PARAMS) <= set(after), "self.params lost its keys during train")
    for key in PARAMS:
        check_close(f"params['{key}']", as_array(after[key], f"params['{key}']", params[key].shape),
                    params[key] - 0.3 * grads[key], 1e-6,
                    "after one iteration of train; it must do params[k] -= learning_rate * grads[k] for every k")


@pytest.mark.graded(item="p2_two_layer_train", weight=0.5)
def test_predict_accuracy_on_digits(trained, classes, digits_net):
    check_accuracy(classes, trained[0], "TwoLayerNet.predict", digits_net, "net_predict_acc_min", TRAIN)


@pytest.mark.graded(item="p2_two_layer_train", weight=0.25)
def test_predict_returns_labels(classes, rng):
    """predict = argmax of the student's own scores (a scores bug is graded under p2_two_layer_loss)."""
    X, _, params = net_case(rng, n=11)
    net = make_net(classes, params)
    pred = as_array(classes.method(net, "TwoLayerNet.predict", X), "TwoLayerNet.predict(X)", (11,), "iu")
    scores = classes.method(net, "TwoLayerNet.loss", X)
    expect(isinstance(scores, np.ndarray) and scores.shape == (11, params["W2"].shape[1])
           and np.array_equal(pred, np.argmax(scores, axis=1)),
           "TwoLayerNet.predict should return, for each row, the class with the highest score of loss(X)")
