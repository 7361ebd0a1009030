"""Comparison helpers for the hidden tests; they run in the grader's process.

Every check raises `Fail` with two parts a student can act on:
  diagnosis  what is wrong and where: the output, the input shape, how far off
             ("dW: relative error 3e-02, largest at dW[3, 1], with reg=0.5 (N=8, C=4)")
  fix        how to fix it ("check the gradient of the regularization term");
             shown only when the course's feedback mode is "explain"
             (course.toml [grading] feedback, see autograder/feedback.py)
Messages name shapes, parameters and error sizes; they never contain the
hidden inputs, the expected values, or text the student's code chose.
"""

from __future__ import annotations

import numpy as np

from course import rules

# -------------------------------------------------------------------- failures


class Fail(AssertionError):
    """A check failed. str(exc) is the diagnosis; `fix` says how to fix it."""

    def __init__(self, diagnosis: str, fix: str = ""):
        super().__init__(diagnosis)
        self.diagnosis, self.fix = diagnosis, fix


class NotImplementedFail(Fail):
    """The student's function still raises NotImplementedError (untouched stub)."""


def expect(condition, diagnosis: str, fix: str = "") -> None:
    if not condition:
        raise Fail(diagnosis, fix)


def convention(key: str) -> str:
    """' (the course's convention, stated in <place>: <rule>)' for course.contract.CONVENTIONS[key]."""
    from course.contract import CONVENTIONS

    c = CONVENTIONS[key]
    return f" (the course's convention, stated in the {c['stated']}: {c['rule']})"


# ------------------------------------------------------- what came back


def as_tuple(value, what: str, names: tuple[str, ...]):
    expect(
        isinstance(value, (tuple, list)) and len(value) == len(names),
        f"{what} should return a tuple ({', '.join(names)}); got {describe(value)}",
    )
    return tuple(value)


def as_float(value, what: str) -> float:
    """A number by course.rules.as_number (a float, an int or any 1-element array)."""
    try:
        return rules.as_number(value)
    except rules.NotFinite as exc:
        raise Fail(f"{what} is not finite: {exc}") from None
    except ValueError as exc:
        raise Fail(f"{what} should be a single number (a float); {exc}") from None


def as_array(value, what: str, shape: tuple, kind: str = "f") -> np.ndarray:
    """A numpy array of `shape` whose dtype kind is in `kind` ("f" float, "iu" ints)."""
    expect(isinstance(value, np.ndarray), f"{what} should be a numpy array of shape {shape}; got {describe(value)}")
    expect(value.shape == tuple(shape), f"{what} has shape {value.shape}, expected {tuple(shape)}")
    kinds = {"f": "floats", "iu": "integers", "fiu": "numbers"}
    expect(value.dtype.kind in kind, f"{what} has dtype {value.dtype}, expected {kinds.get(kind, kind)}")
    if value.dtype.kind == "f":
        bad = ~np.isfinite(value)
        if bad.any():
            raise Fail(f"{what} contains inf/nan (first at {what}{index_str(np.argwhere(bad)[0])})")
    return value


def as_sequence(value, what: str, n: int | None = None) -> list:
    """A list, tuple or 1-D array (of length n when given) -> a list of its entries."""
    ok = isinstance(value, (list, tuple)) or (isinstance(value, np.ndarray) and value.ndim == 1)
    expect(
        ok and (n is None or len(value) == n),
        f"{what} should be a list" + (f" of {n} entries" if n is not None else "") + f"; got {describe(value)}",
    )
    return list(value)


def as_dict_of_arrays(value, what: str, shapes: dict) -> dict:
    """A dict holding (at least) the keys of `shapes`, each an array of that shape."""
    expect(
        isinstance(value, dict) and set(shapes) <= set(value),
        f"{what} should be a dict with the keys {', '.join(shapes)}; got {describe(value)}",
    )
    return {k: as_array(value[k], f"{what}['{k}']", shape) for k, shape in shapes.items()}


def describe(value) -> str:
    """Words for a value's type and shape; never its contents (or a student class's name)."""
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    if isinstance(value, (tuple, list)):
        return f"a {type(value).__name__} of length {len(value)}"
    if isinstance(value, dict):
        return f"a dict with {len(value)} keys"
    if value is None:
        return "None"
    if isinstance(value, (bool, int, float, str, np.generic)):
        return f"a {type(value).__name__}"
    return "an object of a class of yours"


def index_str(idx) -> str:
    return "[" + ", ".join(str(int(i)) for i in np.atleast_1d(idx)) + "]"


# ----------------------------------------------------------- comparisons


