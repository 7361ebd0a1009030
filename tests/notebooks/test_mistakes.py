"""Realistic mistakes, one at a time, applied to the finished solution notebooks:
each must be caught before hand-in by a visible check (check_function, which the
self-check runs too) or by the self-check, with a message that names the function
and what to look at; the self-check must then not say "Ready to submit.".
The solutions, and correct code written differently, must pass every check and be Ready.

A mistake is (notebook part, edits of the finished notebook, what must say FAIL:
a piece of the check's title and a piece of its message). Code edits replace one
exact piece of the solution's text, as a student's wrong line would.
"""

from __future__ import annotations

import contextlib
import io
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from student_code import (
    add_cell,
    edit_function,
    failures,
    finished_notebook,
    readiness,
    run_cell,
    run_code,
    stand_in_experiments,
)

sys.path.insert(0, str(Path(__file__).parents[1] / "autograder"))
import variant_sources


@dataclass
class Mistake:
    part: str
    edits: list = field(default_factory=list)  # (function, old text, new text)
    cells: list = field(default_factory=list)  # code cells added after the definitions
    answers: dict = field(default_factory=dict)  # inline question id -> new answer text (None: delete the cell)
    skip: tuple = ()  # experiments (pieces of their titles) not run
    run: list = field(default_factory=list)  # cells of the notebook run after the definitions (pieces of their text)
    then: str = ""  # code run after those cells
    visible: str = ""  # the visible check that must say FAIL, when not check_function's (a helper's name)
    title: str = ""  # must appear in a FAIL's title ...
    says: str = ""  # ... and this in its message


NAIVE_REG = ("loss = loss / num_train + reg * np.sum(W * W)", "dW = dW / num_train + 2 * reg * W")
VEC_LOSS = "loss = -log_probs[rows, y].mean() + reg * np.sum(W * W)"
VEC_DW = "dW = X.T @ dscores / num_train + 2 * reg * W"
VEC_SHIFT = "scores = scores - scores.max(axis=1, keepdims=True)"
NET_REG_LOSS = "loss = data_loss + reg * (np.sum(W1 * W1) + np.sum(W2 * W2))"
NET_REG_GRADS = 'grads["W1"] += 2.0 * reg * W1\n        grads["W2"] += 2.0 * reg * W2'
DECAY = "                learning_rate *= learning_rate_decay\n"
LINEAR_DRAW = "batch = np.random.choice(num_train, batch_size, replace=True)"
DATA_CELL = "data = preprocess(load_digits_split(seed=SEED), bias_trick=False)"
VEC_DEF = "def softmax_loss_vectorized(W, X, y, reg):"
IDLE_LOOP = "    N = X.shape[0]\n    for i in range(N):\n        pass\n"
NET_UPDATE = "            for name, grad in grads.items():\n                self.params[name] -= learning_rate * grad"

