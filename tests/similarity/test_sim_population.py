"""The benchmark is honest: its independent students and its disguised copies are all
correct programs that compute what the reference computes (run here on random inputs),
and each evasion really changes the code it is applied to."""

import itertools
import random

import numpy as np
import pytest
from sim_evasions import EVASIONS, disguise
from sim_population import REPO, held_alternatives, load_release, student_definitions

from autograder.extract import extract
from course import rules
from course.contract import contract_names

N, D, H, C = 6, 5, 4, 3


@pytest.fixture(scope="module")
def release():
    return load_release()


@pytest.fixture(scope="module")
def reference():
    ext = extract(sorted((REPO / "solutions" / "nn_from_scratch").glob("*.ipynb")))
    return namespace({n: ext.definitions[n].source for n in contract_names()})


def namespace(defs: dict[str, str], extra: dict[str, str] | None = None) -> dict:
    """The definitions run together, with what the notebooks' helper cell provides them."""
    env = {"np": np, "as_number": rules.as_number}
    for name, source in defs.items():
        exec((extra or {}).get(name, ""), env)
        exec(source, env)
    return env


def results(env: dict) -> list[np.ndarray]:
    """Every contract function and method on fixed random inputs, as flat arrays."""
    rng = np.random.default_rng(0)
    W, X, y = rng.normal(size=(D, C)), rng.normal(size=(N, D)), rng.integers(0, C, N)
    x4, w, b = rng.normal(size=(N, 2, 1, 2)), rng.normal(size=(4, H)), rng.normal(size=H)
    dout, scores = rng.normal(size=(N, H)), rng.normal(size=(N, C))
    out = [
        *env["softmax_loss_naive"](W, X, y, 0.1),
        *env["softmax_loss_vectorized"](W, X, y, 0.1),
        *env["affine_forward"](x4, w, b)[:1],
        *env["affine_backward"](dout, (x4, w, b)),
        *env["relu_forward"](dout)[:1],
        env["relu_backward"](dout, scores[:, :1] + dout),
        *env["softmax_loss"](scores, y),
    ]
    linear = env["LinearSoftmax"]()
    linear.W = W.copy()
    out += [linear.predict(X), *linear.loss(X, y, 0.1)]
    np.random.seed(1)
    history = linear.train(X, y, num_iters=3, batch_size=4)
    assert len(history) == 3 and all(np.isfinite(history))
    net = env["TwoLayerNet"](D, H, C)
    net.params = {
        "W1": rng.normal(size=(D, H)),
        "b1": rng.normal(size=H),
        "W2": rng.normal(size=(H, C)),
        "b2": rng.normal(size=C),
    }
    loss, grads = net.loss(X, y, reg=0.1)
    out += [net.loss(X), loss, *(grads[k] for k in sorted(grads)), net.predict(X)]
    stats = net.train(X, y, X, y, num_iters=3, batch_size=4)
    assert len(stats["loss_history"]) == 3
    return [np.asarray(v, dtype=float).ravel() for v in out]


def assert_same(got: list, want: list) -> None:
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("seed", range(24))
def test_independent_students_are_correct(release, reference, seed):
    assert_same(results(namespace(student_definitions(release, random.Random(seed)))), results(reference))


def test_every_alternative_the_tests_hold_is_correct(release, reference):
    for k, (name, source) in enumerate(held_alternatives()):
        defs = student_definitions(release, random.Random(100 + k), {name: source})
        assert_same(results(namespace(defs)), results(reference))


EVASION_CASES = [(e,) for e in EVASIONS] + list(itertools.combinations(EVASIONS, 2))[::4]


@pytest.mark.parametrize("names", EVASION_CASES, ids="+".join)
def test_disguised_copies_compute_the_same_and_differ_in_text(release, reference, names):
    changed = 0
    for seed in range(3):
        original = student_definitions(release, random.Random(seed))
        copied, extra = disguise(original, names, random.Random(seed))
        assert_same(results(namespace(copied, extra)), results(reference))
        changed += bool(extra) or copied != original
    assert changed >= 1