def magnitude(err: float) -> str:
    """A relative error as its power of ten ("1e-02" for 0.013 or 0.03): how far off, without
    the digits student code could choose to spell out what the hidden inputs were."""
    if not np.isfinite(err) or err <= 0:
        return f"{err:.0e}"
    return f"{10.0 ** round(float(np.log10(err))):.0e}"


def rel_error(got, want):
    """(max relative error, index of it): course.rules.rel_error_where."""
    return rules.rel_error_where(got, want)


def check_close(name: str, got, want, tol: float, where: str = "", fix: str = "") -> None:
    """Fail('name: relative error 3e-02, largest at name[3, 1] <where>', fix) when got is not want."""
    err, idx = rel_error(got, want)
    if not err <= tol:  # also catches nan
        at = f", largest at {name}{index_str(idx)}" if np.ndim(want) else ""
        raise Fail(f"{name}: relative error {magnitude(err)}{at}" + (f" {where}" if where else ""), fix)


def check_value(name: str, got: float, want: float, tol: float, where: str = "", fix: str = "") -> None:
    """Scalar against the reference, reported as a relative error (never the values)."""
    err = abs(got - want) / max(abs(got) + abs(want), rules.TINY)
    if not err <= tol:
        raise Fail(f"{name} is off by a relative {magnitude(err)}" + (f" {where}" if where else ""), fix)


def numerical_gradient(f, x: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Centered differences of scalar f at x (float64), by course.rules; x itself is never touched."""
    return rules.eval_numerical_gradient(f, np.array(x, dtype=np.float64), h)


def numerical_gradient_array(f, x: np.ndarray, dout: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """d(sum(f(x) * dout))/dx by centered differences: what a backward pass should return."""
    return rules.eval_numerical_gradient_array(f, np.array(x, dtype=np.float64), dout, h)


def on_large_scores(call):
    """call() -> its result; a Fail from it (scores around +-1e3) is re-raised
    naming those scores, with the max-subtraction advice as the fix when the
    result was not finite (an untouched stub fails as it is)."""
    try:
        return call()
    except NotImplementedFail:
        raise
    except Fail as exc:
        overflow = "finite" in exc.diagnosis or "inf/nan" in exc.diagnosis
        raise Fail(
            f"{exc.diagnosis} for scores around 1e3",
            "subtract each row's maximum score before exp" if overflow else exc.fix,
        ) from None


def scale_diagnosis(got, want, n) -> tuple[str, str]:
    """(diagnosis, fix) when an answer is off by a recognisable factor, else ("", "")."""
    got, want = np.asarray(got, float), np.asarray(want, float)
    if not np.all(np.isfinite(got)):
        return "it is not finite", ""
    denom = float(np.sum(want * want))
    if denom == 0:
        return "", ""
    k = float(np.sum(got * want)) / denom  # least-squares factor got ~ k * want
    if not np.allclose(got, k * want, rtol=1e-4, atol=1e-10 * max(1.0, np.abs(want).max())):
        return "", ""
    if n > 1 and abs(k - n) < 1e-3 * n:
        return "it is N times too large", "average over the N examples (divide by N)"
    if n > 1 and abs(k - 1 / n) < 1e-3 / n:
        return "it is divided by N once too often", "divide by N once"
    if abs(k + 1) < 1e-3:
        return "it has the wrong sign", "check the sign"
    if abs(k - 0.5) < 1e-3:
        return "it is half the right value", ""
    if abs(k - 2) < 2e-3:
        return "it is twice the right value", ""
    return "", ""


def check_close_scaled(name, got, want, tol, n, where="", fix=""):
    """check_close whose diagnosis also says when `got` is `want` times a telling factor."""
    err, _ = rel_error(got, want)
    if err <= tol:
        return
    diagnosis, scale_fix = scale_diagnosis(got, want, n)
    try:
        check_close(name, got, want, tol, where, scale_fix or fix)
    except Fail as exc:
        raise Fail(exc.diagnosis + (f": {diagnosis}" if diagnosis else ""), exc.fix) from None


def check_value_scaled(name, got, want, tol, n, where="", fix=""):
    """check_value with the factor diagnosis of check_close_scaled."""
    err = abs(got - want) / max(abs(got) + abs(want), rules.TINY)
    if err <= tol:
        return
    diagnosis, scale_fix = scale_diagnosis(got, want, n)
    raise Fail(
        f"{name} is off by a relative {magnitude(err)}"
        + (f" {where}" if where else "")
        + (f": {diagnosis}" if diagnosis else ""),
        scale_fix or fix,
    )


def check_accuracy(acc: float, need: float, what: str, fix: str) -> None:
    expect(acc >= need, f"{what} reaches {acc:.2f} accuracy on digits it was not trained on, need {need:.2f}", fix)
