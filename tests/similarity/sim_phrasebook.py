"""Ways students really fill each START/END CODE HERE region of the release, step by step.

PHRASEBOOK[unit] = [style, ...]; style = [region, ...] (one per region of the
unit, in order); region = [step, ...]; step = [alternative, ...]. A student
picks a style, then one alternative per step, so independent solutions share
some steps (each alternative is common) and differ in the combination, as a
real class does. Every alternative of a step computes the same values under
the same names, so any combination is correct (tests/similarity/
test_sim_population.py runs a sample of them against the reference).
Alternatives differ in *structure* (not only in spelling that normalisation
removes anyway, such as a.dot(b) vs a @ b): loops vs vectorized, logsumexp vs
probabilities, one-hot matrices vs fancy indexing, np.where vs masks...
Names are those of the release skeleton (`num_train`, `loss`, `dW`...).
"""

from __future__ import annotations

NAIVE = [
    [
        [
            [  # the loop over examples: binds xi, yi
                "for i in range(num_train):\n    xi = X[i]\n    yi = y[i]",
                "for i in range(num_train):\n    xi, yi = X[i], y[i]",
                "for xi, yi in zip(X, y):",
                "for i, xi in enumerate(X):\n    yi = y[i]",
                "for i in range(X.shape[0]):\n    xi = X[i, :]\n    yi = y[i]",
            ],
            [  # scores of one example (inside the loop)
                "    scores = xi.dot(W)",
                "    scores = np.zeros(num_classes)\n"
                "    for j in range(num_classes):\n        scores[j] = xi.dot(W[:, j])",
                "    scores = W.T.dot(xi)",
                "    scores = np.array([xi @ W[:, j] for j in range(num_classes)])",
                "    scores = (xi[:, None] * W).sum(axis=0)",
            ],
            [  # numerical stability
                "    scores = scores - np.max(scores)",
                "    shift = np.max(scores)\n    scores = scores - shift",
                "    scores = scores - scores[np.argmax(scores)]",
                "    scores -= scores.max()",
            ],
            [  # probabilities
                "    probs = np.exp(scores) / np.sum(np.exp(scores))",
                "    exp_scores = np.exp(scores)\n    probs = exp_scores / exp_scores.sum()",
                "    probs = np.exp(scores)\n    probs /= np.sum(probs)",
                "    log_probs = scores - np.log(np.sum(np.exp(scores)))\n    probs = np.exp(log_probs)",
                "    denom = 0.0\n    for j in range(num_classes):\n"
                "        denom += np.exp(scores[j])\n    probs = np.exp(scores) / denom",
            ],
            [  # loss of the example
                "    loss += -np.log(probs[yi])",
                "    loss -= np.log(probs[yi])",
                "    loss += np.log(np.sum(np.exp(scores))) - scores[yi]",
                "    correct_prob = probs[yi]\n    loss = loss - np.log(correct_prob)",
            ],
            [  # gradient of the example
                "    for j in range(num_classes):\n        dW[:, j] += (probs[j] - (j == yi)) * xi",
                "    for j in range(num_classes):\n        if j == yi:\n            dW[:, j] += (probs[j] - 1) * xi\n"
                "        else:\n"
                "            dW[:, j] += probs[j] * xi",
                "    dprobs = probs.copy()\n    dprobs[yi] -= 1\n    dW += np.outer(xi, dprobs)",
                "    onehot = np.zeros(num_classes)\n    onehot[yi] = 1\n"
                "    dW += xi[:, None] * (probs - onehot)[None, :]",
                "    for j in range(num_classes):\n        dW[:, j] += probs[j] * xi\n    dW[:, yi] -= xi",
            ],
            [  # average over the examples
                "loss /= num_train\ndW /= num_train",
                "loss *= 1.0 / num_train\ndW *= 1.0 / num_train",
                "dW = dW / X.shape[0]\nloss = loss / X.shape[0]",
            ],
            [  # regularization
                "loss += reg * np.sum(W * W)\ndW += 2 * reg * W",
                "loss += reg * np.sum(W ** 2)\ndW += reg * 2 * W",
                "loss += reg * np.linalg.norm(W) ** 2\ndW += 2 * reg * W",
                "loss += reg * np.vdot(W, W)\ndW = dW + 2.0 * reg * W",
                "reg_loss = reg * np.sum(np.square(W))\nloss += reg_loss\ndW += 2 * reg * W",
            ],
        ]
    ]
]