MISTAKES = {
    # ------------------------------------------------------------- part 1: softmax_loss_naive
    "naive: 0.5 * reg in the loss, reg * W in the gradient (they agree)": Mistake(
        "part1",
        [
            ("softmax_loss_naive", NAIVE_REG[0], "loss = loss / num_train + 0.5 * reg * np.sum(W * W)"),
            ("softmax_loss_naive", NAIVE_REG[1], "dW = dW / num_train + reg * W"),
        ],
        title="softmax_loss_naive: known answer 1",
        says="no factor 0.5",
    ),
    "naive: no regularization gradient": Mistake(
        "part1",
        [("softmax_loss_naive", NAIVE_REG[1], "dW = dW / num_train")],
        title="softmax_loss_naive: known answer 1",
        says="add 2 * reg * W",
    ),
    "naive: dW not divided by N": Mistake(
        "part1",
        [("softmax_loss_naive", NAIVE_REG[1], "dW = dW + 2 * reg * W")],
        title="softmax_loss_naive: known answer 1",
        says="divide it by N",
    ),
    "naive: loss summed, not averaged": Mistake(
        "part1",
        [("softmax_loss_naive", NAIVE_REG[0], "loss = loss + reg * np.sum(W * W)")],
        title="softmax_loss_naive: known answer 1",
        says="divide it by N",
    ),
    "naive: the bias row left out of the regularization (loss and gradient agree)": Mistake(
        "part1",
        [
            ("softmax_loss_naive", NAIVE_REG[0], "loss = loss / num_train + reg * np.sum(W[:-1] * W[:-1])"),
            (
                "softmax_loss_naive",
                NAIVE_REG[1],
                "dW = dW / num_train + 2 * reg * np.vstack([W[:-1], np.zeros((1, W.shape[1]))])",
            ),
        ],
        title="softmax_loss_naive: known answer 1",
        says="bias row included",
    ),
    "naive: no max subtraction": Mistake(
        "part1",
        [("softmax_loss_naive", "shifted = scores - np.max(scores)", "shifted = scores")],
        title="softmax_loss_naive: known answer 2",
        says="each row's own maximum",
    ),
    "naive: the log is forgotten": Mistake(
        "part1",
        [("softmax_loss_naive", "loss -= np.log(probs[y[i]])", "loss -= probs[y[i]]")],
        title="softmax_loss_naive: known answer 1",
        says="-log of the softmax probability",
    ),
    "naive: written without loops": Mistake(
        "part1",
        cells=[variant_sources.NAIVE_WITHOUT_LOOPS],
        title="softmax_loss_naive: loops",
        says="explicit Python loops",
    ),
    "naive: a loop that does nothing next to vectorized code": Mistake(
        "part1",
        cells=[variant_sources.NAIVE_WITHOUT_LOOPS.replace("    N = X.shape[0]\n", IDLE_LOOP)],
        title="softmax_loss_naive: loops",
        says="does nothing with them",
    ),
    # ------------------------------------------------------------- part 1: softmax_loss_vectorized
    "vectorized: 0.5 * reg in the loss, reg * W in the gradient (they agree)": Mistake(
        "part1",
        [
            ("softmax_loss_vectorized", VEC_LOSS, VEC_LOSS.replace("reg *", "0.5 * reg *")),
            ("softmax_loss_vectorized", VEC_DW, VEC_DW.replace("2 * reg", "reg")),
        ],
        title="softmax_loss_vectorized: known answer 1",
        says="no factor 0.5",
    ),
    "vectorized: halved regularization gradient": Mistake(
        "part1",
        [("softmax_loss_vectorized", VEC_DW, VEC_DW.replace("2 * reg", "reg"))],
        title="softmax_loss_vectorized: known answer 1",
        says="derivative of reg * np.sum(W * W) is 2 * reg * W",
    ),
    "vectorized: no regularization in the loss": Mistake(
        "part1",
        [("softmax_loss_vectorized", VEC_LOSS, "loss = -log_probs[rows, y].mean()")],
        title="softmax_loss_vectorized: known answer 1",
        says="no regularization term",
    ),
    "vectorized: no max subtraction": Mistake(
        "part1",
        [("softmax_loss_vectorized", VEC_SHIFT, "scores = scores")],
        title="softmax_loss_vectorized: known answer 2",
        says="np.exp overflows",
    ),
    "vectorized: one maximum for the whole matrix": Mistake(
        "part1",
        [("softmax_loss_vectorized", VEC_SHIFT, "scores = scores - scores.max()")],
        title="softmax_loss_vectorized: known answer 2",
        says="one maximum for the whole matrix is not enough",
    ),
    "vectorized: the maximum over the wrong axis": Mistake(
        "part1",
        [("softmax_loss_vectorized", VEC_SHIFT, "scores = scores - scores.max(axis=0, keepdims=True)")],
        title="softmax_loss_vectorized: known answer 2",
        says="each row's own maximum",
    ),
    "vectorized: normalised over the wrong axis": Mistake(
        "part1",
        [
            (
                "softmax_loss_vectorized",
                "np.exp(scores).sum(axis=1, keepdims=True)",
                "np.exp(scores).sum(axis=0, keepdims=True)",
            )
        ],
        title="softmax_loss_vectorized: known answer 1",
        says="-log of the softmax probability",
    ),
    "vectorized: a Python loop for the loss": Mistake(
        "part1",
        [
            (
                "softmax_loss_vectorized",
                VEC_LOSS,
                "loss = 0.0\n    for i in range(num_train):\n        loss -= log_probs[i, y[i]]\n"
                "    loss = loss / num_train + reg * np.sum(W * W)",
            )
        ],
        title="softmax_loss_vectorized: no loops",
        says="uses a for loop (line 18 of it",
    ),
    "vectorized: a comprehension for the loss": Mistake(
        "part1",
        [
            (
                "softmax_loss_vectorized",
                VEC_LOSS,
                "loss = -np.mean([log_probs[i, y[i]] for i in rows]) + reg * np.sum(W * W)",
            )
        ],
        title="softmax_loss_vectorized: no loops",
        says="list comprehension",
    ),
    "vectorized: map under a top-level alias": Mistake(
        "part1",
        [
            ("softmax_loss_vectorized", VEC_DEF, "_each = map\n\n\n" + VEC_DEF),
            (
                "softmax_loss_vectorized",
                VEC_LOSS,
                "loss = -np.mean(list(_each(lambda i: log_probs[i, y[i]], rows))) + reg * np.sum(W * W)",
            ),
        ],
        title="softmax_loss_vectorized: no loops",
        says="map() under the name _each",
    ),
    "vectorized: reduce imported under another name": Mistake(
        "part1",
        [
            ("softmax_loss_vectorized", VEC_DEF, "from functools import reduce as fold\n\n\n" + VEC_DEF),
            (
                "softmax_loss_vectorized",
                VEC_LOSS,
                "loss = fold(lambda acc, i: acc - log_probs[i, y[i]], rows, 0.0) / num_train + reg * np.sum(W * W)",
            ),
        ],
        title="softmax_loss_vectorized: no loops",
        says="reduce() under the name fold",
    ),
    "vectorized: the loop hidden in a helper function": Mistake(
        "part1",
        [("softmax_loss_vectorized", VEC_LOSS, "loss = mean_correct_log_loss(log_probs, y) + reg * np.sum(W * W)")],
        cells=[
            """
            def mean_correct_log_loss(log_probs, y):
                total = 0.0
                for i in range(len(y)):
                    total -= log_probs[i, y[i]]
                return total / len(y)
            """
        ],
        title="softmax_loss_vectorized: no loops",
        says="mean_correct_log_loss, which it calls",
    ),
    "vectorized: C taken from max(y) + 1": Mistake(
        "part1",
        cells=[variant_sources.VEC_C_FROM_LABELS],
        title="softmax_loss_vectorized: known answer 1",
        says="broadcast",
    ),
    "vectorized: an extra parameter without a default": Mistake(
        "part1",
        [
            (
                "softmax_loss_vectorized",
                "def softmax_loss_vectorized(W, X, y, reg):",
                "def softmax_loss_vectorized(W, X, y, reg, eps):",
            )
        ],
        title="softmax_loss_vectorized: signature",
        says="give any extra parameter a default value",
    ),
    "vectorized: W changed in place": Mistake(
        "part1",
        [("softmax_loss_vectorized", VEC_DW, "W *= 2 * reg\n    dW = X.T @ dscores / num_train + W")],
        title="softmax_loss_vectorized: known answer 1",
        says="modified its input W in place",
    ),
    "vectorized: the loss not averaged into one number": Mistake(
        "part1",
        [
            ("softmax_loss_vectorized", VEC_LOSS, "loss = -log_probs[rows, y] + reg * np.sum(W * W)"),
            ("softmax_loss_vectorized", "return float(loss), dW", "return loss, dW"),
        ],
        title="softmax_loss_vectorized: known answer 1",
        says="should be one number",
    ),
    "vectorized: calls the naive version": Mistake(
        "part1",
        [("softmax_loss_vectorized", VEC_DW, VEC_DW + "\n    loss, dW = softmax_loss_naive(W, X, y, reg)")],
        title="softmax_loss_vectorized: no loops",
        says="softmax_loss_naive, which it calls",
    ),
    "vectorized: W and X swapped in the signature": Mistake(
        "part1",
        [
            (
                "softmax_loss_vectorized",
                "def softmax_loss_vectorized(W, X, y, reg):",
                "def softmax_loss_vectorized(X, W, y, reg):",
            )
        ],
        title="softmax_loss_vectorized: known answer 1",
        says="Error",
    ),
    # ------------------------------------------------------------- part 1: LinearSoftmax
    "LinearSoftmax.train: batch_size ignored (the whole training set every step)": Mistake(
        "part1",
        [("LinearSoftmax", "loss, grad = self.loss(X[batch], y[batch], reg)", "loss, grad = self.loss(X, y, reg)")],
        title="LinearSoftmax.train: minibatches",
        says="each should have batch_size=8 rows",
    ),
    "LinearSoftmax.train: no update (the result is thrown away)": Mistake(
        "part1",
        [("LinearSoftmax", "self.W -= learning_rate * grad", "W = self.W - learning_rate * grad")],
        title="LinearSoftmax.train: update rule",
        says="did not change the parameters",
    ),
    "LinearSoftmax.train: a step up the gradient": Mistake(
        "part1",
        [("LinearSoftmax", "self.W -= learning_rate * grad", "self.W += learning_rate * grad")],
        title="LinearSoftmax.train: update rule",
        says="along the gradient instead of against it",
    ),
    "LinearSoftmax.train: reg not passed to the loss": Mistake(
        "part1",
        [
            (
                "LinearSoftmax",
                "loss, grad = self.loss(X[batch], y[batch], reg)",
                "loss, grad = self.loss(X[batch], y[batch], 0.0)",
            )
        ],
        title="LinearSoftmax.train: update rule",
        says="does not pass reg",
    ),
    "LinearSoftmax.train: a new W on every call": Mistake(
        "part1",
        [
            (
                "LinearSoftmax",
                "        if self.W is None:\n            self.W = 0.001",
                "        if True:\n            self.W = 0.001",
            )
        ],
        title="LinearSoftmax.train",
        says="create self.W only when it is None",
    ),
    "LinearSoftmax.train: the history records the loss after the step": Mistake(
        "part1",
        [
            (
                "LinearSoftmax",
                "            self.W -= learning_rate * grad\n",
                "            self.W -= learning_rate * grad\n"
                "            loss = self.loss(X[batch], y[batch], reg)[0]\n",
            )
        ],
        title="LinearSoftmax.train: returned history",
        says="the loss at iteration 1 was",
    ),
    "LinearSoftmax.train: always the first rows as the minibatch": Mistake(
        "part1",
        [
            (
                "LinearSoftmax",
                "batch = np.random.choice(num_train, batch_size, replace=True)",
                "batch = np.arange(batch_size)",
            )
        ],
        title="LinearSoftmax.train: minibatches",
        says="first batch_size rows",
    ),
    "LinearSoftmax.train: the last row never drawn": Mistake(
        "part1",
        [("LinearSoftmax", LINEAR_DRAW, LINEAR_DRAW.replace("num_train,", "num_train - 1,"))],
        title="LinearSoftmax.train: minibatches",
        says="never drew row 9: in LinearSoftmax.train",
    ),
    "LinearSoftmax.train: the indices drawn from batch_size rows": Mistake(
        "part1",
        [("LinearSoftmax", LINEAR_DRAW, LINEAR_DRAW.replace("num_train,", "batch_size,"))],
        title="LinearSoftmax.train: minibatches",
        says="never drew rows 8, 9",
    ),
    "LinearSoftmax.train: X and y batches from separate draws": Mistake(
        "part1",
        [
            (
                "LinearSoftmax",
                "loss, grad = self.loss(X[batch], y[batch], reg)",
                "loss, grad = self.loss(X[batch], y[np.random.choice(num_train, batch_size)], reg)",
            )
        ],
        title="LinearSoftmax.train: minibatches",
        says="not the labels of the rows passed with them: in LinearSoftmax.train",
    ),
    "LinearSoftmax.predict: scores instead of labels": Mistake(
        "part1",
        [("LinearSoftmax", "y_pred = np.argmax(X @ self.W, axis=1)", "y_pred = X @ self.W")],
        title="LinearSoftmax.predict",
        says="int array",
    ),
    "LinearSoftmax.loss: reg not passed on": Mistake(
        "part1",
        [
            (
                "LinearSoftmax",
                "softmax_loss_vectorized(self.W, X_batch, y_batch, reg)",
                "softmax_loss_vectorized(self.W, X_batch, y_batch, 0.0)",
            )
        ],
        title="LinearSoftmax.loss: known answer 1",
        says="does LinearSoftmax.loss pass reg on",
    ),
    # ------------------------------------------------------------- part 2: layers
    "affine_forward: x not flattened": Mistake(
        "part2",
        [("affine_forward", "x_flat = x.reshape(x.shape[0], -1)", "x_flat = x")],
        title="affine_forward: known answer 1",
        says="affine_forward, line",
    ),
    "affine_backward: db summed over the wrong axis": Mistake(
        "part2",
        [("affine_backward", "db = dout.sum(axis=0)", "db = dout.sum(axis=1)")],
        title="affine_backward: known answer 1",
        says="sum dout over axis 0",
    ),
    "affine_backward: dx not reshaped like x": Mistake(
        "part2",
        [("affine_backward", "dx = (dout @ w.T).reshape(x.shape)", "dx = dout @ w.T")],
        title="affine_backward: known answer 1",
        says="reshape it with .reshape(x.shape)",
    ),
    "affine_backward: dw transposed": Mistake(
        "part2",
        [("affine_backward", "dw = x_rows.T @ dout", "dw = dout.T @ x_rows")],
        title="affine_backward: known answer 1",
        says="dw has shape (3, 6), but it should have shape (6, 3)",
    ),
    "relu_forward: changes x in place": Mistake(
        "part2",
        [("relu_forward", "out = np.maximum(0.0, x)", "x[x < 0] = 0.0\n    out = x")],
        title="relu_forward: known answer 1",
        says="modified its input x in place",
    ),
    "relu_forward: a comprehension": Mistake(
        "part2",
        [
            (
                "relu_forward",
                "out = np.maximum(0.0, x)",
                "out = np.array([max(v, 0.0) for v in x.ravel()]).reshape(x.shape)",
            )
        ],
        title="relu_forward: no loops",
        says="list comprehension",
    ),
    "relu_forward: np.vectorize fetched with getattr": Mistake(
        "part2",
        [("relu_forward", "out = np.maximum(0.0, x)", 'out = getattr(np, "vectorize")(lambda v: max(v, 0.0))(x)')],
        title="relu_forward: no loops",
        says="np.vectorize (a Python loop) fetched with getattr",
    ),
    "relu_backward: mask taken from dout": Mistake(
        "part2",
        [("relu_backward", "dx = np.where(x > 0, dout, 0.0)", "dx = dout * (dout > 0)")],
        title="relu_backward: known answer 1",
        says="not from dout",
    ),
    "relu_backward: dout changed in place": Mistake(
        "part2",
        [("relu_backward", "dx = np.where(x > 0, dout, 0.0)", "dout[x <= 0] = 0\n    dx = dout")],
        title="relu_backward: known answer 1",
        says="modified its input dout in place",
    ),
    "relu_backward: x >= 0 at the kink": Mistake(
        "part2",
        [("relu_backward", "dx = np.where(x > 0, dout, 0.0)", "dx = np.where(x >= 0, dout, 0.0)")],
        title="relu_backward: known answer 1",
        says="use x > 0, not x >= 0",
    ),
    "softmax_loss: dscores not divided by N": Mistake(
        "part2",
        [("softmax_loss", "    dscores /= N\n", "")],
        title="softmax_loss: known answer 1",
        says="N times too large",
    ),
    "softmax_loss: no max subtraction": Mistake(
        "part2",
        [("softmax_loss", "shifted = scores - scores.max(axis=1, keepdims=True)", "shifted = scores")],
        title="softmax_loss: known answer 2",
        says="np.exp overflows",
    ),
    "softmax_loss: one maximum for the whole matrix": Mistake(
        "part2",
        [("softmax_loss", "shifted = scores - scores.max(axis=1, keepdims=True)", "shifted = scores - scores.max()")],
        title="softmax_loss: known answer 2",
        says="one maximum for the whole matrix is not enough",
    ),
    "softmax_loss: C taken from max(y) + 1": Mistake(
        "part2", cells=[variant_sources.SOFTMAX_C_FROM_LABELS], title="softmax_loss: known answer 1", says="broadcast"
    ),
    # ------------------------------------------------------------- part 2: TwoLayerNet
    "TwoLayerNet.loss: biases regularized (loss and gradient agree)": Mistake(
        "part2",
        [
            (
                "TwoLayerNet",
                NET_REG_LOSS,
                "loss = data_loss + reg * (np.sum(W1 * W1) + np.sum(W2 * W2) + np.sum(b1 * b1) + np.sum(b2 * b2))",
            ),
            (
                "TwoLayerNet",
                NET_REG_GRADS,
                NET_REG_GRADS + '\n        grads["b1"] += 2.0 * reg * b1\n        grads["b2"] += 2.0 * reg * b2',
            ),
        ],
        title="TwoLayerNet.loss: known answer 2",
        says="never b1 and b2",
    ),
    "TwoLayerNet.loss: 0.5 * reg in the loss, reg * W in the gradients (they agree)": Mistake(
        "part2",
        [
            ("TwoLayerNet", NET_REG_LOSS, NET_REG_LOSS.replace("reg *", "0.5 * reg *")),
            ("TwoLayerNet", NET_REG_GRADS, NET_REG_GRADS.replace("2.0 * reg", "reg")),
        ],
        title="TwoLayerNet.loss: known answer 2",
        says="no factor 0.5",
    ),
    "TwoLayerNet.loss: no regularization gradient for W1": Mistake(
        "part2",
        [("TwoLayerNet", '        grads["W1"] += 2.0 * reg * W1\n', "")],
        title="TwoLayerNet.loss: known answer 2",
        says="add 2 * reg * W1",
    ),
    "TwoLayerNet.loss: b2 left out of the scores": Mistake(
        "part2",
        [
            (
                "TwoLayerNet",
                "scores, cache_2 = affine_forward(hidden, W2, b2)",
                "scores, cache_2 = affine_forward(hidden, W2, 0 * b2)",
            )
        ],
        title="TwoLayerNet.loss: known answer 1",
        says="both biases",
    ),
    "TwoLayerNet.loss: a loop over the examples": Mistake(
        "part2",
        [
            (
                "TwoLayerNet",
                "data_loss, dscores = softmax_loss(scores, y)",
                "data_loss, dscores = softmax_loss(scores, y)\n        for i in range(len(y)):\n"
                "            dscores[i] = dscores[i] * 1.0",
            )
        ],
        title="TwoLayerNet.loss: no loops",
        says="uses a for loop",
    ),
    "TwoLayerNet.train: learning rate decay removed": Mistake(
        "part2", [("TwoLayerNet", DECAY, "")], title="TwoLayerNet.train: learning rate decay", says="never decayed"
    ),
    "TwoLayerNet.train: learning rate decayed every iteration": Mistake(
        "part2",
        [
            ("TwoLayerNet", DECAY, ""),
            (
                "TwoLayerNet",
                "            loss_history.append(loss)\n",
                "            loss_history.append(loss)\n            learning_rate *= learning_rate_decay\n",
            ),
        ],
        title="TwoLayerNet.train: learning rate decay",
        says="changed after iterations 1, 2, 3",
    ),
    "TwoLayerNet.train: reg not passed to the loss": Mistake(
        "part2",
        [("TwoLayerNet", "self.loss(X[batch], y=y[batch], reg=reg)", "self.loss(X[batch], y=y[batch])")],
        title="TwoLayerNet.train: update rule",
        says="does not pass reg",
    ),
    "TwoLayerNet.train: only the weights are updated": Mistake(
        "part2",
        [
            (
                "TwoLayerNet",
                NET_UPDATE,
                '            for name in ("W1", "W2"):\n'
                "                self.params[name] -= learning_rate * grads[name]",
            )
        ],
        title="TwoLayerNet.train: update rule",
        says="never updates b1, b2",
    ),
    "TwoLayerNet.train: no update": Mistake(
        "part2",
        [
            (
                "TwoLayerNet",
                NET_UPDATE,
                "            for name, grad in grads.items():\n"
                "                self.params[name] - learning_rate * grad",
            )
        ],
        title="TwoLayerNet.train: update rule",
        says="did not change the parameters",
    ),
    "TwoLayerNet.train: one minibatch drawn once, before the loop": Mistake(
        "part2",
        [
            (
                "TwoLayerNet",
                "        for it in range(num_iters):\n",
                "        batch = np.random.choice(num_train, batch_size, replace=True)\n"
                "        for it in range(num_iters):\n",
            ),
            ("TwoLayerNet", "            batch = np.random.choice(num_train, batch_size, replace=True)\n", ""),
        ],
        title="TwoLayerNet.train: minibatches",
        says="the same minibatch",
    ),
    "TwoLayerNet.train: the last row never drawn": Mistake(
        "part2",
        [("TwoLayerNet", LINEAR_DRAW, LINEAR_DRAW.replace("num_train,", "num_train - 1,"))],
        title="TwoLayerNet.train: minibatches",
        says="never drew row 9: in TwoLayerNet.train",
    ),
    "TwoLayerNet.train: the indices drawn from batch_size rows": Mistake(
        "part2",
        [("TwoLayerNet", LINEAR_DRAW, LINEAR_DRAW.replace("num_train,", "batch_size,"))],
        title="TwoLayerNet.train: minibatches",
        says="not from N - 1 or from batch_size rows",
    ),
    "TwoLayerNet.train: X and y batches from separate draws": Mistake(
        "part2",
        [
            (
                "TwoLayerNet",
                "self.loss(X[batch], y=y[batch], reg=reg)",
                "self.loss(X[batch], y=y[np.random.choice(num_train, batch_size)], reg=reg)",
            )
        ],
        title="TwoLayerNet.train: minibatches",
        says="draw the random indices once per iteration and take both X[batch] and y[batch]",
    ),
    "TwoLayerNet.train: the accuracies never recorded": Mistake(
        "part2",
        [("TwoLayerNet", "                train_acc_history.append(float(np.mean(self.predict(X) == y)))\n", "")],
        title="TwoLayerNet.train: returned history",
        says="train_acc_history should hold one accuracy",
    ),
    "TwoLayerNet.predict: scores instead of labels": Mistake(
        "part2",
        [("TwoLayerNet", "y_pred = np.argmax(self.loss(X), axis=1)", "y_pred = self.loss(X)")],
        title="TwoLayerNet.predict",
        says="int array",
    ),
    "search_hyperparameters: best_val never updated (the last run is kept)": Mistake(
        "part2",
        [
            (
                "search_hyperparameters",
                "best_val, best_net = val_acc, model",
                "best_net = model",
            )
        ],
        run=["SEED = COURSE_SEED", DATA_CELL],
        then="results, best_net, best_params = search_hyperparameters([20], [0.3, 0.01], [1e-3])",
        visible="search_results",
        title="hyperparameter search: the best run is kept",
        says="must keep the run with the highest validation accuracy",
    ),
    # ------------------------------------------------------------- answers and experiments
    "every inline answer of Part 1 left blank": Mistake(
        "part1",
        answers={
            "1.1": "_Write your answer here._",
            "1.2": "_Write your answer here._",
            "1.3": "_Write your answer here._",
        },
        title="inline answers",
        says="blank: 1.1, 1.2, 1.3",
    ),
    "one inline answer of Part 2 left empty": Mistake(
        "part2", answers={"2.2": ""}, title="inline answers", says="blank: 2.2"
    ),
    "an answer cell deleted": Mistake(
        "part2", answers={"2.3": None}, title="inline answers", says="no answer cell for 2.3"
    ),
    "the hyperparameter search not run": Mistake(
        "part2", skip=("hyperparameter search",), title="experiment: your hyperparameter search", says="not run yet"
    ),
    "the test accuracy not computed": Mistake(
        "part1", skip=("test accuracy",), title="experiment: the test accuracy", says="test_accuracy not set"
    ),
}


