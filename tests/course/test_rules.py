"""course/rules.py: the rules the notebooks' self-check and the grader share."""

import ast
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from course import rules


def defs(src):
    return {s.name: s for s in ast.parse(textwrap.dedent(src)).body if isinstance(s, (ast.FunctionDef, ast.ClassDef))}


def node_problem(src, qualname):
    d = defs(src)
    name, _, method = qualname.partition(".")
    node = d[name] if not method else rules._methods(d[name])[method]
    return rules.signature_problem_of_node(node, qualname)


# ------------------------------------------------------------------ numbers


@pytest.mark.parametrize(
    "value", [2.5, 2, np.float32(2.5), np.array(2.5), np.array([2.5]), np.array([[2.5]]), np.array([3], dtype=np.int64)]
)
def test_a_loss_may_be_any_one_element_number(value):
    assert rules.as_number(value) == pytest.approx(float(np.asarray(value).ravel()[0]))


@pytest.mark.parametrize(
    "value",
    [
        True,
        None,
        "1.0",
        [1.0],
        np.array([1.0, 2.0]),
        np.array([True]),
        np.array([1 + 2j]),
        10**999,
        float("nan"),
        np.array([np.inf]),
    ],
)
def test_anything_else_is_not_a_loss(value):
    with pytest.raises(ValueError):
        rules.as_number(value)


# -------------------------------------------------------------- comparisons


def test_rel_error_locates_the_worst_entry_and_floors_tiny_entries():
    err, idx = rules.rel_error_where(np.array([[1.0, 2.0], [3.0, 1e-13]]), np.array([[1.0, 2.0], [3.3, 0.0]]))
    assert idx == (1, 0) and err == pytest.approx(0.3 / 6.3)
    assert rules.rel_error(np.zeros(3), np.zeros(3)) == 0.0
    assert not rules.rel_error(np.array([np.nan, 1.0]), np.array([1.0, 1.0])) <= 1e-5


@given(st.floats(-1e3, 1e3), st.floats(-1e3, 1e3))
def test_rel_error_is_symmetric_and_bounded(a, b):
    e = rules.rel_error(a, b)
    assert e == rules.rel_error(b, a) and 0.0 <= e <= 1.0


def test_numerical_gradients_match_known_derivatives_and_restore_x():
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    before = x.copy()
    grad = rules.eval_numerical_gradient(lambda v: float(np.sum(v**3)), x)
    assert np.allclose(grad, 3 * before**2, rtol=1e-6) and np.array_equal(x, before)
    dout = np.array([[1.0, 2.0], [3.0, 4.0]])
    grad = rules.eval_numerical_gradient_array(lambda v: 2 * v, x, dout)
    assert np.allclose(grad, 2 * dout) and np.array_equal(x, before)


# --------------------------------------------------------------- signatures


@pytest.mark.parametrize(
    "src, qualname",
    [
        ("def softmax_loss(x, y): pass", "softmax_loss"),  # CS231n's own parameter names
        ("def softmax_loss(scores, y, eps=1e-12, *, check=False): pass", "softmax_loss"),
        ("def affine_forward(*args): pass", "affine_forward"),
        ("class TwoLayerNet:\n def loss(self, X, y=None, reg=0.0, dropout=0.0): pass", "TwoLayerNet.loss"),
        (
            "class TwoLayerNet:\n def train(self, X, y, X_val, y_val, learning_rate=1e-3, learning_rate_decay=0.95,"
            " reg=5e-6, num_iters=100, batch_size=200): pass",
            "TwoLayerNet.train",
        ),  # no verbose: never passed
        ("class TwoLayerNet:\n def train(self, a, b, c, d, **kw): pass", "TwoLayerNet.train"),
        ("class LinearSoftmax:\n @staticmethod\n def predict(X): pass", "LinearSoftmax.predict"),
    ],
)
def test_signatures_a_call_can_use_are_right(src, qualname):
    assert node_problem(src, qualname) is None


