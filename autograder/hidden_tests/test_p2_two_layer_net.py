"""TwoLayerNet: scores, loss with L2, the four gradients, train and predict.

These run in the `classes` sandbox, where the layer functions (affine_*,
relu_*, softmax_loss) are the course's (grader callbacks): a bug in a
student's layer is graded under that layer's item only. Each method is judged
on its own code: nets are built without the student's __init__ (tested on its
own), train runs with the instance's loss replaced by the course's (a bug in
TwoLayerNet.loss costs p2_two_layer_loss only) and is judged by what it did to
self.params, recomputed here, and predict against the argmax of the course's
forward pass on the same parameters, on data train never saw.

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

from autograder.checks import (
    as_array,
    as_dict_of_arrays,
    as_float,
    as_sequence,
    as_tuple,
    check_accuracy,
    check_close,
    check_close_scaled,
    check_value,
    check_value_scaled,
    expect,
    numerical_gradient,
    rel_error,
)
from autograder.hidden_tests.training import check_minibatches, check_schedule, check_sgd, sgd_updates
from course.config import load_config

GRAD_TOL = 1e-5
PARAMS = ("W1", "b1", "W2", "b2")
REG = 0.3
# Fixed training budget on digits (64 features, 10 classes): the reference
# reaches 0.95-0.96 validation accuracy with it (numpy seeds 2026 and 1; need 0.90).
NET = dict(hidden_size=64, std=0.1)
TRAIN = dict(learning_rate=1.0, learning_rate_decay=0.95, reg=1e-4, num_iters=100, batch_size=200)
LOWERED = 0.5  # train must bring the full training loss under half of its value at the start
# The decay test: 40 examples in batches of 10 make an epoch of 4 iterations; 3 epochs.
DECAY = dict(n=40, batch_size=10, num_iters=12, learning_rate=0.3, learning_rate_decay=0.5)
LR_TOL = 1e-6  # relative tolerance on a learning rate read off one update
ACC_TOL = 1e-9  # an accuracy train reports against one the grader computes
LOSS_ITEM, TRAIN_ITEM = "p2_two_layer_loss", "p2_two_layer_train"
NET_CALLBACKS = ("__kit_net_loss", "__kit_net_predict")  # the course's, while train or predict runs


def net_case(rng, n=5, d=4, h=6, c=3):
    """X (n, d), y (n,), params with non-zero biases, kink-free (see module doc)."""
    while True:
        X = rng.standard_normal((n, d))
        params = {
            "W1": 0.5 * rng.standard_normal((d, h)),
            "b1": 0.5 * rng.standard_normal(h),
            "W2": 0.5 * rng.standard_normal((h, c)),
            "b2": 0.5 * rng.standard_normal(c),
        }
        if np.min(np.abs(X @ params["W1"] + params["b1"])) > 1e-3:
            return X, rng.integers(0, c, size=n).astype(np.int64), params


def shapes_of(params):
    return {k: params[k].shape for k in PARAMS}


def make_net(classes, params):
    """A TwoLayerNet whose __init__ did not run, holding `params`."""
    net = classes.bare("TwoLayerNet")
    classes.setattr(net, "TwoLayerNet.params", {k: v.copy() for k, v in params.items()})
    return net


def ref_net(ref, params):
    d, h = params["W1"].shape
    net = ref["TwoLayerNet"](d, h, params["W2"].shape[1])
    net.params = {k: np.array(v, dtype=np.float64) for k, v in params.items()}
    return net


def ref_loss(ref, params, X, y, reg):
    return float(ref_net(ref, params).loss(X, y, reg=reg)[0])


def ref_predict(ref, params, X):
    return np.argmax(ref_net(ref, params).loss(X), axis=1)


def student_loss(classes, net, X, y, reg, params):
    """(loss, grads) of the student's net for these params."""
    out = classes.method(net, "TwoLayerNet.loss", X, y, reg=reg)
    loss, grads = as_tuple(out, "TwoLayerNet.loss(X, y, reg)", ("loss", "grads"))
    return as_float(loss, "TwoLayerNet.loss: loss"), as_dict_of_arrays(grads, "grads", shapes_of(params))


