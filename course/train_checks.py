"""Checks of train and predict: what the contract fixes about training, observed from outside.

train runs on a training set whose rows are all the same example, so every
minibatch it can draw is the same and the gradient of each step is the
gradient of the student's own loss at the current parameters. Running train
for 1, 2, ..., K iterations from the same start gives the parameters after
every step; the step taken at iteration k, divided by that gradient, is the
learning rate train used at iteration k. So the update rule and the learning
rate schedule are checked without trusting what train returns, and whether or
not train calls self.loss.
"""

import inspect
import math

import numpy as np

from course.check_report import call_as_grader, call_student, failed, passed
from course.notebook_data import CONTRACT
from course.rules import _describe, as_number, rel_error

# A training set of N identical rows, batches of B: N / B = 3 iterations per epoch.
TRAIN_ROWS, TRAIN_BATCH = 24, 8
TRAIN_SETTINGS = {"learning_rate": 0.5, "learning_rate_decay": 0.5, "reg": 0.01}
TRAIN_STEPS = 12  # four epochs
_SIZES = {"input_size": 4, "hidden_size": 5, "output_size": 3, "std": 0.1}
_STEP_TOL = 1e-6


def train_results(namespace, class_name):
    """Results for `class_name`.train: update rule, learning rate schedule, what it returns."""
    title = f"{class_name}.train"
    cls, spec = namespace.get(class_name), _class_spec(class_name)
    if cls is None:
        return [failed(title, f"{class_name} is not defined: run the cell that defines it")]
    rng = np.random.default_rng(7)
    X, y = _one_example(rng, TRAIN_ROWS, class_name)
    start = _random_params(rng, class_name)
    runs, problem = _runs(cls, class_name, start, X, y)
    if problem:
        return [failed(title, problem)]
    points = [start] + [params for params, _ in runs]
    # the gradient of one minibatch: a loss summed instead of averaged depends on the batch size
    X, y = X[:TRAIN_BATCH], y[:TRAIN_BATCH]
    losses, grads, problem = _own_losses(cls, class_name, points[:-1], X, y, TRAIN_SETTINGS["reg"])
    if problem:
        return [failed(title, f"skipped: {class_name}.loss must work first ({problem})")]
    rates, problem = _learning_rates(class_name, cls, points, grads, X, y)
    results = [
        failed(f"{title}: update rule", problem)
        if problem
        else passed(
            f"{title}: update rule",
            "every step is params -= learning_rate * grads, with the gradient of your loss (reg passed on)",
        )
    ]
    if rates is not None:
        results.append(_schedule_result(title, spec, rates))
    results.append(_history_result(title, spec, runs[-1][1], losses))
    batches = _minibatch_result(cls, class_name, rng)
    if batches is not None:
        results.append(batches)
    if _lazy(class_name):
        results.append(_lazy_init_result(cls, class_name, rng))
    return results


def predict_results(namespace, class_name):
    """predict returns (N,) ints, the highest-scoring class of each row."""
    title = f"{class_name}.predict"
    cls = namespace.get(class_name)
    if cls is None:
        return [failed(title, f"{class_name} is not defined: run the cell that defines it")]
    rng = np.random.default_rng(11)
    X, _ = _blobs(rng, 9, class_name)
    model, problem = _model(cls, class_name, _random_params(rng, class_name))
    if problem:
        return [failed(title, problem)]
    labels, problem = call_student(model.predict, X)
    if problem:
        return [failed(title, problem)]
    if not isinstance(labels, np.ndarray) or labels.shape != (len(X),) or labels.dtype.kind not in "iu":
        return [
            failed(
                title, f"predict(X) should return an int array of shape ({len(X)},); it returned {_describe(labels)}"
            )
        ]
    scores, problem = _scores(model, class_name, X)
    if problem:
        return [failed(title, f"skipped: the scores must work first ({problem})")]
    if not np.array_equal(labels, np.argmax(scores, axis=1)):
        return [
            failed(
                title, "predict(X) should return the class with the highest score of each row (np.argmax over axis 1)"
            )
        ]
    return [passed(title, "int labels of shape (N,): the highest-scoring class of each row")]


# ------------------------------------------------------------ the model


def _class_spec(class_name):
    part = next(p for p in CONTRACT.values() if class_name in p)
    return part[class_name]