def cell_with(nb, piece: str) -> str:
    """The source of the one code cell of `nb` that holds `piece`, silenced."""
    (source,) = [c.source for c in nb.cells if c.cell_type == "code" and piece in c.source]
    return source


def apply(mistake: Mistake):
    nb = finished_notebook(mistake.part)
    for function, old, new in mistake.edits:
        edit_function(nb, function, old, new)
    for source in mistake.cells:
        add_cell(nb, source)
    for qid, text in mistake.answers.items():
        index = next(
            i
            for i, c in enumerate(nb.cells)
            if c.cell_type == "markdown" and c.source.startswith(f"**Your answer (inline question {qid}):**")
        )
        if text is None:
            del nb.cells[index]
        else:
            nb.cells[index].source = f"**Your answer (inline question {qid}):**\n\n{text}"
    return nb


def test_there_are_enough_mistakes_of_every_kind():
    assert len(MISTAKES) >= 30
    assert {m.part for m in MISTAKES.values()} == {"part1", "part2"}


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_mistake_is_caught_before_hand_in(name, tmp_path):
    mistake = MISTAKES[name]
    nb = apply(mistake)
    namespace = run_code(nb)
    with contextlib.redirect_stdout(io.StringIO()):
        for piece in mistake.run:
            run_cell(namespace, cell_with(nb, piece), 0)
        run_cell(namespace, mistake.then, 1)
    if mistake.visible:
        visible = namespace[mistake.visible](namespace)
        assert any(r.status == "FAIL" and mistake.title in r.title and mistake.says in r.message for r in visible), (
            visible
        )
    elif mistake.edits or mistake.cells:  # the check cell after the function already says FAIL
        function = mistake.title.split(":")[0].split(".")[0]
        visible = namespace["function_results"](namespace, function)
        assert any(r.status == "FAIL" and mistake.title in r.title and mistake.says in r.message for r in visible), (
            visible
        )
    stand_in_experiments(namespace, mistake.part, mistake.skip)
    report, printed = readiness(namespace, nb, mistake.part, tmp_path)
    assert not report["ready"] and "Ready to submit." not in printed, printed
    found = [(t, m) for t, m in failures(report) if mistake.title in t]
    assert found, f"no FAIL titled {mistake.title!r}:\n{printed}"
    assert any(mistake.says in m for _, m in found), f"{mistake.says!r} not in {found}"