def numerical(loss_of_params, params, key):
    def f(value):
        return loss_of_params({**params, key: value})

    return numerical_gradient(f, params[key])


def params_after(classes, net, shapes, what):
    return as_dict_of_arrays(classes.getattr(net, "TwoLayerNet.params"), f"self.params {what}", shapes)


# ------------------------------------------------------------ __init__ and loss


# The starter code provides __init__: it counts (as structure) once the loss is right.
@pytest.mark.graded(item=LOSS_ITEM, weight=0.5, kind="structure", group="loss")
def test_init(classes, seed):
    """The contract: W1 (D, H), b1 (H,), W2 (H, C), b2 (C,); weights std * randn, biases zero."""
    classes.seed(seed)
    d, h, c, std = 20, 30, 5, 0.1
    net = classes.new("TwoLayerNet", d, h, c, std=std)
    params = params_after(classes, net, {"W1": (d, h), "b1": (h,), "W2": (h, c), "b2": (c,)}, "after __init__")
    for k in ("b1", "b2"):
        expect(not np.any(params[k]), f"__init__ sets {k} to non-zero values", "biases start at zero")
    for k in ("W1", "W2"):
        spread = float(np.std(params[k]))
        expect(
            0.5 * std < spread < 2 * std,
            f"__init__ draws {k} with a spread of {spread:.2g} for std={std}",
            f"{k} = std * np.random.randn(...)",
        )


@pytest.mark.graded(item=LOSS_ITEM, weight=0.75, group="loss")
def test_scores(classes, ref, rng):
    X, _, params = net_case(rng)
    net = make_net(classes, params)
    scores = as_array(
        classes.method(net, "TwoLayerNet.loss", X),
        "TwoLayerNet.loss(X) (the scores)",
        (X.shape[0], params["W2"].shape[1]),
    )
    check_close(
        "scores",
        scores,
        ref_net(ref, params).loss(X),
        1e-7,
        "with non-zero biases",
        "scores = relu(X.dot(W1) + b1).dot(W2) + b2; did you add both biases?",
    )


@pytest.mark.parametrize("reg", [0.0, REG], ids=["reg0", "reg"])
@pytest.mark.graded(item=LOSS_ITEM, weight=0.5, group="loss")
def test_loss_value(classes, ref, rng, reg):
    X, y, params = net_case(rng)
    net = make_net(classes, params)
    loss, _ = student_loss(classes, net, X, y, reg, params)
    want = ref_loss(ref, params, X, y, reg)
    if reg and abs(loss - want) > 1e-6 * (abs(loss) + abs(want)):
        at_zero = student_loss(classes, net, X, y, 0.0, params)[0]
        right = abs(at_zero - ref_loss(ref, params, X, y, 0.0)) <= 1e-6 * abs(at_zero)
        check_value(
            "loss",
            loss,
            want,
            1e-6,
            f"with reg={reg}" + (", while it is right with reg=0" if right else ""),
            "check the L2 term reg * (sum(W1**2) + sum(W2**2)) (weights only, never biases)",
        )
    else:
        check_value_scaled(
            "loss", loss, want, 1e-6, X.shape[0], f"with reg={reg}", "the data loss is the mean softmax cross-entropy"
        )


@pytest.mark.graded(item=LOSS_ITEM, weight=0.25, group="loss")
def test_loss_with_zero_biases(classes, ref, rng):
    """The forward and backward pass without the biases' part: a bias bug alone still passes this."""
    X, y, params = net_case(rng)
    params = {**params, "b1": np.zeros_like(params["b1"]), "b2": np.zeros_like(params["b2"])}
    loss, grads = student_loss(classes, make_net(classes, params), X, y, 0.0, params)
    check_value("loss", loss, ref_loss(ref, params, X, y, 0.0), 1e-6, "with zero biases and reg=0")
    for key in ("W1", "W2"):
        num = numerical(lambda p: ref_loss(ref, p, X, y, 0.0), params, key)
        check_close(f"grads['{key}']", grads[key], num, GRAD_TOL, "with zero biases and reg=0")


