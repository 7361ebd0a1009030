"""The notebooks' small checks, each with a verdict: a value against a
hand-worked one, gradients against numerical ones, the loss at initialisation.
"""

import math

import numpy as np

from course.check_report import failed, passed, show, yours_and_expected
from course.rules import _describe, rel_error_where

GRADIENT_TOL = 1e-6  # float64 centered differences: a right gradient is ~1e-8 or better


def check_close(title, got, expected, tol=1e-9, hint=""):
    """Print PASS when `got` equals `expected` (same shape) to a relative error of `tol`."""
    show([_close_result(title, got, expected, tol, hint)])


def _close_result(title, got, expected, tol, hint):
    expected = np.asarray(expected, dtype=np.float64)
    if np.shape(got) != expected.shape:
        return failed(title, f"shape {np.shape(got)}, expected {expected.shape}" + (f": {hint}" if hint else ""))
    try:
        err, idx = rel_error_where(got, expected)
    except (TypeError, ValueError):
        return failed(title, f"expected numbers, got {_describe(got)}")
    if err <= tol:
        return passed(title, f"relative error {err:.1e}")
    at = f" at [{', '.join(str(int(i)) for i in idx)}]" if idx else ""
    return failed(
        title,
        f"relative error {err:.1e}{at} (above {tol:.0e})"
        + (f": {hint}" if hint else "")
        + yours_and_expected(got, expected),
    )


def check_gradients(pairs, tol=GRADIENT_TOL):
    """Print one verdict per (name, analytic, numerical): same shape and a relative error below tol."""
    show(
        [
            _close_result(
                f"{name}: analytic against numerical gradient",
                analytic,
                numerical,
                tol,
                "the backward pass has a bug in this gradient",
            )
            for name, analytic, numerical in pairs
        ]
    )


def check_relative_error(title, error, tol=GRADIENT_TOL, hint=""):
    """Print PASS when a relative error (e.g. what grad_check_sparse returned) is below tol."""
    ok = error <= tol
    show(
        [
            passed(title, f"largest relative error {error:.1e} (below {tol:.0e})")
            if ok
            else failed(title, f"largest relative error {error:.1e} is above {tol:.0e}" + (f": {hint}" if hint else ""))
        ]
    )


def check_initial_loss(loss, num_classes, tol=0.05, name="the loss"):
    """Print PASS when a loss computed with tiny weights is within tol of log(num_classes)."""
    expected = math.log(num_classes)
    try:
        loss = float(np.asarray(loss).reshape(()))
    except (TypeError, ValueError):
        show([failed(f"{name} at initialisation", f"expected one number, got {_describe(loss)}")])
        return
    title = f"{name} at initialisation is close to log(C) = log({num_classes}) = {expected:.4f}"
    if abs(loss - expected) <= tol:
        show([passed(title, f"{loss:.4f}")])
        return
    hint = (
        "far below log C: is the -log missing, or the correct class's probability taken from the wrong place?"
        if loss < expected
        else "far above log C: are the losses summed over the examples instead of averaged, or summed over "
        "all classes instead of taking the correct class's term?"
    )
    show([failed(title, f"{loss:.4f}, off by more than {tol}: {hint}")])


def check_equal(title, got, expected, hint=""):
    """Print PASS when `got` equals `expected` exactly (hand-worked values, no rounding involved)."""
    expected = np.asarray(expected)
    ok = isinstance(got, np.ndarray) and got.shape == expected.shape and np.array_equal(got, expected)
    show(
        [
            passed(title, "exactly as worked out by hand")
            if ok
            else failed(title, hint + yours_and_expected(got, expected))
        ]
    )


def check_unchanged(title, before, after):
    """Print PASS when an input array is unchanged by a call (compare with a copy taken before it)."""
    ok = np.array_equal(before, after)
    show(
        [
            passed(title, "the input array was left as it was")
            if ok
            else failed(title, "the function changed its input array in place: compute the result in a new array")
        ]
    )
