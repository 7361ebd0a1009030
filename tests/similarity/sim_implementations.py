"""Independent correct solutions of some contract functions, written differently
on purpose (different numpy idioms, loop styles, statement orders), and the
starter skeletons they are pasted into.

SKELETONS[name] = (code before the region, code after the region), both at
function-body indentation; the region is the student's. The release has
`raise NotImplementedError` in every region, as nbgrader's release does.
"""

from __future__ import annotations

import textwrap

from course.contract import CONTRACT, part_of
from course.markers import END_CODE, START_CODE

SKELETONS = {
    "softmax_loss_naive": ("loss = 0.0\ndW = np.zeros_like(W)", "return loss, dW"),
    "softmax_loss_vectorized": ("loss = 0.0\ndW = np.zeros_like(W)", "return loss, dW"),
    "affine_forward": ("out = None", "cache = (x, w, b)\nreturn out, cache"),
    "affine_backward": ("x, w, b = cache\ndx, dw, db = None, None, None", "return dx, dw, db"),
    "relu_forward": ("out = None", "cache = x\nreturn out, cache"),
    "relu_backward": ("dx, x = None, cache", "return dx"),
    "softmax_loss": ("loss, dscores = None, None", "return loss, dscores"),
}
SIGNATURES = {name: ", ".join(CONTRACT[part_of(name)][name]["params"]) for name in SKELETONS}

STARTER_REGION = 'raise NotImplementedError("Implement {name} here.")'

# IMPLEMENTATIONS[name] = [style A, style B, style C]: genuinely different code.
IMPLEMENTATIONS = {
    "softmax_loss_naive": [
        """
num_classes = W.shape[1]
num_train = X.shape[0]
for i in range(num_train):
    scores = X[i].dot(W)
    scores -= np.max(scores)
    probs = np.exp(scores) / np.sum(np.exp(scores))
    loss += -np.log(probs[y[i]])
    for j in range(num_classes):
        dW[:, j] += (probs[j] - (j == y[i])) * X[i]
loss /= num_train
dW /= num_train
loss += reg * np.sum(W * W)
dW += 2 * reg * W
""",
        """
N, C = X.shape[0], W.shape[1]
total = 0.0
grad = np.zeros(W.shape)
for n in range(N):
    s = [X[n] @ W[:, c] for c in range(C)]
    top = max(s)
    e = [np.exp(v - top) for v in s]
    denom = sum(e)
    total -= np.log(e[y[n]] / denom)
    for c in range(C):
        coef = e[c] / denom - (1.0 if c == y[n] else 0.0)
        grad[:, c] += coef * X[n]
loss = total / N + reg * np.sum(W ** 2)
dW = grad / N + 2 * reg * W
""",
        """
i = 0
while i < len(X):
    row = np.dot(X[i], W)
    m = row.max()
    lse = m + np.log(np.sum(np.exp(row - m)))
    loss += lse - row[y[i]]
    soft = np.exp(row - lse)
    soft[y[i]] -= 1
    dW += np.outer(X[i], soft)
    i += 1
loss = loss / len(X) + reg * (W * W).sum()
dW = dW / len(X) + reg * 2 * W
""",
    ],
    "softmax_loss_vectorized": [
        """
num_train = X.shape[0]
scores = X.dot(W)
scores -= np.max(scores, axis=1, keepdims=True)
exp_scores = np.exp(scores)
probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
loss = -np.mean(np.log(probs[np.arange(num_train), y])) + reg * np.sum(W * W)
dscores = probs.copy()
dscores[np.arange(num_train), y] -= 1
dW = X.T.dot(dscores) / num_train + 2 * reg * W
""",
        """
n = len(y)
logits = X @ W
shifted = logits - logits.max(axis=1)[:, None]
log_norm = np.log(np.exp(shifted).sum(axis=1))
log_probs = shifted - log_norm[:, None]
onehot = np.eye(W.shape[1])[y]
loss = -(onehot * log_probs).sum() / n + reg * (W ** 2).sum()
grad_logits = (np.exp(log_probs) - onehot) / n
dW = X.T @ grad_logits + 2 * reg * W
""",
        """
z = np.matmul(X, W)
z = z - np.amax(z, axis=-1, keepdims=True)
p = np.exp(z)
p /= p.sum(axis=-1, keepdims=True)
correct = np.take_along_axis(p, y[:, None], axis=1).ravel()
loss = float(np.sum(-np.log(correct)) / X.shape[0] + reg * np.einsum('ij,ij->', W, W))
mask = np.zeros_like(p)
mask[np.arange(X.shape[0]), y] = 1.0
dW = np.einsum('ni,nc->ic', X, p - mask) / X.shape[0] + 2.0 * reg * W
""",
    ],
    "affine_forward": [
        """
out = x.reshape(x.shape[0], -1).dot(w) + b
""",
        """
N = x.shape[0]
flat = np.reshape(x, (N, np.prod(x.shape[1:])))
out = flat @ w
out += b
""",
        """
rows = x.reshape(len(x), w.shape[0])
out = np.einsum('nd,dm->nm', rows, w) + b[np.newaxis, :]
""",
    ],
    "affine_backward": [
        """
x_flat = x.reshape(x.shape[0], -1)
dx = dout.dot(w.T).reshape(x.shape)
dw = x_flat.T.dot(dout)
db = np.sum(dout, axis=0)
""",
        """
N = x.shape[0]
db = dout.sum(axis=0)
dw = np.reshape(x, (N, -1)).T @ dout
dx = np.reshape(dout @ w.T, x.shape)
""",
        """
flat = x.reshape(len(x), w.shape[0])
dw = np.einsum('nd,nm->dm', flat, dout)
db = np.einsum('nm->m', dout)
dx = np.einsum('nm,dm->nd', dout, w).reshape(*x.shape)
""",
    ],
    "relu_forward": [
        "out = np.maximum(0, x)",
        "out = x * (x > 0)",
        "out = np.where(x > 0, x, 0.0)",
    ],
    "relu_backward": [
        "dx = dout * (x > 0)",
        "dx = dout.copy()\ndx[x <= 0] = 0",
        "dx = np.where(x > 0, dout, np.zeros_like(dout))",
    ],
    "softmax_loss": [
        """
shifted = scores - np.max(scores, axis=1, keepdims=True)
probs = np.exp(shifted)
probs /= np.sum(probs, axis=1, keepdims=True)
N = scores.shape[0]
loss = -np.sum(np.log(probs[np.arange(N), y])) / N
dscores = probs.copy()
dscores[np.arange(N), y] -= 1
dscores /= N
""",
        """
m = len(y)
z = scores - scores.max(axis=1)[:, None]
log_p = z - np.log(np.exp(z).sum(axis=1))[:, None]
loss = -log_p[np.arange(m), y].mean()
target = np.eye(scores.shape[1])[y]
dscores = (np.exp(log_p) - target) / m
""",
        """
e = np.exp(scores - np.amax(scores, axis=-1, keepdims=True))
p = e / e.sum(axis=-1, keepdims=True)
picked = np.take_along_axis(p, y.reshape(-1, 1), axis=1)
loss = float(-np.log(picked).mean())
dscores = p.copy()
np.subtract.at(dscores, (np.arange(len(y)), y), 1.0)
dscores = dscores / len(y)
""",
    ],
}

