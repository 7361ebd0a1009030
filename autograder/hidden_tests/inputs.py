"""Hidden inputs shared by the test files (all drawn from a seeded Generator).

Chosen to expose the bugs students really make: several shapes including
N=1 and C=2, labels that do not cover every class, non-zero biases, large
scores, and inputs away from the ReLU kink where finite differences are used.
"""

from __future__ import annotations

import numpy as np

# (N, D, C) for loss values: one example, two classes, and ordinary batches
LOSS_SHAPES = [(1, 4, 3), (6, 5, 2), (9, 7, 5), (20, 12, 10)]
REG = 0.5  # large enough that the regularization term is a sizeable part of loss and gradient


def linear_problem(rng, n, d, c, *, scale=0.5):
    """W (d, c), X (n, d) with a last column of ones (the bias trick), y (n,) int64."""
    X = np.hstack([rng.standard_normal((n, d - 1)), np.ones((n, 1))])
    W = scale * rng.standard_normal((d, c))
    y = rng.integers(0, c, size=n).astype(np.int64)
    return W, X, y


def _large(y, c):
    """(sign, lead) for scores around +-offset: sign (n, 1) alternates +-1 by row
    (the callers add a spread of a few units), and lead (n, c) puts the correct
    class ahead of the rest by 800 in every other row: exp of anything but
    (score - row max) then overflows (e.g. subtracting the row minimum), while
    -log of the correct class's probability stays finite."""
    n = len(y)
    sign = np.where(np.arange(n) % 2 == 0, 1.0, -1.0)[:, None]
    lead = np.zeros((n, c))
    rows = np.arange(0, n, 2)
    lead[rows, y[rows]] = 800.0
    return sign, lead


def large_scores(rng, y, c, offset=1000.0):
    """(n, c) scores for labels y, see _large."""
    sign, lead = _large(y, c)
    return sign * offset + lead + 2.0 * rng.standard_normal((len(y), c))


def large_scores_problem(rng, n, d, c, offset=1000.0):
    """W (d, c), X (n, d), y (n,) whose scores X.dot(W) are like large_scores'
    (needs d >= c + 2): X = [lead one-hots | noise | +-1], W = [I | noise | offset]."""
    y = rng.integers(0, c, size=n).astype(np.int64)
    sign, lead = _large(y, c)
    X = np.hstack([lead / 800.0, rng.standard_normal((n, d - c - 1)), sign])
    W = np.vstack([800.0 * np.eye(c), 0.5 * rng.standard_normal((d - c - 1, c)), offset + rng.standard_normal((1, c))])
    return W, X, y


def labels_not_covering(rng, n, c):
    """y that uses only the first half of the classes (max(y) + 1 < C)."""
    return rng.integers(0, max(1, c // 2), size=n).astype(np.int64)


def away_from_zero(rng, shape, margin=1e-2):
    """Standard normal entries with |x| >= margin (ReLU is smooth there)."""
    x = rng.standard_normal(shape)
    return np.where(np.abs(x) < margin, np.sign(x + 1e-300) * (margin + np.abs(x)), x)
