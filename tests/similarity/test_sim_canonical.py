"""Canonical forms: what a copier changes without changing the program must vanish,
and what changes the program must not."""

import itertools
import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograder.similarity.inline import Helper
from autograder.similarity.units import Release, analyse_unit


def keys(source: str, helpers: dict | None = None) -> list[str]:
    unit = analyse_unit("f", textwrap.dedent(source).strip() + "\n", helpers or {}, Release(), {})
    return [s.key for s in unit.statements]


def same(*sources: str, helpers: dict | None = None) -> bool:
    return len({tuple(keys(s, helpers)) for s in sources}) == 1


def helper(source: str, is_method: bool = False) -> dict:
    name = source.split("def ", 1)[1].split("(", 1)[0]
    return {name: Helper(name, textwrap.dedent(source).strip() + "\n", is_method)}


VECTORIZED = """
def f(W, X, y, reg):
    n = X.shape[0]
    scores = X.dot(W)
    scores -= np.max(scores, axis=1, keepdims=True)
    probs = np.exp(scores)
    probs /= probs.sum(axis=1, keepdims=True)
    loss = -np.log(probs[np.arange(n), y]).mean() + reg * np.sum(W * W)
    probs[np.arange(n), y] -= 1
    dW = X.T.dot(probs) / n + 2 * reg * W
    return loss, dW
"""


def test_renaming_literals_comments_and_layout_vanish():
    other = """
    def f(W, X, y, reg):
        m = X.shape[0]   # examples
        s = X.dot(W)
        s -= np.max(s,
                    axis=1, keepdims=True)
        p = np.exp(s); p /= p.sum(axis=1, keepdims=True)
        L = -np.log(p[np.arange(m), y]).mean() + reg * np.sum(W * W)
        p[np.arange(m), y] -= 1
        G = X.T.dot(p) / m + 2.0 * reg * W
        return L, G
    """
    assert same(VECTORIZED, other)


def test_matrix_products_written_any_way_are_one():
    forms = ["a.dot(b)", "a @ b", "np.dot(a, b)", "np.matmul(a, b)"]
    assert same(*[f"def f(a, b):\n    return {form} + 1\n" for form in forms])


def test_augmented_and_plain_assignment_and_operand_order_are_one():
    assert same(
        "def f(x, y):\n    x += y * 2\n    return x\n",
        "def f(x, y):\n    x = x + y * 2\n    return x\n",
        "def f(x, y):\n    x = 2 * y + x\n    return x\n",
    )


def test_function_and_method_forms_of_reductions_are_one():
    assert same(
        "def f(x):\n    return np.sum(x, axis=1) + np.max(x)\n",
        "def f(x):\n    return x.sum(axis=1) + x.max()\n",
        "def f(x):\n    return np.amax(x) + x.sum(axis=1)\n",
    )


DEAD = [
    "unused = np.sum(X) * 0",
    "pass",
    "print('shape', X.shape)",
    "assert X is not None",
    "np.shape(X)",
    "X.shape",
    "if False:\n    loss = 3",
    "while False:\n    pass",
    "debug = 42\ndebug2 = debug + 1",
    "n = n * 1",
]


@pytest.mark.parametrize("inserted", DEAD)
def test_dead_code_and_no_op_statements_vanish(inserted):
    lines = textwrap.dedent(VECTORIZED).strip().splitlines()
    with_dead = lines[:2] + ["    " + line for line in inserted.splitlines()] + lines[2:]
    assert same(VECTORIZED, "\n".join(with_dead))


def test_reordered_independent_statements_give_one_order():
    a = """
    def f(x, w, b, dout):
        db = dout.sum(axis=0)
        flat = x.reshape(x.shape[0], -1)
        dw = flat.T @ dout
        dx = (dout @ w.T).reshape(x.shape)
        return dx, dw, db
    """
    b = """
    def f(x, w, b, dout):
        dx = (dout @ w.T).reshape(x.shape)
        flat = x.reshape(x.shape[0], -1)
        db = dout.sum(axis=0)
        dw = flat.T @ dout
        return dx, dw, db
    """
    assert same(a, b)


# Statements of a loss with their dependencies; every order that respects them means the same.
BLOCK = [
    "n = X.shape[0]",
    "c = W.shape[1]",
    "s = X.dot(W)",
    "s = s - s.max(axis=1)[:, None]",
    "p = np.exp(s)",
    "t = p.sum(axis=1)",
    "q = p / t[:, None]",
    "loss = -np.log(q[np.arange(n), y]).mean()",
    "loss = loss + reg * (W * W).sum()",
    "g = q.copy()",
    "g[np.arange(n), y] -= 1",
    "dW = X.T.dot(g) / n",
    "dW = dW + 2 * reg * W",
    "k = c * 2",
]
AFTER = {3: {2}, 4: {3}, 5: {4}, 6: {4, 5}, 7: {0, 6}, 8: {7}, 9: {6, 7}, 10: {0, 9}, 11: {0, 10}, 12: {11}, 13: {1}}