@pytest.mark.parametrize(
    "src, qualname, why",
    [
        ("def softmax_loss(x, y, eps): pass", "softmax_loss", "missing a required argument: 'eps'"),
        ("def softmax_loss(x): pass", "softmax_loss", "too many positional arguments"),
        (
            "class TwoLayerNet:\n def train(self, X, y, X_val, y_val, dropout, learning_rate=1e-3,"
            " learning_rate_decay=0.95, reg=5e-6, num_iters=100, batch_size=200): pass",
            "TwoLayerNet.train",
            "missing a required argument: 'dropout'",
        ),
        (
            "class TwoLayerNet:\n def train(self, X, y, X_val, y_val, lr=1e-3, learning_rate_decay=0.95, reg=5e-6,"
            " num_iters=100, batch_size=200): pass",
            "TwoLayerNet.train",
            "unexpected keyword argument 'learning_rate'",
        ),
        (
            "class TwoLayerNet:\n def loss(self, X, y, reg=0.0): pass",
            "TwoLayerNet.loss",
            "missing a required argument: 'y'",
        ),
        ("class TwoLayerNet:\n def predict(): pass", "TwoLayerNet.predict", "no self parameter"),
    ],
)
def test_signatures_the_grader_cannot_call_are_reported(src, qualname, why):
    problem = node_problem(src, qualname)
    assert problem and why in problem and qualname in problem and len(problem) < 250


def test_live_objects_are_judged_like_their_source():
    ns = {}
    src = textwrap.dedent("""
        def softmax_loss(x, y, verbose=False): pass
        class TwoLayerNet:
            def loss(self, X, y, reg=0.0): pass
            @staticmethod
            def predict(X): pass
    """)
    exec(src, ns)
    for qualname, obj in (
        ("softmax_loss", ns["softmax_loss"]),
        ("TwoLayerNet.loss", ns["TwoLayerNet"]),
        ("TwoLayerNet.predict", ns["TwoLayerNet"]),
    ):
        assert rules.signature_problem_of_object(obj, qualname) == node_problem(src, qualname)


# --------------------------------------------------------------------- loops


@pytest.mark.parametrize(
    "body",
    [
        "D = 1\n        for d in x.shape[1:]:\n            D *= d",
        "D = reduce(lambda a, b: a * b, x.shape[1:])",
        "D = [d for d in x.shape[1:]]",
        "for axis in range(x.ndim):\n            pass",
        "for axis in range(1, len(x.shape)):\n            pass",
        "for name in ('W', 'b'):\n            pass",
        "for i in range(3):\n            pass",
    ],
)
def test_loops_over_a_shape_or_a_short_literal_are_not_loops_over_data(body):
    src = f"def affine_forward(x, w, b):\n        {body}\n        return x, None\n"
    assert rules.loop_problems(defs(src), "part2") == {}, body


def test_loops_over_the_parameter_dictionary_are_not_loops_over_data():
    src = """
    class TwoLayerNet:
        def loss(self, X, y=None, reg=0.0):
            grads = {k: np.zeros_like(v) for k, v in self.params.items()}
            for k in ['W1', 'W2']:
                grads[k] += 2 * reg * self.params[k]
            for k, g in zip(grads.keys(), self.params.values()):
                pass
            for name in sorted(self.params):
                pass
            return 0.0, grads
    """
    assert rules.loop_problems(defs(src), "part2") == {}


@pytest.mark.parametrize(
    "body, what",
    [
        ("for i in range(X.shape[0]): pass", "a for loop"),
        ("while False: pass", "a while loop"),
        ("s = sum(x for x in X)", "a generator expression"),
        ("s = list(map(abs, X))", "map()"),
        ("s = np.apply_along_axis(np.sum, 1, X)", "np.apply_along_axis"),
        ("exec('for i in X: pass')", "exec (code the loop check cannot follow)"),
        ("for row in X[:3]: pass", "a for loop"),
        ("for k in [X, X]: pass", "a for loop"),
        ("for row in self.data: pass", "a for loop"),
    ],
)
def test_loops_over_data_are_found_with_their_line(body, what):
    src = f"class TwoLayerNet:\n    def loss(self, X, y=None, reg=0.0):\n        x = 1\n        {body}\n"
    problem = rules.loop_problems(defs(src), "part2")["TwoLayerNet.loss"]
    assert what in problem and "line 3" in problem


def test_loops_are_followed_through_any_depth_of_helpers_methods_and_classes():
    src = """
    def a(x): return b(x)
    def b(x): return c(x)
    def c(x):
        return [r for r in x]
    def softmax_loss_vectorized(W, X, y, reg):
        return a(X)
    class Helper:
        def run(self, X):
            for r in X: pass
    class LinearSoftmax:
        def predict(self, X):
            return self._scores(X)
        def _scores(self, X):
            return Helper().run(X)
        def loss(self, X_batch, y_batch, reg):
            return softmax_loss_vectorized(self.W, X_batch, y_batch, reg)
        def train(self, X, y):
            for it in range(10): pass
    def softmax_loss_naive(W, X, y, reg):
        for i in range(3): pass
    """
    problems = rules.loop_problems(defs(src), "part1")
    assert "line 2 of c" in problems["softmax_loss_vectorized"]
    assert "Helper.run" in problems["LinearSoftmax.predict"]
    # loss calls a vectorized contract function: judged on its own, not twice
    assert "LinearSoftmax.loss" not in problems
    assert set(problems) == {"softmax_loss_vectorized", "LinearSoftmax.predict"}