@pytest.mark.graded(item=LOSS_ITEM, weight=0.5, group="loss")
def test_gradients_without_regularization(classes, ref, rng):
    X, y, params = net_case(rng)
    _, grads = student_loss(classes, make_net(classes, params), X, y, 0.0, params)
    for key in PARAMS:
        num = numerical(lambda p: ref_loss(ref, p, X, y, 0.0), params, key)
        check_close_scaled(
            f"grads['{key}']",
            grads[key],
            num,
            GRAD_TOL,
            X.shape[0],
            "with reg=0",
            "check this step of the backward pass",
        )


@pytest.mark.parametrize("key", PARAMS)
@pytest.mark.graded(item=LOSS_ITEM, weight=0.25, group="loss")
def test_gradient_with_regularization(classes, ref, rng, key):
    X, y, params = net_case(rng)
    net = make_net(classes, params)
    _, grads = student_loss(classes, net, X, y, REG, params)
    num = numerical(lambda p: ref_loss(ref, p, X, y, REG), params, key)
    if rel_error(grads[key], num)[0] <= GRAD_TOL:
        return
    at_zero = student_loss(classes, net, X, y, 0.0, params)[1][key]
    right = rel_error(at_zero, numerical(lambda p: ref_loss(ref, p, X, y, 0.0), params, key))[0] <= GRAD_TOL
    fix = (
        "biases are not regularized: their gradient has no reg term"
        if key.startswith("b")
        else f"the regularization gradient is 2 * reg * {key}"
    )
    check_close(
        f"grads['{key}']",
        grads[key],
        num,
        GRAD_TOL,
        f"with reg={REG}" + (", while it is right with reg=0" if right else ", and wrong with reg=0 too"),
        fix,
    )


OWN_CHECKS = 3  # entries of each parameter checked against the student's own loss (a sparse check)


@pytest.mark.graded(item=LOSS_ITEM, weight=0.5, kind="structure", group="loss")
def test_gradients_match_own_loss(classes, rng):
    X, y, params = net_case(rng, n=3, d=3, h=4, c=3)
    net = make_net(classes, params)
    _, grads = student_loss(classes, net, X, y, REG, params)

    def own(p):  # one round trip: set the parameters and evaluate (reference_calls.KIT_SOURCE)
        out = classes.kit("__kit_loss_at", net, dict(p), X, y, REG, what="TwoLayerNet.loss")
        return as_float(as_tuple(out, "TwoLayerNet.loss(X, y, reg)", ("loss", "grads"))[0], "TwoLayerNet.loss: loss")

    for key in PARAMS:
        picks = [np.unravel_index(i, params[key].shape) for i in rng.permutation(params[key].size)[:OWN_CHECKS]]
        num = [sparse_numerical(own, params, key, idx) for idx in picks]
        check_close(
            f"grads['{key}']",
            np.array([grads[key][idx] for idx in picks]),
            np.array(num),
            GRAD_TOL,
            f"at {len(picks)} entries, against the numerical gradient of your own loss (reg={REG})",
            "your gradient is not the derivative of your own loss",
        )


def sparse_numerical(loss_of_params, params, key, idx, h=1e-5) -> float:
    """d loss / d params[key][idx] by centered differences."""
    value = {k: v.copy() for k, v in params.items()}
    value[key][idx] += h
    plus = loss_of_params(value)
    value[key][idx] -= 2 * h
    return (plus - loss_of_params(value)) / (2 * h)


# ------------------------------------------------------------ train/predict


def with_course_loss(classes, params, predict=False):
    """A net holding `params` whose loss (and with predict, predict) is the course's."""
    net = make_net(classes, params)
    classes.kit("__kit_use_reference_loss", net, "net", predict)
    return net


def train_with_course_loss(classes, trace, params, X, y, X_val, y_val, **settings):
    """(net, what train returned, the calls it made to the course's loss) for a net holding `params`:
    train runs on the course's loss and predict (the accuracy histories), so only its own code counts."""
    net = with_course_loss(classes, params, predict=True)
    trace.clear()
    with trace.arm(*NET_CALLBACKS):
        stats = classes.method(net, "TwoLayerNet.train", X, y, X_val, y_val, **settings)
    return net, stats, list(trace.calls)