def _keys(class_name):
    """The parameters' names: the keys of self.params, or just W (Part 1)."""
    return _class_spec(class_name).get("param_keys", ["W"])


def _lazy(class_name):
    return "param_keys" not in _class_spec(class_name)  # LinearSoftmax creates self.W in train


def _one_example(rng, n, class_name):
    """n copies of one example and its label (the label is not the last class)."""
    X, y = _blobs(rng, 1, class_name)
    return np.repeat(X, n, axis=0), np.repeat(y, n)


def _blobs(rng, n, class_name):
    """n examples of three well-separated classes; Part 1 rows end with the bias column."""
    d, c = _SIZES["input_size"], _SIZES["output_size"]
    y = np.arange(n) % c
    X = 3.0 * np.eye(c, d)[y] + rng.standard_normal((n, d))
    if _lazy(class_name):
        X[:, -1] = 1.0
    return X, y


def _random_params(rng, class_name, classes=None):
    d, h, c = _SIZES["input_size"], _SIZES["hidden_size"], classes or _SIZES["output_size"]
    if _lazy(class_name):
        return {"W": 0.3 * rng.standard_normal((d, c))}
    shapes = {"W1": (d, h), "b1": (h,), "W2": (h, c), "b2": (c,)}
    return {key: 0.3 * rng.standard_normal(shapes[key]) for key in _keys(class_name)}  # non-zero biases


def _model(cls, class_name, params, **sizes):
    """(an instance built as the grader builds it, with `params` set, None) or (None, problem).
    sizes: constructor arguments other than _SIZES' (output_size=10)."""
    call = _class_spec(class_name)["methods"]["__init__"]["calls"][0]
    model, problem = call_as_grader(cls, call, dict(_SIZES, **sizes))
    if problem:
        return None, f"{class_name}(...) failed: {problem}"
    _set_params(model, class_name, params)
    return model, None


def _set_params(model, class_name, params):
    if _lazy(class_name):
        model.W = params["W"].copy()
    else:
        model.params = {k: v.copy() for k, v in params.items()}


def _get_params(model, class_name):
    """A copy of the model's parameters, or None when they are not numpy arrays of the right keys."""
    if _lazy(class_name):
        value = getattr(model, "W", None)
        return {"W": value.copy()} if isinstance(value, np.ndarray) else None
    value = getattr(model, "params", None)
    if not isinstance(value, dict) or not all(isinstance(value.get(k), np.ndarray) for k in _keys(class_name)):
        return None
    return {k: value[k].copy() for k in _keys(class_name)}


# ----------------------------------------------------------- running train


def _train(model, class_name, X, y, num_iters, **settings):
    values = dict(TRAIN_SETTINGS, X=X, y=y, X_val=X, y_val=y, num_iters=num_iters, batch_size=TRAIN_BATCH)
    values.update(settings)
    return call_as_grader(model.train, _class_spec(class_name)["methods"]["train"]["calls"][0], values)


def _runs(cls, class_name, start, X, y):
    """([(params after k iterations, what train returned)] for k = 1..TRAIN_STEPS, None) or (None, problem)."""
    runs = []
    for k in range(1, TRAIN_STEPS + 1):
        model, problem = _model(cls, class_name, start)
        if problem:
            return None, problem
        returned, problem = _train(model, class_name, X, y, k)
        if problem:
            return None, f"train(..., num_iters={k}) failed: {problem}"
        params = _get_params(model, class_name)
        where = "self.W" if _lazy(class_name) else f"self.params (keys {', '.join(_keys(class_name))})"
        if params is None:
            return None, f"after train, {where} no longer holds numpy arrays"
        changed = [k for k in start if params[k].shape != start[k].shape]
        if changed:
            return None, (
                f"train replaced the parameters: after train(..., num_iters={k}) {changed[0]} has shape "
                f"{params[changed[0]].shape} instead of {start[changed[0]].shape}. It must update the "
                f"existing parameters" + (" (and create self.W only when it is None)" if _lazy(class_name) else "")
            )
        runs.append((params, returned))
    return runs, None


