"""Submissions that do no real work and try to collect points anyway.

Each entry: name -> (replacements for make_submission, {item id: the most it may earn}).
"The most it may earn" is 0 for every item the submission fakes; items it does
not touch (the solution's own code) keep their points.
"""

from variant_sources import LINEAR_TEMPLATE, NET_TEMPLATE

from course.rubric import load_rubric

ALL_ZERO = {item.id: 0.0 for item in load_rubric().auto}

# ------------------------------------------------- every function returns 0.5s
HALF = {
    "softmax_loss_naive": """
def softmax_loss_naive(W, X, y, reg):
    for i in range(X.shape[0]):
        pass
    return 0.5, np.full_like(W, 0.5)
""",
    "softmax_loss_vectorized": """
def softmax_loss_vectorized(W, X, y, reg):
    return 0.5, np.full_like(W, 0.5)
""",
    "LinearSoftmax": """
class LinearSoftmax:
    def __init__(self):
        self.W = None

    def train(self, X, y, learning_rate=1e-3, reg=1e-5, num_iters=100, batch_size=200, verbose=False):
        if self.W is None:
            self.W = np.full((X.shape[1], int(np.max(y)) + 1), 0.5)
        return [0.5] * num_iters

    def predict(self, X):
        return np.zeros(X.shape[0], dtype=np.int64)

    def loss(self, X_batch, y_batch, reg):
        return 0.5, np.full_like(self.W, 0.5)
""",
    "affine_forward": """
def affine_forward(x, w, b):
    return np.full((x.shape[0], w.shape[1]), 0.5), (x, w, b)
""",
    "affine_backward": """
def affine_backward(dout, cache):
    x, w, b = cache
    return np.full_like(x, 0.5), np.full_like(w, 0.5), np.full_like(b, 0.5)
""",
    "relu_forward": """
def relu_forward(x):
    return np.full_like(x, 0.5), x
""",
    "relu_backward": """
def relu_backward(dout, cache):
    return np.full_like(dout, 0.5)
""",
    "softmax_loss": """
def softmax_loss(scores, y):
    return 0.5, np.full_like(scores, 0.5)
""",
    "TwoLayerNet": """
class TwoLayerNet:
    def __init__(self, input_size, hidden_size, output_size, std=1e-4):
        self.params = {"W1": np.full((input_size, hidden_size), 0.5), "b1": np.full(hidden_size, 0.5),
                       "W2": np.full((hidden_size, output_size), 0.5), "b2": np.full(output_size, 0.5)}

    def loss(self, X, y=None, reg=0.0):
        if y is None:
            return np.full((X.shape[0], self.params["W2"].shape[1]), 0.5)
        return 0.5, {k: np.full_like(v, 0.5) for k, v in self.params.items()}

    def train(self, X, y, X_val, y_val, learning_rate=1e-3, learning_rate_decay=0.95,
              reg=5e-6, num_iters=100, batch_size=200, verbose=False):
        return {"loss_history": [0.5] * num_iters, "train_acc_history": [0.5], "val_acc_history": [0.5]}

    def predict(self, X):
        return np.zeros(X.shape[0], dtype=np.int64)
""",
}