def initial_params(rng, d, h, c, std):
    return {
        "W1": std * rng.standard_normal((d, h)),
        "b1": np.zeros(h),
        "W2": std * rng.standard_normal((h, c)),
        "b2": np.zeros(c),
    }


@pytest.fixture(scope="module")
def trained(classes, digits_net, seed, trace):
    """(initial params, final params, what train returned, calls, net) of a net trained on the digits."""
    classes.seed(seed)
    d = digits_net["X_train"].shape[1]
    start = initial_params(np.random.default_rng(seed), d, NET["hidden_size"], 10, NET["std"])
    net, stats, calls = train_with_course_loss(
        classes,
        trace,
        start,
        digits_net["X_train"],
        digits_net["y_train"],
        digits_net["X_val"],
        digits_net["y_val"],
        **TRAIN,
    )
    final = params_after(classes, net, shapes_of(start), "after train")
    return start, final, stats, calls, net


@pytest.mark.graded(item=TRAIN_ITEM, weight=0.5, group="train")
def test_one_sgd_step(classes, ref, rng, trace):
    """On a batch whose examples are all the same, whichever rows train samples,
    one iteration must give params - learning_rate * grads exactly, grads the course's (non-zero)."""
    X, y, params = net_case(rng, n=1)
    X, y = np.repeat(X, 20, axis=0), np.repeat(y, 20)
    net, _, _ = train_with_course_loss(
        classes,
        trace,
        params,
        X,
        y,
        X,
        y,
        learning_rate=0.3,
        learning_rate_decay=0.5,
        reg=0.1,
        num_iters=1,
        batch_size=20,
    )
    after = params_after(classes, net, shapes_of(params), "after one iteration of train")
    grads = ref_net(ref, params).loss(X, y, reg=0.1)[1]
    expect(
        any(not np.array_equal(after[k], params[k]) for k in PARAMS),
        "train did not change self.params in one iteration",
        "update every params[k] -= learning_rate * grads[k] inside the loop",
    )
    for key in PARAMS:
        check_close(
            f"params['{key}']",
            after[key],
            params[key] - 0.3 * grads[key],
            1e-6,
            "after one iteration of train (learning_rate=0.3)",
            "it must do params[k] -= learning_rate * grads[k] for every k, with grads from self.loss",
        )


@pytest.fixture(scope="module")
def updates(trained):
    """The digits run's updates as training.sgd_updates reads them (once for all its tests)."""
    _, final, _, calls, _ = trained
    return sgd_updates(calls, final)


def trained_by_sgd(trained, updates) -> tuple[list[float], list]:
    """(learning rates, update calls) of the digits run; fails unless its parameters came from
    the contract's SGD on the course's loss (a model fitted any other way earns nothing here)."""
    return check_sgd(trained[3], updates, "TwoLayerNet.train", TRAIN)


@pytest.mark.graded(item=TRAIN_ITEM, weight=0.25, group="train")
def test_minibatches(trained, digits_net, updates):
    """Each update's minibatch: rows of X_train with their own labels, over the run nearly all of them."""
    _, used = trained_by_sgd(trained, updates)
    check_minibatches(used, digits_net["X_train"], digits_net["y_train"], TRAIN["batch_size"], "TwoLayerNet.train")


@pytest.mark.graded(item=TRAIN_ITEM, weight=0.25, group="train")
def test_train_lowers_the_loss(trained, ref, digits_net, updates):
    start, final, _, _, _ = trained
    trained_by_sgd(trained, updates)
    X, y = digits_net["X_train"], digits_net["y_train"]
    before, after = ref_loss(ref, start, X, y, 0.0), ref_loss(ref, final, X, y, 0.0)
    expect(
        after < LOWERED * before,
        f"after train ({TRAIN['num_iters']} iterations, learning_rate={TRAIN['learning_rate']}) the loss of "
        f"self.params on the training data went from {before:.2f} to {after:.2f}, not below half",
        "check the minibatch sampling and the parameter update inside the loop",
    )


