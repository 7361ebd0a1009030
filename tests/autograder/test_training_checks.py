"""autograder/hidden_tests/training.py on recorded runs made up here: what a train did,
read off its loss calls (parameters, minibatches, gradients)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from autograder.checks import Fail
from autograder.hidden_tests.training import check_minibatches, check_sgd, sgd_updates

RNG = np.random.default_rng(0)
X = RNG.standard_normal((50, 4))
X[10] = X[3]  # one row twice, with two labels
Y = RNG.integers(0, 3, 50)
Y[10] = (Y[3] + 1) % 3


def batches(indices, labels=lambda i: Y[i]):
    return [SimpleNamespace(X=X[i], y=labels(i)) for i in indices]


HONEST = [RNG.choice(50, 10) for _ in range(30)]


def test_minibatches_drawn_from_all_rows_with_their_labels_pass():
    check_minibatches(batches(HONEST), X, Y, 10, "train")
    check_minibatches(batches([np.full(10, 10), *HONEST]), X, Y, 10, "train")  # the twice-seen row's other label


@pytest.mark.parametrize(
    "run, says",
    [
        (batches([RNG.choice(10, 10) for _ in range(30)]), "drew only 10 of the 49 different training rows"),
        (batches(HONEST, lambda i: Y[RNG.choice(50, 10)]), "does not hold the labels"),
        ([SimpleNamespace(X=RNG.standard_normal((10, 4)), y=Y[:10]), *batches(HONEST)], "not rows of the training"),
        (batches([RNG.choice(50, 20) for _ in range(3)]), "on 20 rows with batch_size=10"),
    ],
)
def test_minibatch_mistakes_fail(run, says):
    with pytest.raises(Fail, match=says):
        check_minibatches(run, X, Y, 10, "train")


def sgd_run(rates, honest_steps=None):
    """Calls of a linear model's train at learning rates `rates`; after `honest_steps`
    updates the parameters jump somewhere else (a fit made another way)."""
    W, calls = np.zeros((4, 3)), []
    for t, lr in enumerate(rates):
        grad = RNG.standard_normal((4, 3))
        calls.append(SimpleNamespace(params={"W": W.copy()}, grads={"W": grad}, loss=1.0))
        W = W - lr * grad if honest_steps is None or t < honest_steps else RNG.standard_normal((4, 3))
    return calls, {"W": W}


def test_sgd_updates_are_read_off_the_calls():
    calls, final = sgd_run([0.5] * 5)
    rates, used = check_sgd(calls, sgd_updates(calls, final), "train", {"num_iters": 5, "learning_rate": 0.5})
    assert np.allclose(rates, 0.5) and used == calls


@pytest.mark.parametrize(
    "rates, honest_steps, says",
    [
        ([0.5] * 5, 1, "by something other than learning_rate"),
        ([0.5] * 4, None, "made 4 parameter updates"),
        ([0.25] * 5, None, "first update used learning rate 0.25"),
        ([0.5, 0.5, 0.25, 0.25, 0.25], None, "changed its learning rate"),
    ],
)
def test_a_run_that_is_not_the_contracts_sgd_fails(rates, honest_steps, says):
    calls, final = sgd_run(rates, honest_steps)
    with pytest.raises(Fail, match=says):
        check_sgd(calls, sgd_updates(calls, final), "train", {"num_iters": 5, "learning_rate": 0.5})