def test_recursion_and_calls_into_looping_contract_functions_are_loops():
    src = """
    def affine_forward(x, w, b):
        return rec(x)
    def rec(x):
        return rec(x[1:]) if len(x) else 0
    def softmax_loss(scores, y):
        return softmax_loss_naive(None, scores, y, 0.0)
    def softmax_loss_naive(W, X, y, reg):
        for i in range(X.shape[0]): pass
    """
    problems = rules.loop_problems(defs(src), "part2")
    assert "recursion" in problems["affine_forward"]
    assert "softmax_loss_naive" in problems["softmax_loss"]


def test_the_contract_declares_every_call_the_rule_needs():
    from course.contract import CONTRACT

    for part in CONTRACT.values():
        for name, spec in part.items():
            for mspec in spec.get("methods", {name: spec}).values():
                assert mspec["calls"], name
                for call in mspec["calls"]:
                    positional = [a for a in call if not a.endswith("=")]
                    keywords = [a[:-1] for a in call if a.endswith("=")]
                    params = mspec["params"][1:] if "methods" in spec else mspec["params"]
                    assert positional == params[: len(positional)], (name, call)
                    assert set(keywords) <= set(mspec["defaults"]), (name, call)


@pytest.mark.parametrize(
    "body",
    [
        "rows = {}\n        rows.update(zip(range(X.shape[0]), X))\n        for i in rows:\n            pass",
        "rows = {}\n        for i in range(2):\n            rows[i] = X[i]\n        for i in rows:\n            pass",
        "m = map\n        out = list(m(abs, X))",
        "out = sorted(range(X.shape[0]), key=lambda i: X[i, 0])",
        "out = max(range(X.shape[0]), key=lambda i: X[i, 0])",
        "out = getattr(np, 'vector' + 'ize')(abs)(X)",
        "f = functools.partial(map, abs)\n        out = list(f(X))",
        "out = itertools.accumulate(X)",
        "step = lambda i: step(i - 1) if i else 0\n        step(X.shape[0])",
        "out = list(iter(lambda: X, None))",
        "out = globals()['helper'](X)",
    ],
)
def test_loops_hidden_from_a_plain_reading_are_found(body):
    src = f"class TwoLayerNet:\n    def loss(self, X, y=None, reg=0.0):\n        {body}\n        return 0.0, {{}}\n"
    assert "TwoLayerNet.loss" in rules.loop_problems(defs(src), "part2"), body


def test_a_gradient_dictionary_filled_at_parameter_keys_is_not_data():
    src = """
    class TwoLayerNet:
        def loss(self, X, y=None, reg=0.0):
            grads = {}
            dh, grads['W2'], grads['b2'] = 0, 0, 0
            for k in self.params:
                grads[k] = grads.get(k, 0) + 1
            for k, g in grads.items():
                pass
            return 0.0, grads
    """
    assert rules.loop_problems(defs(src), "part2") == {}


@pytest.mark.parametrize(
    "body, ok",
    [
        ("N = X.shape[0]\n    for i in range(N):\n        loss = X[i] @ W", True),
        ("for x_i, y_i in zip(X, y):\n        loss = x_i @ W[:, y_i]", True),
        ("num = len(y)\n    i = 0\n    while i < num:\n        loss = X[i] @ W\n        i += 1", True),
        ("i = 0\n    while i < len(y):\n        if y[i] > 0:\n            loss = 1.0\n        i = i + 1", True),
        ("loss = sum(X[i] @ W for i in range(X.shape[0]))", True),
        ("rows = [x @ W for x in X]", True),
        ("for _ in range(60):\n        pass", False),  # not over the examples
        ("loss = softmax_loss_vectorized(W, X, y, reg)\n    for i in range(X.shape[0]):\n        pass", False),
    ],
)
def test_the_naive_loss_must_loop_over_its_own_examples(body, ok):
    src = (
        f"def softmax_loss_naive(W, X, y, reg):\n    {body}\n    return 0.0, W\n\n"
        "def softmax_loss_vectorized(W, X, y, reg):\n    return 0.0, W\n"
    )
    problem = rules.required_loop_problem(defs(src), "softmax_loss_naive")
    assert (problem is None) == ok, problem