@pytest.mark.graded(item=TRAIN_ITEM, weight=0.25, group="train")
def test_trained_model_accuracy(trained, ref, digits_net, updates):
    _, final, _, _, _ = trained
    trained_by_sgd(trained, updates)
    need = load_config().grading["net_predict_acc_min"]
    acc = float(np.mean(ref_predict(ref, final, digits_net["X_test"]) == digits_net["y_test"]))
    check_accuracy(
        acc,
        need,
        f"self.params after train ({TRAIN['num_iters']} iterations)",
        "check the minibatch sampling, the update and the learning-rate decay inside the loop",
    )


@pytest.mark.graded(item=TRAIN_ITEM, weight=0.25, group="train")
def test_learning_rate_decay(classes, rng, trace, trained, digits_net, updates):
    """The contract: the learning rate is multiplied by learning_rate_decay once per epoch
    (every num_train / batch_size iterations; after the first iteration of an epoch or its last)."""
    s = DECAY
    X = rng.standard_normal((s["n"], 4))
    y = rng.integers(0, 3, size=s["n"]).astype(np.int64)
    params = initial_params(rng, 4, 6, 3, 0.5)
    net, _, calls = train_with_course_loss(
        classes,
        trace,
        params,
        X,
        y,
        X,
        y,
        learning_rate=s["learning_rate"],
        reg=0.0,
        num_iters=s["num_iters"],
        batch_size=s["batch_size"],
        learning_rate_decay=s["learning_rate_decay"],
    )
    final = params_after(classes, net, shapes_of(params), "after train")
    expect(
        calls,
        "train never called self.loss, so its learning rates could not be checked",
        "compute each iteration's loss and gradients with self.loss(X_batch, y=y_batch, reg=reg)",
    )
    rates, _, honest = sgd_updates(calls, final)
    expect(honest, "an update of train is not params[k] -= learning_rate * grads[k] for the gradients of self.loss")
    n, epoch = s["num_iters"], s["n"] // s["batch_size"]
    expect(len(rates) == n, f"train made {len(rates)} parameter updates in {n} iterations")
    check_value(
        "the first learning rate",
        rates[0],
        s["learning_rate"],
        LR_TOL,
        f"(learning_rate={s['learning_rate']})",
        "start from the learning_rate argument",
    )
    ratios = [rates[t + 1] / rates[t] for t in range(n - 1)]
    odd = [t for t, r in enumerate(ratios) if abs(r - 1) > 1e-6 and abs(r - s["learning_rate_decay"]) > 1e-6]
    expect(
        not odd,
        f"the learning rate changed by a factor other than learning_rate_decay after iteration {odd[:1]}",
        "multiply it by learning_rate_decay, nothing else",
    )
    points = [t for t, r in enumerate(ratios) if abs(r - s["learning_rate_decay"]) <= 1e-6]
    at_end = list(range(epoch - 1, n - 1, epoch))  # after the last iteration of each epoch
    at_start = list(range(0, n - 1, epoch))  # after its first (CS231n's it % epoch == 0)
    where = f"with {s['n']} examples in batches of {s['batch_size']}: {epoch} iterations per epoch, {n} iterations"
    expect(points, f"the learning rate never decayed {where}", "multiply it by learning_rate_decay once per epoch")
    expect(
        len(points) < n - 1,
        f"the learning rate decayed after every iteration {where}",
        "decay once per epoch, not every iteration",
    )
    expect(
        points in (at_end, at_start) or points == at_start[1:],
        f"the learning rate decayed after iterations {points} {where}",
        "decay once per epoch",
    )
    # and on the real run too (a train that decays only on small runs fails here); a run that
    # is not SGD at all is the other train tests' deduction, not this one's
    rates, _, honest = updates
    if honest and len(rates) == TRAIN["num_iters"]:
        check_schedule(rates, TRAIN, len(digits_net["X_train"]), "TwoLayerNet.train on the digits")


