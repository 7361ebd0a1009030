"""How much faster is the reference softmax_loss_vectorized than softmax_loss_naive?

Takes both functions from the reference solution (autograder.reference, built
from the solution notebooks), times them with course.notebook_helpers.time_function
on one core at the CIFAR-sized N=500, D=3073, C=10 the notebook uses, prints
the ratio and fails (exit status 1) when it is below course.toml
[targets] vectorized_speedup_min.

    python -m bench.vectorization        # or through `make bench`
"""

import os

# One core, as the target assumes; set before numpy is imported anywhere.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import sys  # noqa: E402

import numpy as np  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402  (also pins BLAS if numpy was imported earlier)

from autograder.reference import load_reference  # noqa: E402
from course.config import load_config  # noqa: E402
from course.notebook_helpers import time_function  # noqa: E402

N, D, C = 500, 3073, 10


def measure(seed):
    """(naive seconds, vectorized seconds): best of several runs on the same random data."""
    reference = load_reference()
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N, D))
    y = rng.integers(C, size=N)
    W = 1e-4 * rng.standard_normal((D, C))
    naive, vectorized = reference["softmax_loss_naive"], reference["softmax_loss_vectorized"]
    loss_n, dW_n = naive(W, X, y, 5e-6)
    loss_v, dW_v = vectorized(W, X, y, 5e-6)
    if abs(loss_n - loss_v) > 1e-8 or np.max(np.abs(dW_n - dW_v)) > 1e-8:
        raise RuntimeError("naive and vectorized losses disagree: the comparison would be meaningless")
    with threadpool_limits(limits=1):
        return (time_function(naive, W, X, y, 5e-6, repeats=5), time_function(vectorized, W, X, y, 5e-6, repeats=20))


def main() -> int:
    cfg = load_config()
    target = float(cfg.targets["vectorized_speedup_min"])
    naive_s, vectorized_s = measure(cfg.seed)
    ratio = naive_s / vectorized_s
    print(
        f"softmax loss at N={N}, D={D}, C={C}, one core: naive {1000 * naive_s:.1f} ms, "
        f"vectorized {1000 * vectorized_s:.2f} ms, speedup {ratio:.1f}x (target >= {target:g}x)"
    )
    if ratio < target:
        print(
            f"bench/vectorization.py: FAIL: speedup {ratio:.1f}x is below course.toml "
            f"[targets] vectorized_speedup_min = {target:g}",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