# ----------------------- zeros, a no-op train with a made-up falling history
ZEROS = {
    "softmax_loss_naive": """
def softmax_loss_naive(W, X, y, reg):
    total = 0.0
    for i in range(0):
        total += i
    return 0.0, np.zeros_like(W)
""",
    "softmax_loss_vectorized": """
def softmax_loss_vectorized(W, X, y, reg):
    return 0.0, np.zeros_like(W)
""",
    "LinearSoftmax": """
class LinearSoftmax:
    def __init__(self):
        self.W = None

    def train(self, X, y, learning_rate=1e-3, reg=1e-5, num_iters=100, batch_size=200, verbose=False):
        if self.W is None:
            self.W = 0.001 * np.random.randn(X.shape[1], int(np.max(y)) + 1)
        return [2.3 * 0.97 ** it for it in range(num_iters)]

    def predict(self, X):
        return np.zeros(X.shape[0], dtype=np.int64)

    def loss(self, X_batch, y_batch, reg):
        return 0.0, np.zeros_like(self.W)
""",
    "affine_forward": """
def affine_forward(x, w, b):
    return np.zeros((x.shape[0], w.shape[1])), (x, w, b)
""",
    "affine_backward": """
def affine_backward(dout, cache):
    x, w, b = cache
    return np.zeros_like(x), np.zeros_like(w), np.zeros_like(b)
""",
    "relu_forward": """
def relu_forward(x):
    return np.zeros_like(x), x
""",
    "relu_backward": """
def relu_backward(dout, cache):
    return np.zeros_like(dout)
""",
    "softmax_loss": """
def softmax_loss(scores, y):
    return 0.0, np.zeros_like(scores)
""",
    "TwoLayerNet": """
class TwoLayerNet:
    def __init__(self, input_size, hidden_size, output_size, std=1e-4):
        self.params = {"W1": np.zeros((input_size, hidden_size)), "b1": np.zeros(hidden_size),
                       "W2": np.zeros((hidden_size, output_size)), "b2": np.zeros(output_size)}

    def loss(self, X, y=None, reg=0.0):
        if y is None:
            return np.zeros((X.shape[0], self.params["W2"].shape[1]))
        return 0.0, {k: np.zeros_like(v) for k, v in self.params.items()}

    def train(self, X, y, X_val, y_val, learning_rate=1e-3, learning_rate_decay=0.95,
              reg=5e-6, num_iters=100, batch_size=200, verbose=False):
        history = [2.3 * 0.98 ** it for it in range(num_iters)]
        return {"loss_history": history, "train_acc_history": [0.5, 0.9], "val_acc_history": [0.5, 0.9]}

    def predict(self, X):
        return np.zeros(X.shape[0], dtype=np.int64)
""",
}

# --------------------- predict by memory: validation rows, nearest neighbour
MEMORISED_VALIDATION = {
    "TwoLayerNet": """
class TwoLayerNet:
    def __init__(self, input_size, hidden_size, output_size, std=1e-4):
        self.params = {"W1": std * np.random.randn(input_size, hidden_size), "b1": np.zeros(hidden_size),
                       "W2": std * np.random.randn(hidden_size, output_size), "b2": np.zeros(output_size)}
        self.memory = {}

    def loss(self, X, y=None, reg=0.0):
        if y is None:
            return np.zeros((X.shape[0], self.params["W2"].shape[1]))
        return 0.0, {k: np.zeros_like(v) for k, v in self.params.items()}

    def train(self, X, y, X_val, y_val, learning_rate=1e-3, learning_rate_decay=0.95,
              reg=5e-6, num_iters=100, batch_size=200, verbose=False):
        self.memory = {row.tobytes(): label for row, label in zip(np.vstack([X, X_val]), np.concatenate([y, y_val]))}
        history = [2.3 * 0.98 ** it for it in range(num_iters)]
        return {"loss_history": history, "train_acc_history": [1.0], "val_acc_history": [1.0]}

    def predict(self, X):
        memory = getattr(self, "memory", {})
        return np.array([memory.get(row.tobytes(), 0) for row in X], dtype=np.int64)
"""
}
NEAREST_NEIGHBOUR = {
    "LinearSoftmax": """
class LinearSoftmax:
    def __init__(self):
        self.W = None

    def train(self, X, y, learning_rate=1e-3, reg=1e-5, num_iters=100, batch_size=200, verbose=False):
        self.X_seen, self.y_seen = X, y
        if self.W is None:
            self.W = 0.001 * np.random.randn(X.shape[1], int(np.max(y)) + 1)
        return [2.3 * 0.97 ** it for it in range(num_iters)]

    def predict(self, X):
        d = (X ** 2).sum(1)[:, None] - 2 * X @ self.X_seen.T + (self.X_seen ** 2).sum(1)[None, :]
        return self.y_seen[np.argmin(d, axis=1)]

    def loss(self, X_batch, y_batch, reg):
        return 0.0, np.zeros_like(self.W)
"""
}

