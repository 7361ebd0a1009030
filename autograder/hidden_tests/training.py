"""What a student's train did on a real training run, read off the calls it made to the
course's loss (reference_calls.Trace records each one: parameters, minibatch, gradients).

Shared by LinearSoftmax.train and TwoLayerNet.train: the trained model earns its points
only when it came from the contract's minibatch SGD, so a model fitted some other way
(a closed-form solve, another library, a few honest steps and then anything) earns none.
"""

from __future__ import annotations

import numpy as np

from autograder.checks import expect

# share of the training rows the minibatches must draw over the run: sequential batches over
# one shuffle that drop the last partial batch (PyTorch's drop_last) draw floor(N / B) * B
# rows, 1000 of the 1197 here; a sampler confined to the first rows draws a fraction of them
COVERAGE_MIN = 0.75
STEP_RTOL = 1e-6  # an update is params - lr * grads to this relative tolerance
RATE_TOL = 1e-6  # learning rates compared to this relative tolerance


def _differs(a: dict, b: dict) -> bool:
    return any(not np.array_equal(a[k], b[k]) for k in a)


def _rate(before: dict, after: dict, grads: dict) -> float | None:
    """lr when after = before - lr * grads (all keys, one lr), else None."""
    step = np.concatenate([(after[k] - before[k]).ravel() for k in before])
    grad = np.concatenate([np.asarray(grads[k], dtype=np.float64).ravel() for k in before])
    if not np.any(grad):
        return None
    lr = -float(step @ grad) / float(grad @ grad)
    scale = max(1.0, float(np.abs(step).max()))
    return lr if np.allclose(step, -lr * grad, rtol=STEP_RTOL, atol=1e-12 * scale) else None


Updates = tuple[list[float], list, bool]  # what sgd_updates reads off one run


def sgd_updates(calls: list, final: dict) -> Updates:
    """(learning rate of each update, the call whose gradients made it, whether every change of
    the parameters was such an update). Consecutive calls at the same parameters form one group
    (a student may also compute a loss for logging); the step to the next different parameters
    must be -lr * grads of one call of the group. A group whose gradients are all exactly 0 says
    nothing about the learning rate and is passed over."""
    rates, used, honest = [], [], True
    start = 0
    while start < len(calls):
        before = calls[start].params
        end = start + 1
        while end < len(calls) and not _differs(calls[end].params, before):
            end += 1
        group, start = calls[start:end], end
        after = calls[end].params if end < len(calls) else final if _differs(final, before) else None
        if after is None or not any(np.any(g) for c in group for g in c.grads.values()):
            continue
        found = next(((r, c) for c in group if (r := _rate(before, after, c.grads)) is not None), None)
        if found is None:
            honest = False
            continue
        rates.append(found[0])
        used.append(found[1])
    return rates, used, honest


def check_sgd(calls: list, updates: Updates, what: str, settings: dict) -> tuple[list[float], list]:
    """`updates` = sgd_updates(calls, final). Fails unless `final` came from
    settings['num_iters'] SGD updates with the gradients of self.loss, the first at
    settings['learning_rate'] (and, for a train without decay, every one). Returns (the
    learning rate of each update, the calls whose gradients made them). The decay schedule
    is judged by its own test (check_schedule): one bug, one deduction."""
    n, lr = settings["num_iters"], settings["learning_rate"]
    expect(
        calls,
        f"{what} never called self.loss, so its parameters did not come from the gradients of the loss",
        "compute each iteration's loss and gradients with self.loss(X_batch, y_batch, reg)",
    )
    rates, used, honest = updates
    expect(
        honest,
        f"{what} changed the parameters by something other than learning_rate * (the gradients self.loss returned)",
        "the only change to the parameters is params -= learning_rate * grads, once per iteration",
    )
    expect(
        len(rates) == n,
        f"{what} made {len(rates)} parameter updates with the gradients of self.loss in {n} iterations",
        "one update per iteration, with that iteration's gradients",
    )
    expect(
        abs(rates[0] - lr) <= RATE_TOL * lr,
        f"{what}'s first update used learning rate {rates[0]:.4g} (learning_rate={lr})",
        "start from the learning_rate argument",
    )
    if "learning_rate_decay" not in settings:
        expect(
            all(abs(r - lr) <= RATE_TOL * lr for r in rates),
            f"{what} changed its learning rate during the run (this train has no decay)",
            "keep learning_rate fixed",
        )
    return rates, used