def _own_losses(cls, class_name, points, X, y, reg):
    """([loss], [grads], None): the student's own loss method at each parameter point."""
    losses, grads = [], []
    for params in points:
        model, problem = _model(cls, class_name, params)
        if problem:
            return None, None, problem
        call = [c for c in _class_spec(class_name)["methods"]["loss"]["calls"] if len(c) == 3][0]
        out, problem = call_as_grader(model.loss, call, {"X": X, "X_batch": X, "y": y, "y_batch": y, "reg": reg})
        if problem:
            return None, None, problem
        try:
            loss, grad = out
            losses.append(as_number(loss))
            grads.append({"W": grad} if _lazy(class_name) else {k: grad[k] for k in _keys(class_name)})
        except (TypeError, ValueError, KeyError) as exc:
            return None, None, f"it returned {_describe(out)} ({exc})"
    return losses, grads, None


def _flat(params, keys):
    return np.concatenate([np.asarray(params[k], dtype=np.float64).ravel() for k in keys])


def _learning_rates(class_name, cls, points, grads, X, y):
    """([learning rate of each step], None) or (None or rates, what is wrong with the steps)."""
    keys = _keys(class_name)
    rates = []
    for k, grad in enumerate(grads):
        step, g = _flat(points[k + 1], keys) - _flat(points[k], keys), _flat(grad, keys)
        rate = -float(step @ g) / max(float(g @ g), 1e-300)
        if not np.any(step) or rel_error(step, -rate * g) > _STEP_TOL:
            return None, _step_problem(class_name, cls, k, points, grad, step, X, y)
        rates.append(rate)
    if any(r <= 0 for r in rates):
        return (
            None,
            "train moves the parameters along the gradient instead of against it: use params -= learning_rate * grads",
        )
    return rates, None


def _step_problem(class_name, cls, k, points, grad, step, X, y):
    """What is wrong with step k (0-based), in words."""
    keys = _keys(class_name)
    where = f"iteration {k + 1}"
    if not np.any(step):
        return f"train did not change the parameters at {where}: update them in place, e.g. " + (
            "self.W -= learning_rate * grad"
            if _lazy(class_name)
            else "self.params[name] -= learning_rate * grads[name] for every name"
        )
    frozen = [key for key in keys if not np.any(points[k + 1][key] - points[k][key]) and np.any(grad[key])]
    if frozen:
        return f"train never updates {', '.join(frozen)} (at {where}): every parameter takes a step"
    _, grads_no_reg, problem = _own_losses(cls, class_name, [points[k]], X, y, 0.0)
    g0 = None if problem else _flat(grads_no_reg[0], keys)
    if g0 is not None and rel_error(step, (float(step @ g0) / max(float(g0 @ g0), 1e-300)) * g0) <= _STEP_TOL:
        return "train does not pass reg on to the loss: its steps follow the gradient without regularization"
    return f"at {where} the step is not -learning_rate * grads with the gradient of your own loss" + (
        " (does train create a new self.W although one exists? It should only when self.W is None)"
        if _lazy(class_name) and k == 0
        else ""
    )


# --------------------------------------------------------------- verdicts


def _schedule_result(title, spec, rates):
    lr = TRAIN_SETTINGS["learning_rate"]
    shown = ", ".join(f"{r:.4g}" for r in rates)
    decays = "learning_rate_decay" in spec["methods"]["train"]["params"]
    if not decays:
        ok = all(abs(r - lr) <= 1e-6 * lr for r in rates)
        return (
            passed(f"{title}: learning rate", f"every step uses learning_rate={lr}")
            if ok
            else failed(
                f"{title}: learning rate",
                f"the steps used learning rates {shown}; every step should use learning_rate={lr}",
            )
        )
    problem = _decay_problem(rates, lr, TRAIN_SETTINGS["learning_rate_decay"], TRAIN_ROWS / TRAIN_BATCH)
    name = f"{title}: learning rate decay"
    if problem:
        return failed(
            name,
            f"{problem}. The learning rate must be multiplied by learning_rate_decay once per "
            f"epoch, here every N / batch_size = {TRAIN_ROWS // TRAIN_BATCH} iterations "
            f"(learning_rate={lr}, learning_rate_decay={TRAIN_SETTINGS['learning_rate_decay']}); "
            f"the learning rates of the {len(rates)} steps were {shown}",
        )
    return passed(name, f"multiplied by learning_rate_decay once per epoch ({shown})")