def _topological(priority: list[int]) -> list[int]:
    """A valid order of BLOCK: among the statements whose dependencies are placed, the lowest priority first."""
    order = []
    while len(order) < len(BLOCK):
        ready = [i for i in range(len(BLOCK)) if i not in order and AFTER.get(i, set()) <= set(order)]
        order.append(min(ready, key=lambda i: (priority[i], i)))
    return order


def _function(order) -> str:
    return "def f(W, X, y, reg):\n" + "".join(f"    {BLOCK[i]}\n" for i in order) + "    return loss, dW, k\n"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 100), min_size=len(BLOCK), max_size=len(BLOCK)))
def test_any_valid_order_of_a_block_gives_the_written_order_back(priority):
    assert keys(_function(_topological(priority))) == keys(_function(range(len(BLOCK))))


def test_loops_and_comprehensions_that_mean_the_same_are_one():
    assert same(
        "def f(xs):\n    r = [v * 2 for v in xs if v > 0]\n    return r\n",
        "def f(xs):\n    r = []\n    for v in xs:\n        if v > 0:\n            r.append(v * 2)\n    return r\n",
    )
    assert same(
        "def f(xs):\n    t = sum(v * v for v in xs)\n    return t\n",
        "def f(xs):\n    t = 0\n    for v in xs:\n        t += v * v\n    return t\n",
    )
    assert same(
        "def f(xs):\n    d = {k: k + 1 for k in xs}\n    return d\n",
        "def f(xs):\n    d = {}\n    for k in xs:\n        d[k] = k + 1\n    return d\n",
    )


def test_a_hoisted_comprehension_is_the_expression_it_came_from():
    assert same(
        "def f(x, W, C):\n    s = np.array([x @ W[:, j] for j in range(C)])\n    return s\n",
        "def f(x, W, C):\n    items = []\n    for j in range(C):\n        items.append(x.dot(W[:, j]))\n"
        "    s = np.array(items)\n    return s\n",
    )


def test_extracted_variables_and_split_tuples_are_inlined():
    assert same(
        "def f(x, w, b):\n    N, D = x.shape[0], w.shape[0]\n    out = x.reshape(N, D) @ w + b\n    return out\n",
        "def f(x, w, b):\n    N = x.shape[0]\n    D = w.shape[0]\n    flat = x.reshape(N, D)\n"
        "    prod = flat @ w\n    out = prod + b\n    return out\n",
    )


def test_code_moved_into_helpers_is_the_code_it_came_from():
    inline = """
    def f(W, X, y):
        s = X.dot(W)
        s = s - s.max(axis=1, keepdims=True)
        e = np.exp(s)
        p = e / e.sum(axis=1, keepdims=True)
        return p[np.arange(len(y)), y]
    """
    split = """
    def f(W, X, y):
        s = _scores(X, W)
        p = _softmax(s)
        return p[np.arange(len(y)), y]
    """
    helpers = {
        **helper("def _scores(A, B):\n    return A.dot(B)"),
        **helper(
            "def _softmax(s):\n    s = s - s.max(axis=1, keepdims=True)\n    e = np.exp(s)\n"
            "    out = e / e.sum(axis=1, keepdims=True)\n    return out"
        ),
    }
    assert same(inline, split, helpers=helpers)


def test_a_helper_method_is_inlined_too():
    inline = "def loss(self, X):\n    h = np.maximum(0, X @ self.W1)\n    return h @ self.W2\n"
    split = "def loss(self, X):\n    h = self._hidden(X)\n    return h @ self.W2\n"
    assert same(
        inline, split, helpers=helper("def _hidden(self, X):\n    return np.maximum(0, X @ self.W1)", is_method=True)
    )


def test_a_recursive_helper_does_not_loop():
    looping = helper("def _r(x):\n    return _r(x - 1) + 1")
    assert keys("def f(x):\n    return _r(x)\n", looping)  # finishes, with the helper's code counted


DIFFERENT = [
    ("def f(x):\n    return np.sum(x, axis=1)\n", "def f(x):\n    return np.max(x, axis=1)\n"),
    ("def f(x):\n    return np.sum(x, axis=1)\n", "def f(x):\n    return np.sum(x, axis=0)\n"),
    ("def f(a, b):\n    return a - b\n", "def f(a, b):\n    return a + b\n"),
    ("def f(a, b):\n    return a @ b\n", "def f(a, b):\n    return a * b\n"),
    ("def f(x):\n    y = x.copy()\n    y[x < 0] = 0\n    return y\n", "def f(x):\n    return np.maximum(0, x)\n"),
    (
        "def f(xs):\n    t = 0\n    for v in xs:\n        t += v\n    return t\n",
        "def f(xs):\n    t = 0\n    for v in xs:\n        t += v\n        t *= 2\n    return t\n",
    ),
]


@pytest.mark.parametrize("a, b", DIFFERENT)
def test_different_programs_stay_different(a, b):
    assert not same(a, b)


def test_every_pair_of_the_fixture_styles_stays_different():
    from sim_implementations import IMPLEMENTATIONS, function_source

    for name, styles in IMPLEMENTATIONS.items():
        for x, y in itertools.combinations(styles, 2):
            assert not same(function_source(name, x), function_source(name, y)), name