VECTORIZED = [
    [
        [
            [
                "scores = X.dot(W)",
                "scores = np.einsum('nd,dc->nc', X, W)",
                "scores = (W.T @ X.T).T",
            ],
            [
                "scores -= np.max(scores, axis=1, keepdims=True)",
                "scores = scores - scores.max(axis=1)[:, None]",
                "scores -= np.max(scores, axis=1).reshape(-1, 1)",
                "shift = scores.max(axis=1, keepdims=True)\nscores = scores - shift",
            ],
            [
                "exp_scores = np.exp(scores)\nprobs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)",
                "probs = np.exp(scores)\nprobs /= probs.sum(axis=1, keepdims=True)",
                "log_probs = scores - np.log(np.exp(scores).sum(axis=1, keepdims=True))\nprobs = np.exp(log_probs)",
                "probs = np.exp(scores) / np.exp(scores).sum(axis=1)[:, np.newaxis]",
            ],
            [
                "loss = -np.mean(np.log(probs[np.arange(num_train), y]))",
                "correct = probs[np.arange(num_train), y]\nloss = -np.sum(np.log(correct)) / num_train",
                "loss = -np.log(probs[range(num_train), y]).mean()",
                "onehot = np.zeros_like(probs)\nonehot[np.arange(num_train), y] = 1\n"
                "loss = -np.sum(onehot * np.log(probs)) / num_train",
                "loss = np.mean(-np.log(np.take_along_axis(probs, y[:, None], axis=1)))",
            ],
            [
                "dscores = probs.copy()\ndscores[np.arange(num_train), y] -= 1\n"
                "dscores /= num_train\ndW = X.T.dot(dscores)",
                "probs[np.arange(num_train), y] -= 1\ndW = X.T @ probs / num_train",
                "Y = np.eye(W.shape[1])[y]\ndW = X.T.dot(probs - Y) / num_train",
                "dscores = probs\ndscores[range(num_train), y] -= 1\ndW = np.dot(X.T, dscores) / num_train",
            ],
            [
                "loss += reg * np.sum(W * W)\ndW += 2 * reg * W",
                "loss = loss + reg * np.sum(W ** 2)\ndW = dW + 2 * reg * W",
                "loss += reg * np.linalg.norm(W) ** 2\ndW += reg * 2 * W",
                "reg_loss = reg * np.sum(np.square(W))\nloss += reg_loss\ndW += 2 * reg * W",
            ],
        ]
    ]
]

LINEAR_TRAIN = [
    [
        [
            [
                "idx = np.random.choice(num_train, batch_size)",
                "idx = np.random.choice(num_train, batch_size, replace=True)",
                "idx = np.random.randint(0, num_train, batch_size)",
                "idx = np.random.randint(num_train, size=batch_size)",
            ],
            [
                "X_batch = X[idx]\ny_batch = y[idx]",
                "X_batch, y_batch = X[idx], y[idx]",
                "X_batch = X[idx, :]\ny_batch = y[idx]",
            ],
            [
                "loss, grad = self.loss(X_batch, y_batch, reg)",
                "loss, grad = softmax_loss_vectorized(self.W, X_batch, y_batch, reg)",
            ],
            [
                "self.W -= learning_rate * grad",
                "step = learning_rate * grad\nself.W = self.W - step",
                "self.W += -learning_rate * grad",
            ],
        ]
    ]
]

LINEAR_PREDICT = [
    [
        [
            [
                "y_pred = np.argmax(X.dot(self.W), axis=1)",
                "scores = X @ self.W\ny_pred = scores.argmax(axis=1)",
                "y_pred = (X @ self.W).argmax(1)",
                "y_pred[:] = np.argmax(X.dot(self.W), axis=1)",
            ]
        ]
    ]
]

LINEAR_LOSS = [
    [
        [
            [
                "loss, dW = softmax_loss_vectorized(self.W, X_batch, y_batch, reg)",
                "return softmax_loss_vectorized(self.W, X_batch, y_batch, reg)",
                "result = softmax_loss_vectorized(self.W, X_batch, y_batch, reg)\nloss, dW = result[0], result[1]",
            ]
        ]
    ]
]

AFFINE_FORWARD = [
    [
        [
            [
                "out = x.reshape(x.shape[0], -1).dot(w) + b",
                "N = x.shape[0]\nx_flat = x.reshape(N, -1)\nout = x_flat @ w + b",
                "x2d = np.reshape(x, (x.shape[0], np.prod(x.shape[1:])))\nout = x2d.dot(w)\nout += b",
                "out = x.reshape(x.shape[0], w.shape[0]) @ w + b[None, :]",
                "out = np.einsum('nd,dm->nm', x.reshape(x.shape[0], -1), w) + b",
            ]
        ]
    ]
]