def _decay_problem(rates, lr, decay, per_epoch):
    """None when rates is lr, lr * decay, lr * decay**2, ... changing once every
    `per_epoch` steps (at the end or at the start of an epoch), else what is wrong."""
    if abs(rates[0] - lr) > 1e-6 * lr:
        return f"the first step used learning rate {rates[0]:.4g} instead of learning_rate={lr}"
    powers = [math.log(r / lr) / math.log(decay) for r in rates]
    if any(abs(p - round(p)) > 1e-6 for p in powers):
        return "the learning rates are not learning_rate times a power of learning_rate_decay"
    powers = [round(p) for p in powers]
    changes = [k for k in range(1, len(powers)) if powers[k] != powers[k - 1]]
    if not changes:
        return "the learning rate never decayed"
    if any(powers[k] != powers[k - 1] + 1 for k in changes):
        return "the learning rate decayed by more than one factor of learning_rate_decay at once"
    gaps = [b - a for a, b in zip(changes, changes[1:])]
    if (
        changes[0] > math.ceil(per_epoch)
        or any(g != round(per_epoch) for g in gaps)
        or changes[-1] < len(rates) - per_epoch
    ):
        return f"the learning rate changed after iterations {', '.join(str(k) for k in changes)}"
    return None


def _history_result(title, spec, returned, losses):
    name = f"{title}: returned history"
    n = len(losses)
    per_iteration = "the loss of each iteration's minibatch, before its update"
    if "X_val" not in spec["methods"]["train"]["params"]:
        problem = _loss_list_problem(returned, losses)
        return (
            failed(name, f"train should return the list of its {n} per-iteration losses ({per_iteration}): {problem}")
            if problem
            else passed(name, f"the {n} per-iteration losses")
        )
    keys = ("loss_history", "train_acc_history", "val_acc_history")
    if not isinstance(returned, dict) or not all(k in returned for k in keys):
        return failed(name, f"train should return a dict with {', '.join(keys)}; it returned {_describe(returned)}")
    problem = _loss_list_problem(returned["loss_history"], losses)
    if problem:
        return failed(name, f"loss_history should hold the {n} per-iteration losses ({per_iteration}): {problem}")
    for key in keys[1:]:
        values = returned[key]
        if (
            not isinstance(values, (list, tuple, np.ndarray))
            or not 0 < len(values) <= n
            or not all(_is_fraction(v) for v in values)
        ):
            return failed(
                name, f"{key} should hold one accuracy (a number between 0 and 1) per epoch; it is {_describe(values)}"
            )
    return passed(
        name,
        "loss_history holds the per-iteration losses; one accuracy per epoch in train_acc_history and val_acc_history",
    )


def _loss_list_problem(values, losses):
    if not isinstance(values, (list, tuple, np.ndarray)) or len(values) != len(losses):
        return f"it is {_describe(values)}"
    for k, (value, loss) in enumerate(zip(values, losses)):
        try:
            number = as_number(value)
        except ValueError as exc:
            return f"entry {k} is not a number ({exc})"
        if rel_error(number, loss) > 1e-6:
            return f"entry {k} is {number:.6g}, but the loss at iteration {k + 1} was {loss:.6g}"
    return None


def _is_fraction(value):
    try:
        return 0.0 <= as_number(value) <= 1.0
    except ValueError:
        return False


# The minibatch recorder trains on SAMPLE_ROWS distinct examples, example i of class i,
# for SAMPLE_ITERS iterations of TRAIN_BATCH rows. A correct sampler draws every row: with
# replacement a given row is missed with probability (1 - 1/10)^(8 * 30) < 1.1e-11, so
# some row is missed with probability < 1.1e-10; without replacement (1 - 8/10)^30 per row.
# A sampler that draws from range(N - 1) or range(batch_size) never draws the last rows.
SAMPLE_ROWS, SAMPLE_ITERS = 10, 30