@pytest.mark.graded(item=TRAIN_ITEM, weight=0.25, kind="structure", group="train")
def test_train_history(trained, ref, digits_net, updates):
    _, final, stats, _, _ = trained
    expect(
        isinstance(stats, dict),
        "TwoLayerNet.train should return a dict (loss_history, train_acc_history, val_acc_history)",
    )
    for key in ("loss_history", "train_acc_history", "val_acc_history"):
        expect(key in stats, f"the dict TwoLayerNet.train returns has no {key!r}")
    n = TRAIN["num_iters"]
    history = as_sequence(stats["loss_history"], f"loss_history (the {n} per-iteration losses)", n)
    reported = np.array([as_float(v, "a loss in loss_history") for v in history])
    _, used = trained_by_sgd(trained, updates)
    check_close(
        "loss_history",
        reported,
        np.array([c.loss for c in used]),
        1e-6,
        "against the loss of each iteration's minibatch",
        "append each iteration's loss",
    )
    for key in ("train_acc_history", "val_acc_history"):
        accs = as_sequence(stats[key], f"{key} (one accuracy per epoch)")
        expect(
            len(accs) > 0 and all(0.0 <= as_float(a, f"an accuracy in {key}") <= 1.0 for a in accs),
            f"{key} should hold one accuracy in [0, 1] per epoch",
        )
    # each validation accuracy is that of the net at some point of the run (the training accuracy
    # may be measured on a minibatch or a sample, so it is not recomputed)
    states = [c.params for c in used] + [final]
    reached = {float(np.mean(ref_predict(ref, p, digits_net["X_val"]) == digits_net["y_val"])) for p in states}
    made_up = [a for a in stats["val_acc_history"] if min(abs(float(a) - r) for r in reached) > ACC_TOL]
    expect(
        not made_up,
        f"val_acc_history holds {float(made_up[0]) if made_up else 0:.4f}, the validation accuracy of none of "
        "the parameters train went through",
        "append np.mean(self.predict(X_val) == y_val) once per epoch",
    )


@pytest.mark.graded(item=TRAIN_ITEM, weight=0.25, group="predict")
def test_predict_returns_labels(classes, ref, rng, trace):
    """predict on its own code: self.loss is the course's here, so a predict that calls it is right
    whatever the student's loss does, and one that recomputes the scores must get them right."""
    X, _, params = net_case(rng, n=11)
    net = with_course_loss(classes, params)
    with trace.arm("__kit_net_loss"):
        pred = as_array(classes.method(net, "TwoLayerNet.predict", X), "TwoLayerNet.predict(X)", (11,), "iu")
    expect(
        np.array_equal(pred, ref_predict(ref, params, X)),
        "TwoLayerNet.predict does not return, for each row, the class with the highest score (with non-zero biases)",
        "predict is the argmax over classes of the scores relu(X W1 + b1) W2 + b2",
    )


@pytest.mark.graded(item=TRAIN_ITEM, weight=0.25, group="predict")
def test_predict_after_train(trained, classes, ref, rng, digits_net, trace):
    """The trained instance (whatever train kept in it), given new parameters, predicts by
    its scores on rows train never saw: a predict that looks rows up in memory fails."""
    start, _, _, _, net = trained
    classes.kit("__kit_drop", net, "predict")  # the student's own predict again
    params = initial_params(rng, *start["W1"].shape, start["W2"].shape[1], 1.0)
    classes.setattr(net, "TwoLayerNet.params", params)
    X = digits_net["X_test"]
    with trace.arm("__kit_net_loss"):  # its loss is still the course's
        pred = as_array(classes.method(net, "TwoLayerNet.predict", X), "predict(X) after train", (len(X),), "iu")
    expect(
        np.array_equal(pred, ref_predict(ref, params, X)),
        "after train, predict(X) is not the argmax of the net's scores on rows train never saw",
    )
    # the same rows again under other parameters: a predict that remembers answers fails
    params = initial_params(rng, *start["W1"].shape, start["W2"].shape[1], 1.0)
    classes.setattr(net, "TwoLayerNet.params", params)
    with trace.arm("__kit_net_loss"):
        again = as_array(classes.method(net, "TwoLayerNet.predict", X), "predict(X) after train", (len(X),), "iu")
    expect(
        np.array_equal(again, ref_predict(ref, params, X)),
        "predict(X) gave answers for the parameters of an earlier call, not for the net's current self.params",
        "compute the scores from self.params on every call",
    )