AFFINE_BACKWARD = [
    [
        [
            [
                "dx = dout.dot(w.T).reshape(x.shape)",
                "dx = (w @ dout.T).T.reshape(*x.shape)",
                "dx = np.einsum('nm,dm->nd', dout, w).reshape(x.shape)",
            ],
            [
                "dw = x.reshape(x.shape[0], -1).T.dot(dout)",
                "x_flat = x.reshape(len(x), -1)\ndw = x_flat.T @ dout",
                "dw = np.einsum('nd,nm->dm', x.reshape(x.shape[0], -1), dout)",
            ],
            [
                "db = np.sum(dout, axis=0)",
                "db = dout.sum(0)",
                "db = np.ones(dout.shape[0]) @ dout",
                "db = dout.mean(axis=0) * dout.shape[0]",
            ],
        ]
    ]
]

RELU_FORWARD = [
    [
        [
            [
                "out = np.maximum(0, x)",
                "out = x * (x > 0)",
                "out = np.where(x > 0, x, 0)",
                "out = x.copy()\nout[out < 0] = 0",
                "out = np.clip(x, 0, None)",
                "out = (x + np.abs(x)) / 2",
            ]
        ]
    ]
]

RELU_BACKWARD = [
    [
        [
            [
                "dx = dout * (x > 0)",
                "dx = dout.copy()\ndx[x <= 0] = 0",
                "dx = np.where(x > 0, dout, 0)",
                "mask = (x > 0).astype(dout.dtype)\ndx = dout * mask",
                "dx = dout * np.heaviside(x, 0)",
            ]
        ]
    ]
]

SOFTMAX_LOSS = [
    [
        [
            [
                "N = scores.shape[0]",
                "N = len(y)",
            ],
            [
                "shifted = scores - np.max(scores, axis=1, keepdims=True)",
                "shifted = scores - scores.max(axis=1)[:, None]",
                "shifted = scores - np.amax(scores, axis=1).reshape(-1, 1)",
            ],
            [
                "probs = np.exp(shifted)\nprobs /= np.sum(probs, axis=1, keepdims=True)",
                "exp_s = np.exp(shifted)\nprobs = exp_s / exp_s.sum(axis=1, keepdims=True)",
                "log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))\n"
                "probs = np.exp(log_probs)",
            ],
            [
                "loss = -np.sum(np.log(probs[np.arange(N), y])) / N",
                "loss = -np.mean(np.log(probs[np.arange(N), y]))",
                "loss = float(-np.log(probs[np.arange(N), y]).mean())",
            ],
            [
                "dscores = probs.copy()\ndscores[np.arange(N), y] -= 1\ndscores /= N",
                "dscores = (probs - np.eye(scores.shape[1])[y]) / N",
                "one_hot = np.zeros_like(probs)\none_hot[np.arange(N), y] = 1.0\ndscores = (probs - one_hot) / N",
            ],
        ]
    ]
]