def _minibatch_result(cls, class_name, rng):
    """Random minibatches of batch_size rows, drawn from all N rows, each with the labels
    of its own rows: seen through the calls train makes to self.loss on a training set
    of distinct rows with distinct labels (row i has label i). None when train does not
    call self.loss, or passes it rows that are not rows of X."""
    n, d = SAMPLE_ROWS, _SIZES["input_size"]
    X, y = rng.standard_normal((n, d)), np.arange(n)
    if _lazy(class_name):
        X[:, -1] = 1.0
    model, problem = _model(cls, class_name, _random_params(rng, class_name, classes=n), output_size=n)
    if problem:
        return None
    rows = {row.tobytes(): i for i, row in enumerate(X)}
    batches, labels, original = [], [], model.loss

    def recording(*args, **kwargs):
        try:
            values = list(inspect.signature(original).bind(*args, **kwargs).arguments.values())
        except TypeError:
            values = []
        if len(values) > 1 and values[1] is not None and isinstance(values[0], np.ndarray):
            batches.append([rows.get(np.asarray(row, dtype=np.float64).tobytes()) for row in values[0]])
            labels.append(values[1])
        return original(*args, **kwargs)

    model.loss = recording
    _, problem = _train(model, class_name, X, y, SAMPLE_ITERS, learning_rate=0.01)
    if problem or not batches or any(i is None for b in batches for i in b):
        return None
    name = f"{class_name}.train: minibatches"
    if any(len(b) != TRAIN_BATCH for b in batches):
        return failed(
            name,
            f"the minibatches had {sorted({len(b) for b in batches})} rows; each should have "
            f"batch_size={TRAIN_BATCH} rows",
        )
    if all(b == list(range(TRAIN_BATCH)) for b in batches):
        return failed(
            name,
            "every iteration used the first batch_size rows of X: sample a random minibatch, "
            "e.g. np.random.choice(N, batch_size)",
        )
    if all(b == batches[0] for b in batches):
        return failed(name, "every iteration used the same minibatch: draw a new random one each iteration")
    if not all(_same_labels(got, y[b]) for b, got in zip(batches, labels)):
        return failed(
            name,
            f"the labels passed to self.loss are not the labels of the rows passed with them: in "
            f"{class_name}.train, draw the random indices once per iteration and take both X[batch] "
            "and y[batch] with them",
        )
    missed = sorted(set(range(n)) - {i for b in batches for i in b})
    if missed:
        return failed(
            name,
            f"on a training set of N={n} rows, {SAMPLE_ITERS} iterations of batch_size={TRAIN_BATCH} never drew "
            f"row{'s' if len(missed) > 1 else ''} {', '.join(map(str, missed))}: in {class_name}.train, draw "
            "the indices from all N = X.shape[0] rows, np.random.choice(N, batch_size) (not from N - 1 "
            "or from batch_size rows)",
        )
    return passed(
        name,
        f"a new random minibatch of batch_size={TRAIN_BATCH} rows at each iteration, drawn from all rows, "
        "with their own labels",
    )


def _same_labels(got, expected):
    try:
        got = np.asarray(got)
    except (TypeError, ValueError):
        return False
    return got.shape == expected.shape and np.array_equal(got, expected)


def _lazy_init_result(cls, class_name, rng):
    """LinearSoftmax.train creates self.W (D, C) when it is None."""
    name = f"{class_name}.train: creates self.W"
    X, y = _blobs(rng, 12, class_name)
    call = _class_spec(class_name)["methods"]["__init__"]["calls"][0]
    model, problem = call_as_grader(cls, call, _SIZES)
    if problem:
        return failed(name, f"{class_name}() failed: {problem}")
    if getattr(model, "W", "missing") is not None:
        return failed(name, f"{class_name}() should set self.W = None (train creates the weights)")
    _, problem = _train(model, class_name, X, y, 2)
    if problem:
        return failed(name, problem)
    shape = (X.shape[1], int(y.max()) + 1)
    W = getattr(model, "W", None)
    if not isinstance(W, np.ndarray) or W.shape != shape:
        return failed(
            name,
            f"after train on X {X.shape} with {shape[1]} classes, self.W should have shape "
            f"{shape}; it is {_describe(W)}",
        )
    return passed(name, f"self.W {shape} created by the first call to train")


def _scores(model, class_name, X):
    if _lazy(class_name):
        return X @ model.W, None
    call = [c for c in _class_spec(class_name)["methods"]["loss"]["calls"] if len(c) == 1][0]
    scores, problem = call_as_grader(model.loss, call, {"X": X})
    if not problem and not isinstance(scores, np.ndarray):
        problem = f"loss(X) returned {_describe(scores)}"
    return scores, problem