@pytest.mark.parametrize(
    "body",
    [
        "go = lambda i, me: None if i == 0 else me(i - 1, me)\n        go(X.shape[0], go)",
        "class Rows:\n            def __getitem__(self, i):\n                return X[i]\n        out = list(Rows())",
    ],
)
def test_recursion_without_a_name_and_iterated_classes_are_loops(body):
    src = f"def softmax_loss_vectorized(W, X, y, reg):\n        {body}\n        return 0.0, W\n"
    assert "softmax_loss_vectorized" in rules.loop_problems(defs(src), "part1"), body


def test_a_top_level_class_python_iterates_is_a_loop():
    src = """
    class Rows:
        def __init__(self, X):
            self.X = X
        def __getitem__(self, i):
            return self.X[i]
    def softmax_loss_vectorized(W, X, y, reg):
        return sum(Rows(X)), W
    """
    assert "__getitem__" in rules.loop_problems(defs(src), "part1")["softmax_loss_vectorized"]


VECTORIZED_BODY = """
    N = X.shape[0]
    s = X @ W
    s = s - s.max(axis=1, keepdims=True)
    p = np.exp(s) / np.exp(s).sum(axis=1, keepdims=True)
    loss = -np.log(p[np.arange(N), y]).mean() + reg * np.sum(W * W)
    p[np.arange(N), y] -= 1
    dW = X.T @ p / N + 2 * reg * W
"""


@pytest.mark.parametrize(
    "loop",
    [
        "for i in range(N):\n        pass",
        "for i in range(N):\n        ...",
        'for i in range(N):\n        """one example"""',
        "for i in range(N):\n        i += 1",
        "for i in range(N):\n        loss += 0.0",
        "for x_i, y_i in zip(X, y):\n        count = 0",
        "i = 0\n    while i < N:\n        i += 1",
        "i = 0\n    while i < N:\n        pass\n        i = i + 1",
        "_ = [0 for i in range(N)]",
    ],
)
def test_a_loop_that_does_no_work_is_not_the_naive_version(loop):
    src = f"def softmax_loss_naive(W, X, y, reg):{VECTORIZED_BODY}    {loop}\n    return loss, dW\n"
    problem = rules.required_loop_problem(defs(src), "softmax_loss_naive")
    assert problem and "does nothing with them" in problem and "loop variable" in problem, problem


def test_the_reference_naive_losses_loop_with_work():
    sys.path.insert(0, str(Path(__file__).parents[1] / "autograder"))
    import variant_sources

    sources = [variant_sources.NAIVE_FORGOT_1_OVER_N, variant_sources.NAIVE_HALF_VECTORIZED]
    for src in sources:
        assert rules.required_loop_problem(defs(src), "softmax_loss_naive") is None, src


# ----------------------------------------------------- aliases of looping functions


def part1_loss(body, top=""):
    return defs(
        f"{top}\ndef softmax_loss_vectorized(W, X, y, reg):\n    C = W.shape[1]\n    {body}\n    return 0.0, W\n"
    ), top


def with_bindings(src_top, definitions):
    return {**rules.top_level_bindings([textwrap.dedent(src_top)]), **definitions}


@pytest.mark.parametrize(
    "top, body, what",
    [
        ("_each = map", "out = list(_each(abs, range(C)))", "map() under the name _each"),
        ("_each = map\nagain = _each", "out = list(again(abs, X))", "map() under the name again"),
        ("vec = np.vectorize", "out = vec(abs)(X)", "np.vectorize (a Python loop) under the name vec"),
        ("from functools import reduce as fold", "out = fold(np.add, X)", "reduce() under the name fold"),
        ("from numpy import apply_along_axis as along", "out = along(np.sum, 1, X)", "under the name along"),
        ("import functools as ft", "out = ft.reduce(np.add, X)", "reduce()"),
        ("import functools", "fold = getattr(functools, 'reduce')\n    out = fold(np.add, X)", "fetched with getattr"),
        ("", "out = getattr(np, 'vectorize')(abs)(X)", "np.vectorize (a Python loop) fetched with getattr"),
        ("", "from functools import reduce as fold\n    out = fold(np.add, X)", "reduce() imported as fold"),
        ("import functools", "fold = functools.partial(functools.reduce, np.add)\n    out = fold(X)", "reduce()"),
        ("each = functools.partial(map, abs)", "out = list(each(X))", "map() under the name each"),
        ("run = eval", "out = run('X.sum()')", "eval (code the loop check cannot follow) under the name run"),
        ("rows = lambda A: [r for r in A]", "out = rows(X)", "a list comprehension in the lambda rows"),
        ("", "out = np.__dict__['vectorize'](abs)(X)", "np.vectorize (a Python loop)"),
        ("import functools", "out = vars(functools)['reduce'](np.add, X)", "reduce()"),
        ("from multiprocessing.pool import ThreadPool", "out = list(ThreadPool(1).imap(abs, X))", "imap()"),
        ("", "for c in range(10):\n        X[:, 0] += c", "a for loop"),
        ("", "for c in (0, 1, 2, 3, 4, 5, 6, 7, 8, 9):\n        X[:, 0] += c", "a for loop"),
    ],
)
def test_looping_functions_under_another_name_are_loops(top, body, what):
    definitions, top = part1_loss(body, top)
    problem = rules.loop_problems(with_bindings(top, definitions), "part1").get("softmax_loss_vectorized")
    assert problem and what in problem, problem


