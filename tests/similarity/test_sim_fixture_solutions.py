"""The fixture solutions are genuinely correct (they agree on random inputs),
so "independent solutions score low" is tested on real, working code."""

import numpy as np
import pytest
from sim_helpers import rename_assigned, reorder_independent
from sim_implementations import DISGUISED_A, IMPLEMENTATIONS, function_source


def compile_fn(name, region):
    env = {"np": np}
    exec(function_source(name, region), env)
    return env[name]


def inputs(name, rng):
    N, D, H, C = 6, 5, 4, 3
    x4 = rng.normal(size=(N, 2, 1, 2))
    return {
        "softmax_loss_naive": (rng.normal(size=(D, C)), rng.normal(size=(N, D)), rng.integers(0, C, N), 0.1),
        "softmax_loss_vectorized": (rng.normal(size=(D, C)), rng.normal(size=(N, D)), rng.integers(0, C, N), 0.1),
        "affine_forward": (x4, rng.normal(size=(4, H)), rng.normal(size=H)),
        "affine_backward": (rng.normal(size=(N, H)), (x4, rng.normal(size=(4, H)), rng.normal(size=H))),
        "relu_forward": (rng.normal(size=(N, H)),),
        "relu_backward": (rng.normal(size=(N, H)), rng.normal(size=(N, H))),
        "softmax_loss": (rng.normal(size=(N, C)), rng.integers(0, C, N)),
    }[name]


def flat(result):
    parts = result if isinstance(result, tuple) else (result,)
    return [np.asarray(p, dtype=float) for p in parts if not isinstance(p, tuple) and p is not None]


@pytest.mark.parametrize("name", sorted(IMPLEMENTATIONS))
def test_every_style_and_every_disguise_computes_the_same(name):
    rng = np.random.default_rng(0)
    args = inputs(name, rng)
    regions = (
        IMPLEMENTATIONS[name]
        + [rename_assigned(r) for r in IMPLEMENTATIONS[name]]
        + [reorder_independent(r) for r in IMPLEMENTATIONS[name]]
        + [DISGUISED_A.get(name, IMPLEMENTATIONS[name][0])]
    )
    results = [flat(compile_fn(name, r)(*args)) for r in regions]
    for other in results[1:]:
        for got, want in zip(other, results[0]):
            np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def test_styles_are_written_differently():
    for name, impls in IMPLEMENTATIONS.items():
        assert len(set(impls)) == len(impls) >= 3, name


def test_reordering_really_moves_statements():
    moved = reorder_independent(IMPLEMENTATIONS["affine_backward"][0])
    assert moved != IMPLEMENTATIONS["affine_backward"][0].strip("\n")