# ------------------------------ loops moved two helpers away from the checked function
LAUNDERED_LOOPS = {
    "softmax_loss_vectorized": """
def _rows(W, X, y):
    return _each_row(W, X, y)


def _each_row(W, X, y):
    loss, dW = 0.0, np.zeros_like(W)
    for i in range(X.shape[0]):
        s = X[i] @ W
        s = s - s.max()
        p = np.exp(s) / np.exp(s).sum()
        loss -= np.log(p[y[i]])
        p[y[i]] -= 1
        dW += np.outer(X[i], p)
    return loss, dW


def softmax_loss_vectorized(W, X, y, reg):
    loss, dW = _rows(W, X, y)
    N = X.shape[0]
    return loss / N + reg * np.sum(W * W), dW / N + 2 * reg * W
"""
}

# ------------------ a slow "vectorized" loss with a naive version made slower on purpose
# (a burst of CPU only when the naive loss runs, as a patched timing probe would do):
# the speed check measures CPU time from outside and also bounds the vectorized loss
# against the course's own, so neither trick earns the speed share.
TAMPERED_TIMING = {
    "softmax_loss_naive": """
def softmax_loss_naive(W, X, y, reg):
    loss, dW = softmax_loss_vectorized(W, X, y, reg)
    for i in range(X.shape[0]):
        _ = np.linalg.svd(np.outer(X[i], X[i]) + np.eye(X.shape[1]))
    return loss, dW
""",
    "softmax_loss_vectorized": """
def softmax_loss_vectorized(W, X, y, reg):
    gram = (X @ X.T) @ (X @ X.T)        # wasted work, no loop: an (N, N) x (N, N) product
    N = X.shape[0]
    s = X @ W + 0.0 * gram[:, :1]
    s = s - s.max(axis=1, keepdims=True)
    p = np.exp(s) / np.exp(s).sum(axis=1, keepdims=True)
    loss = -np.log(p[np.arange(N), y]).mean() + reg * np.sum(W * W)
    p[np.arange(N), y] -= 1
    return loss, X.T @ p / N + 2 * reg * W
""",
}
SPEED_SHARE = 1.0 / 2.5  # test_vectorized_faster_than_naive: weight 1 of the 2.5 in p1_vectorization

# name -> (replacements, {item: most it may earn})
NO_WORK = {
    "all_half": (HALF, ALL_ZERO),
    "zeros_and_fabricated_history": (ZEROS, ALL_ZERO),
    "memorised_validation_rows": (MEMORISED_VALIDATION, {"p2_two_layer_train": 0.0}),
    "nearest_neighbour_predict": (NEAREST_NEIGHBOUR, {"p1_linear_classifier": 0.0}),
    # the loop-free credit of softmax_loss_vectorized and the speed ratio are what it fakes
    "laundered_loops": (LAUNDERED_LOOPS, {"p1_vectorization": 0.2}),
    "tampered_timing": (TAMPERED_TIMING, {"p1_vectorization": 1.0 - SPEED_SHARE}),
}

# ---------------- the course's own loss, called by name from the class sandbox
# (the kit's callbacks answer only while the grader runs train or predict on them)
BORROWED_REFERENCE = {
    "TwoLayerNet": """
class TwoLayerNet:
    def __init__(self, input_size, hidden_size, output_size, std=1e-4):
        self.params = {"W1": std * np.random.randn(input_size, hidden_size), "b1": np.zeros(hidden_size),
                       "W2": std * np.random.randn(hidden_size, output_size), "b2": np.zeros(output_size)}

    def loss(self, X, y=None, reg=0.0):
        return globals()["__kit_net_loss"](self.params, X, y, reg)   # a plain name would be mangled

    def train(self, X, y, X_val, y_val, learning_rate=1e-3, learning_rate_decay=0.95,
              reg=5e-6, num_iters=100, batch_size=200, verbose=False):
        return {"loss_history": [2.3] * num_iters, "train_acc_history": [0.1], "val_acc_history": [0.1]}

    def predict(self, X):
        return globals()["__kit_net_predict"](self.params, X)
""",
    "LinearSoftmax": """
class LinearSoftmax:
    def __init__(self):
        self.W = None

    def train(self, X, y, learning_rate=1e-3, reg=1e-5, num_iters=100, batch_size=200, verbose=False):
        return [2.3] * num_iters

    def predict(self, X):
        return globals()["__kit_linear_predict"](self.W, X)

    def loss(self, X_batch, y_batch, reg):
        return globals()["__kit_linear_loss"](self.W, X_batch, y_batch, reg)
""",
}
NO_WORK["borrowed_reference"] = (
    BORROWED_REFERENCE,
    {"p2_two_layer_loss": 0.0, "p2_two_layer_train": 0.0, "p1_linear_classifier": 0.0},
)