def check_schedule(rates: list[float], settings: dict, num_train: int, what: str) -> None:
    """The learning rate only ever changes by learning_rate_decay, and does so between once in
    the run and once per num_train // batch_size iterations: the exact points are the small
    decay test's to judge (an epoch of num_train / batch_size iterations need not be whole, and
    CS231n's `it % iterations_per_epoch == 0` then decays once); this catches a train that
    decays differently on a long run than on a short one, or every iteration."""
    n, decay = len(rates), settings["learning_rate_decay"]
    steps = [rates[t + 1] / rates[t] for t in range(n - 1)]
    expect(
        all(min(abs(r - 1.0), abs(r - decay)) <= RATE_TOL for r in steps),
        f"{what} changed the learning rate by a factor other than learning_rate_decay",
        "multiply it by learning_rate_decay once per epoch, nothing else",
    )
    decays = sum(abs(r - decay) <= RATE_TOL for r in steps)
    epoch = max(num_train // settings["batch_size"], 1)
    expect(
        1 <= decays <= -(-n // epoch),
        f"{what} decayed the learning rate {decays} times in {n} iterations with {num_train} rows "
        f"in batches of {settings['batch_size']}",
        "decay once per epoch",
    )


def _row_keys(rows: np.ndarray, dtype) -> np.ndarray:
    """Each row as one opaque value (its bytes), so rows compare and sort as wholes."""
    rows = np.ascontiguousarray(rows, dtype=dtype)
    return rows.view(np.dtype((np.void, rows.dtype.itemsize * rows.shape[1]))).ravel()


def check_minibatches(used: list, X: np.ndarray, y: np.ndarray, batch_size: int, what: str) -> None:
    """Every update's minibatch is batch_size rows of X with their own labels, and over the
    run the minibatches draw nearly all of X (a sampler that only ever sees some rows fails)."""
    keys = _row_keys(X, X.dtype)
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    distinct = np.ones(len(X), dtype=bool)  # the first of each run of equal rows, in sorted order
    distinct[1:] = ordered[1:] != ordered[:-1]
    for call in used:
        expect(
            call.X is not None and call.X.ndim == 2 and 0 < len(call.X) <= batch_size,
            f"{what} called self.loss on {0 if call.X is None else len(call.X)} rows with batch_size={batch_size}",
            "each iteration's minibatch holds batch_size rows",
        )
        expect(
            call.X.shape[1] == X.shape[1],
            f"{what}'s minibatches hold rows that are not rows of the training data",
            "X_batch = X[indices] for the sampled indices",
        )
    # every minibatch of the run at once: one sorted search for all their rows
    batch = _row_keys(np.concatenate([c.X for c in used]), X.dtype)
    labels = np.concatenate([c.y for c in used])
    first = np.minimum(np.searchsorted(ordered, batch, side="left"), len(X) - 1)
    expect(
        bool(np.all(ordered[first] == batch)),
        f"{what}'s minibatches hold rows that are not rows of the training data",
        "X_batch = X[indices] for the sampled indices",
    )
    last = np.searchsorted(ordered, batch, side="right")
    wrong = np.flatnonzero(y[order[first]] != labels)
    expect(  # a row that appears twice in X may carry either of its labels
        all(np.any(y[order[first[i] : last[i]]] == labels[i]) for i in wrong),
        f"{what}'s y_batch does not hold the labels of the rows in X_batch",
        "take X_batch and y_batch with the same indices",
    )
    seen = np.zeros(len(X), dtype=bool)
    seen[first] = True
    expect(
        int(seen.sum()) >= COVERAGE_MIN * int(distinct.sum()),
        f"over {len(used)} iterations of {batch_size} rows, {what}'s minibatches drew only {int(seen.sum())} "
        f"of the {int(distinct.sum())} different training rows",
        "sample the minibatch indices from all num_train rows",
    )