_NET_LAYERS_FORWARD = [
    [
        "h1, cache1 = affine_forward(X, W1, b1)\na1, cache_relu = relu_forward(h1)\n"
        "scores, cache2 = affine_forward(a1, W2, b2)",
        "a1, cache1 = affine_forward(X, W1, b1)\na1, cache_relu = relu_forward(a1)\n"
        "scores, cache2 = affine_forward(a1, W2, b2)",
    ]
]
_NET_LAYERS_BACKWARD = [
    [
        "data_loss, dscores = softmax_loss(scores, y)\nloss = data_loss + reg * (np.sum(W1 * W1) + np.sum(W2 * W2))",
        "loss, dscores = softmax_loss(scores, y)\nloss += reg * np.sum(W1 ** 2) + reg * np.sum(W2 ** 2)",
        "loss, dscores = softmax_loss(scores, y)\nloss += reg * (np.linalg.norm(W1) ** 2 + np.linalg.norm(W2) ** 2)",
    ],
    [
        "da1, dW2, db2 = affine_backward(dscores, cache2)\ndh1 = relu_backward(da1, cache_relu)\n"
        "dX, dW1, db1 = affine_backward(dh1, cache1)\n"
        "grads['W1'] = dW1 + 2 * reg * W1\ngrads['b1'] = db1\ngrads['W2'] = dW2 + 2 * reg * W2\ngrads['b2'] = db2",
        "dhidden, grads['W2'], grads['b2'] = affine_backward(dscores, cache2)\n"
        "dhidden = relu_backward(dhidden, cache_relu)\n_, grads['W1'], grads['b1'] = affine_backward(dhidden, cache1)\n"
        "grads['W1'] += 2 * reg * W1\ngrads['W2'] += 2 * reg * W2",
        "da1, dW2, db2 = affine_backward(dscores, cache2)\ndh1 = relu_backward(da1, cache_relu)\n"
        "_, dW1, db1 = affine_backward(dh1, cache1)\n"
        "grads = {'W1': dW1 + 2 * reg * W1, 'b1': db1, 'W2': dW2 + 2 * reg * W2, 'b2': db2}",
    ],
]
_NET_INLINE_FORWARD = [
    [
        "z1 = X.reshape(X.shape[0], -1).dot(W1) + b1\na1 = np.maximum(0, z1)\nscores = a1.dot(W2) + b2",
        "X_flat = X.reshape(len(X), -1)\nz1 = X_flat @ W1 + b1\na1 = z1 * (z1 > 0)\nscores = a1 @ W2 + b2",
    ]
]
_NET_INLINE_BACKWARD = [
    [
        "N = X.shape[0]\nshifted = scores - scores.max(axis=1, keepdims=True)\nprobs = np.exp(shifted)\n"
        "probs /= probs.sum(axis=1, keepdims=True)\nloss = -np.log(probs[np.arange(N), y]).mean()\n"
        "dscores = probs.copy()\ndscores[np.arange(N), y] -= 1\ndscores /= N",
        "N = X.shape[0]\nloss, dscores = softmax_loss(scores, y)",
    ],
    [
        "loss += reg * (np.sum(W1 * W1) + np.sum(W2 * W2))",
        "loss = loss + reg * np.sum(W1 ** 2) + reg * np.sum(W2 ** 2)",
    ],
    [
        "grads['W2'] = a1.T.dot(dscores) + 2 * reg * W2\ngrads['b2'] = dscores.sum(axis=0)\n"
        "dz1 = dscores.dot(W2.T) * (z1 > 0)\ngrads['W1'] = X.reshape(N, -1).T.dot(dz1) + 2 * reg * W1\n"
        "grads['b1'] = dz1.sum(axis=0)",
        "da1 = dscores @ W2.T\nda1[z1 <= 0] = 0\n"
        "grads = {'W1': X.reshape(N, -1).T @ da1 + 2 * reg * W1, 'b1': np.sum(da1, axis=0),\n"
        "         'W2': a1.T @ dscores + 2 * reg * W2, 'b2': np.sum(dscores, axis=0)}",
    ],
]
NET_LOSS = [[_NET_LAYERS_FORWARD, _NET_LAYERS_BACKWARD], [_NET_INLINE_FORWARD, _NET_INLINE_BACKWARD]]

NET_TRAIN = [
    [
        [
            [
                "idx = np.random.choice(num_train, batch_size)",
                "idx = np.random.choice(num_train, batch_size, replace=True)",
                "idx = np.random.randint(0, num_train, size=batch_size)",
            ],
            [
                "X_batch = X[idx]\ny_batch = y[idx]",
                "X_batch, y_batch = X[idx], y[idx]",
            ],
            [
                "loss, grads = self.loss(X_batch, y=y_batch, reg=reg)",
                "loss, grads = self.loss(X_batch, y_batch, reg)",
            ],
            [
                "for name in self.params:\n    self.params[name] -= learning_rate * grads[name]",
                "for key, value in grads.items():\n    self.params[key] -= learning_rate * value",
                "self.params['W1'] -= learning_rate * grads['W1']\nself.params['b1'] -= learning_rate * grads['b1']\n"
                "self.params['W2'] -= learning_rate * grads['W2']\nself.params['b2'] -= learning_rate * grads['b2']",
                "for p in ('W1', 'b1', 'W2', 'b2'):\n    self.params[p] = self.params[p] - learning_rate * grads[p]",
            ],
        ]
    ]
]

NET_PREDICT = [
    [
        [
            [
                "y_pred = np.argmax(self.loss(X), axis=1)",
                "scores = self.loss(X)\ny_pred = scores.argmax(axis=1)",
                "y_pred = self.loss(X).argmax(1)",
                "h = np.maximum(0, X.dot(self.params['W1']) + self.params['b1'])\n"
                "scores = h.dot(self.params['W2']) + self.params['b2']\ny_pred = np.argmax(scores, axis=1)",
            ]
        ]
    ]
]

# unit -> styles; the regions of a class's units appear in the class in this order
PHRASEBOOK = {
    "softmax_loss_naive": NAIVE,
    "softmax_loss_vectorized": VECTORIZED,
    "LinearSoftmax.train": LINEAR_TRAIN,
    "LinearSoftmax.predict": LINEAR_PREDICT,
    "LinearSoftmax.loss": LINEAR_LOSS,
    "affine_forward": AFFINE_FORWARD,
    "affine_backward": AFFINE_BACKWARD,
    "relu_forward": RELU_FORWARD,
    "relu_backward": RELU_BACKWARD,
    "softmax_loss": SOFTMAX_LOSS,
    "TwoLayerNet.loss": NET_LOSS,
    "TwoLayerNet.train": NET_TRAIN,
    "TwoLayerNet.predict": NET_PREDICT,
}