# Style A of two functions, disguised by hand the way a copier does it:
# every variable renamed, independent statements reordered, comments added,
# lines split and merged, spacing changed.
DISGUISED_A = {
    "softmax_loss_vectorized": """
# compute the class scores for every example
s = X.dot(W)
n_examples = X.shape[0]          # number of examples
s -= np.max(s,
            axis=1, keepdims=True)   # numerical stability
e = np.exp(s)
P = e / np.sum(e, axis=1, keepdims=True)
G = P.copy(); G[np.arange(n_examples), y] -= 1
loss = -np.mean(np.log(P[np.arange(n_examples), y])) + reg*np.sum(W*W)
dW = X.T.dot(G)/n_examples + 2*reg*W
""",
    "softmax_loss_naive": """
n_train = X.shape[0]
n_cls = W.shape[1]
for k in range(n_train):
    sc = X[k].dot(W)
    sc -= np.max(sc)  # shift for stability
    pr = np.exp(sc) / np.sum(np.exp(sc))
    loss += -np.log(pr[y[k]])
    for c in range(n_cls):
        dW[:, c] += (pr[c] - (c == y[k])) * X[k]
dW /= n_train
loss /= n_train
dW += 2 * reg * W
loss += reg * np.sum(W * W)
""",
    "affine_backward": """
db = np.sum(dout, axis = 0)
flat_input = x.reshape(x.shape[0], -1)
dw = flat_input.T.dot(dout)
dx = dout.dot(w.T).reshape(x.shape)
""",
}


def function_source(name: str, region: str) -> str:
    """A full `def` as the student's notebook holds it, region included."""
    before, after = SKELETONS[name]
    body = "\n".join(
        [
            f'"""{name}: see the notebook text for shapes."""',
            before,
            START_CODE,
            textwrap.dedent(region).strip("\n"),
            END_CODE,
            after,
        ]
    )
    return f"def {name}({SIGNATURES[name]}):\n" + textwrap.indent(body, "    ") + "\n"