# ------------------------------------------------------------------ correct code


@pytest.mark.parametrize("part", ["part1", "part2"])
def test_the_solution_passes_every_check_and_is_ready(part, tmp_path):
    nb = finished_notebook(part)
    namespace = run_code(nb)
    stand_in_experiments(namespace, part)
    report, printed = readiness(namespace, nb, part, tmp_path)
    assert report["ready"] and printed.rstrip().endswith("Ready to submit."), printed
    assert not failures(report)


VEC_RENAMED = """
def softmax_loss_vectorized(weights, inputs, labels, strength, eps=0.0):
    n = inputs.shape[0]
    s = inputs @ weights
    s = s - s.max(axis=1, keepdims=True)
    p = np.exp(s) / np.exp(s).sum(axis=1, keepdims=True)
    loss = -np.mean(np.log(p[np.arange(n), labels] + eps)) + strength * np.sum(weights * weights)
    p[np.arange(n), labels] -= 1
    return np.array([loss]), inputs.T @ p / n + 2 * strength * weights
"""
NET_GRADS = """        grads = {}
        da, grads["W2"], grads["b2"] = affine_backward(ds, c2)
        dh = relu_backward(da, cr)
        _, grads["W1"], grads["b1"] = affine_backward(dh, c1)
        grads["W1"] += 2 * reg * W1
        grads["W2"] += 2 * reg * W2
"""
NET_ZIP_GRADS = variant_sources.NET_TEMPLATE.replace(
    NET_GRADS,
    """        da, dW2, db2 = affine_backward(ds, c2)
        dh = relu_backward(da, cr)
        _, dW1, db1 = affine_backward(dh, c1)
        dW1 += 2 * reg * W1
        dW2 += 2 * reg * W2
        grads = {k: g for k, g in zip(("W1", "b1", "W2", "b2"), (dW1, db1, dW2, db2))}
""",
)
assert NET_ZIP_GRADS != variant_sources.NET_TEMPLATE
CORRECT = dict(variant_sources.CORRECT)
CORRECT.update(
    {
        "renamed parameters, an extra one with a default, the loss as a 1-element array": {
            "softmax_loss_vectorized": VEC_RENAMED,
            "LinearSoftmax": variant_sources.LINEAR_TEMPLATE.replace("verbose=False):", "verbose=False, seed=None):"),
        },
        "a loop over the parameter names in the loss": {"TwoLayerNet": variant_sources.NET_PARAMS_KEY_LOOP},
        "the gradients gathered with zip over the parameter names": {"TwoLayerNet": NET_ZIP_GRADS},
    }
)