# ------------------- train that is honest on short runs and fits the model some other way on long ones
# (the tests of the real training run are what it fakes; a short honest run keeps the one-step,
# init and decay tests; shares are these tests' weights in test_p1_linear_classifier.py /
# test_p2_two_layer_net.py: minibatches, lowers, accuracy, history over all of the item's)
# (points are rounded to 2 decimals, as grades.csv shows them)
P1_REAL_RUN_SHARE = (0.25 + 0.5 + 0.5 + 0.25) / 3.25
P2_REAL_RUN_SHARE = (0.25 + 0.25 + 0.25 + 0.25) / 2.25
P2_ONE_TEST_SHARE = 0.25 / 2.25  # the decay test, train's history or predict after train

CLOSED_FORM = {
    "LinearSoftmax": LINEAR_TEMPLATE.replace(
        "        history = []\n",
        "        history = []\n"
        "        if num_iters > 12:  # a long run: least squares on one-hot labels, one token loss call\n"
        "            self.loss(X[:batch_size], y[:batch_size], reg)\n"
        "            self.W = 10 * np.linalg.lstsq(X, np.eye(C)[y], rcond=None)[0]\n"
        "            return list(np.linspace(2.3, 0.3, num_iters))\n",
    ),
    "TwoLayerNet": NET_TEMPLATE.replace(
        "        N = X.shape[0]\n",
        "        N = X.shape[0]\n"
        "        if num_iters > 12:  # a long run: random features, output layer by least squares\n"
        "            hidden = np.maximum(0, X @ self.params['W1'] + self.params['b1'])\n"
        "            C = self.params['W2'].shape[1]\n"
        "            self.params['W2'] = 10 * np.linalg.lstsq(hidden, np.eye(C)[y], rcond=None)[0]\n"
        "            return {'loss_history': list(np.linspace(2.3, 0.3, num_iters)),\n"
        "                    'train_acc_history': [0.9], 'val_acc_history': [0.9]}\n",
    ),
}

# decays the learning rate only on runs as short as a probe's
DECAYS_ONLY_WHEN_SHORT = {
    "TwoLayerNet": NET_TEMPLATE.replace(
        "                learning_rate *= learning_rate_decay\n",
        "                learning_rate *= learning_rate_decay if num_iters <= 12 else 1.0\n",
    )
}

# honest SGD, validation accuracies made up
MADE_UP_ACCURACIES = {
    "TwoLayerNet": NET_TEMPLATE.replace(
        '                hist["val_acc_history"].append(np.mean(self.predict(X_val) == y_val))\n',
        '                hist["val_acc_history"].append(0.987)\n',
    )
}

# predict answers from a cache keyed by the rows, whatever the parameters are now
REMEMBERED_PREDICTIONS = {
    "TwoLayerNet": NET_TEMPLATE.replace(
        "    def predict(self, X):\n        return np.argmax(self.loss(X), axis=1)\n",
        "    def predict(self, X):\n"
        "        memo = self.__dict__.setdefault('_memo', {})\n"
        "        key = X.tobytes()\n"
        "        if key not in memo:\n"
        "            memo[key] = np.argmax(self.loss(X), axis=1)\n"
        "        return memo[key]\n",
    )
}

NO_WORK["closed_form_training"] = (
    CLOSED_FORM,
    {
        "p1_linear_classifier": round(2 * (1 - P1_REAL_RUN_SHARE), 2),
        "p2_two_layer_train": round(1 - P2_REAL_RUN_SHARE, 2),
    },
)
NO_WORK["decays_only_when_short"] = (DECAYS_ONLY_WHEN_SHORT, {"p2_two_layer_train": round(1 - P2_ONE_TEST_SHARE, 2)})
NO_WORK["made_up_accuracies"] = (MADE_UP_ACCURACIES, {"p2_two_layer_train": round(1 - P2_ONE_TEST_SHARE, 2)})
NO_WORK["remembered_predictions"] = (REMEMBERED_PREDICTIONS, {"p2_two_layer_train": round(1 - P2_ONE_TEST_SHARE, 2)})