def test_a_top_level_alias_is_not_a_loop_where_the_function_binds_the_name_itself():
    definitions, top = part1_loss("fold = np.add\n    out = fold(X, X)", "from functools import reduce as fold")
    assert rules.loop_problems(with_bindings(top, definitions), "part1") == {}


def test_an_alias_of_a_looping_function_over_a_shape_is_not_a_loop_over_data():
    definitions, top = part1_loss("D = fold(lambda a, b: a * b, X.shape[1:])", "from functools import reduce as fold")
    assert rules.loop_problems(with_bindings(top, definitions), "part1") == {}


def test_a_top_level_alias_of_a_students_helper_is_followed():
    src = """
    def helper(X):
        return [r for r in X]
    h = helper
    def softmax_loss_vectorized(W, X, y, reg):
        return h(X), W
    """
    definitions = with_bindings(src, defs(src))
    problem = rules.loop_problems(definitions, "part1")["softmax_loss_vectorized"]
    assert "line 2 of helper, which it calls" in problem


def test_top_level_bindings_reads_statements_and_texts():
    texts = ["import numpy as np", "from functools import reduce as fold, partial", "x = y = map", "broken ("]
    bindings = rules.top_level_bindings(texts)
    assert set(bindings) == {"np", "fold", "partial", "x", "y"}
    assert rules.looping_aliases(bindings) == {
        "fold": "reduce() under the name fold",
        "x": "map() under the name x",
        "y": "map() under the name y",
    }


# ------------------------------------------- zip and enumerate over short literals


@pytest.mark.parametrize(
    "line",
    [
        'grads = {k: g for k, g in zip(("W1", "b1", "W2", "b2"), (dW1, db1, dW2, db2))}',
        'grads = dict((k, g) for k, g in zip(["W1", "b1", "W2", "b2"], [dW1, db1, dW2, db2]))',
        "for i, g in enumerate((dW1, db1, dW2, db2)):\n                total = total + g.sum()",
        'for k, g in zip(("W1", "W2"), (dW1, dW2)):\n                grads[k] += 2 * reg * self.params[k]',
    ],
)
def test_zip_and_enumerate_over_short_literals_are_not_loops_over_data(line):
    src = f"""
    class TwoLayerNet:
        def loss(self, X, y=None, reg=0.0):
            dW1 = db1 = dW2 = db2 = X
            total = 0.0
            grads = {{}}
            {line}
            for k, g in grads.items():
                pass
            return 0.0, grads
    """
    assert rules.loop_problems(defs(src), "part2") == {}, line


@pytest.mark.parametrize(
    "line",
    [
        'for k, g in zip(("W1", "b1"), X):\n                pass',  # rows of X
        "for k, g in zip((X, y), (dW1, db1)):\n                pass",  # the inputs themselves
        "for i, row in enumerate(X):\n                pass",
        'for k, g in zip(("W1",) * 3, range(X.shape[0])):\n                pass',
        "for k, g in zip(" + repr(tuple(f"k{i}" for i in range(17))) + ", [dW1] * 17):\n                pass",
        "for i, g in enumerate([" + ", ".join(["dW1"] * 17) + "]):\n                pass",
    ],
)
def test_zip_and_enumerate_over_data_are_still_loops(line):
    src = f"""
    class TwoLayerNet:
        def loss(self, X, y=None, reg=0.0):
            dW1 = db1 = X
            {line}
            return 0.0, {{}}
    """
    assert "TwoLayerNet.loss" in rules.loop_problems(defs(src), "part2"), line