@pytest.mark.parametrize("name", sorted(CORRECT))
def test_correct_code_written_differently_is_ready(name, tmp_path):
    sources = CORRECT[name]
    for part in ("part1", "part2"):
        nb = finished_notebook(part)
        for source in sources.values():
            add_cell(nb, source)
        namespace = run_code(nb)
        stand_in_experiments(namespace, part)
        report, printed = readiness(namespace, nb, part, tmp_path / part)
        assert report["ready"], printed


# ------------------------------------------------------------------ verdicts printed by the notebook's cells


def test_a_fail_printed_by_a_cell_above_keeps_the_self_check_from_saying_ready(tmp_path):
    """Section 4's sanity check (the net memorises 20 examples) printed FAIL: the self-check,
    run later in the same session, says so and is not Ready; run again with the cell
    passing, its verdict replaces the FAIL and the notebook is Ready."""
    nb = finished_notebook("part2")
    namespace = run_code(nb)
    sanity = cell_with(nb, "small_net = TwoLayerNet(64, 50, 10, std=0.1)")
    assert "learning_rate=0.5," in sanity
    with contextlib.redirect_stdout(io.StringIO()):
        for piece in ("SEED = COURSE_SEED", DATA_CELL):
            run_cell(namespace, cell_with(nb, piece), 0)
        run_cell(namespace, sanity.replace("learning_rate=0.5,", "learning_rate=1e-6,"), 1)
    stand_in_experiments(namespace, "part2")
    report, printed = readiness(namespace, nb, "part2", tmp_path / "fail")
    assert not report["ready"] and "Ready to submit." not in printed, printed
    found = [m for t, m in failures(report) if t == "printed above: the net memorises 20 training examples"]
    assert found and "instead of 1.00: check loss and train" in found[0] and "run that cell again" in found[0]

    with contextlib.redirect_stdout(io.StringIO()):
        run_cell(namespace, sanity, 2)  # fixed and run again
    report, printed = readiness(namespace, nb, "part2", tmp_path / "pass")
    assert report["ready"], printed
    assert ("the checks printed by the cells above", "PASS", "all 1 say PASS") in report["checks"]


def test_the_solutions_search_keeps_its_best_run():
    nb = finished_notebook("part2")
    namespace = run_code(nb)
    with contextlib.redirect_stdout(io.StringIO()):
        for piece in ("SEED = COURSE_SEED", DATA_CELL):
            run_cell(namespace, cell_with(nb, piece), 0)
        run_cell(namespace, "results, best_net, best_params = search_hyperparameters([20], [0.3, 0.01], [1e-3])", 1)
    (result,) = namespace["search_results"](namespace)
    assert result.status == "PASS", result
    namespace["best_net"] = namespace["train_digits_net"](20, 0.01, 1e-3)[0]  # the other run's net
    (result,) = namespace["search_results"](namespace)
    assert result.status == "FAIL" and "must keep best_net and best_params from the same run" in result.message
