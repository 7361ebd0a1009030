"""Comparison helpers for the hidden tests; they run in the grader's process.

Every check raises `Fail` with ONE line a student can act on ("dW: relative
error 3e-02, largest at dW[3, 1]; check the regularization term"). Messages
name shapes, parameters and error sizes; they never contain the hidden inputs
or the expected values. `StudentCode` wraps a sandbox so that whatever the
student's code does (raises, hangs, crashes, returns junk) becomes a `Fail`.
"""
from __future__ import annotations

import ast
import re

import numpy as np

# -------------------------------------------------------------------- failures


class Fail(AssertionError):
    """A check failed; str(exc) is the student-facing one-line reason."""


class NotImplementedFail(Fail):
    """The student's function still raises NotImplementedError (untouched stub)."""


def expect(condition, message: str) -> None:
    if not condition:
        raise Fail(message)


_FLOAT = re.compile(r"[-+]?(\d+\.\d*|\.\d+|\d+)([eE][-+]?\d+)|[-+]?\d+\.\d+")


def sanitize(text: str, limit: int = 120) -> str:
    """A student's exception message, made safe to echo: first line, decimals
    masked (a message built from the hidden inputs cannot smuggle them out),
    truncated."""
    line = (str(text).strip().splitlines() or [""])[0]
    line = _FLOAT.sub("…", line)
    return line if len(line) <= limit else line[: limit - 1] + "…"


# -------------------------------------------------------- calling the student

class StudentCode:
    """Calls into a sandbox; every student-side problem becomes a `Fail`."""

    def __init__(self, sandbox):
        # a sandbox, or a callable returning it (opened lazily, on first use)
        self._sandbox = sandbox

    @property
    def sb(self):
        return self._sandbox() if callable(self._sandbox) else self._sandbox

    def _guard(self, what: str, thunk):
        from autograder.sandbox import (BadOutput, StudentCrash, StudentError, StudentException,
                                        StudentTimeout)
        try:
            return thunk()
        except StudentException as exc:
            if exc.exc_type == "NotImplementedError":
                raise NotImplementedFail(f"{what} is not implemented yet (it raises NotImplementedError)") from None
            raise Fail(f"{what} raised {exc.exc_type}: {sanitize(exc.message)}") from None
        except StudentTimeout:
            raise Fail(f"{what} did not finish in time (an endless loop, or much too slow?)") from None
        except StudentCrash as exc:
            raise Fail(f"the process running {what} died ({sanitize(str(exc))})") from None
        except BadOutput as exc:
            raise Fail(f"{what} returned something that is not numbers/arrays/tuples ({sanitize(str(exc))})") from None
        except StudentError as exc:
            raise Fail(f"{what} failed: {sanitize(str(exc))}") from None

    def call(self, name, *args, **kwargs):
        return self._guard(name, lambda: self.sb.call(name, *args, **kwargs))

    def new(self, cls, *args, **kwargs):
        return self._guard(f"{cls}(...)", lambda: self.sb.new(cls, *args, **kwargs))

    def method(self, handle, qualname, *args, **kwargs):
        return self._guard(qualname, lambda: self.sb.method(handle, qualname.rsplit(".", 1)[-1], *args, **kwargs))

    def getattr(self, handle, qualname):
        return self._guard(qualname, lambda: self.sb.getattr(handle, qualname.rsplit(".", 1)[-1]))

    def store(self, array):
        """Keep an array in the child (a Handle to pass as an argument)."""
        return self._guard("storing the test data", lambda: self.sb.store(array))

    def seed(self, value: int):
        return self._guard("seeding numpy", lambda: self.sb.seed(value))

    def setattr(self, handle, qualname, value):
        return self._guard(qualname, lambda: self.sb.setattr(handle, qualname.rsplit(".", 1)[-1], value))


# ------------------------------------------------------- what came back

def as_tuple(value, what: str, names: tuple[str, ...]):
    expect(isinstance(value, (tuple, list)) and len(value) == len(names),
           f"{what} should return a tuple ({', '.join(names)}); got {describe(value)}")
    return tuple(value)


def as_float(value, what: str) -> float:
    if isinstance(value, np.ndarray) and value.shape == () and value.dtype.kind in "fiu":
        value = value.item()
    expect(isinstance(value, (int, float)) and not isinstance(value, bool),
           f"{what} should be a single number (a float); got {describe(value)}")
    expect(np.isfinite(value), f"{what} is {value} (not finite)")
    return float(value)


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


def describe(value) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    if isinstance(value, (tuple, list)):
        return f"a {type(value).__name__} of length {len(value)}"
    if value is None:
        return "None"
    return f"a {type(value).__name__}"


def index_str(idx) -> str:
    return "[" + ", ".join(str(int(i)) for i in np.atleast_1d(idx)) + "]"


# ----------------------------------------------------------- comparisons

def rel_error(got, want):
    """(max relative error, index of it). Per entry |g - w| / (|g| + |w|), with
    the denominator floored at 1% of the arrays' largest magnitude: entries
    that are ~0 in both compare on the array's scale instead of blowing up."""
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    scale = max(float(np.max(np.abs(got), initial=0.0)), float(np.max(np.abs(want), initial=0.0)))
    denom = np.maximum(np.abs(got) + np.abs(want), max(1e-2 * scale, 1e-12))
    err = np.abs(got - want) / denom
    idx = np.unravel_index(int(np.argmax(err)), err.shape) if err.size else ()
    return (float(err[idx]) if err.size else 0.0), idx


def check_close(name: str, got, want, tol: float, hint: str = "") -> None:
    """Raise Fail('name: relative error 3e-02, largest at name[3, 1]; hint')."""
    err, idx = rel_error(got, want)
    if not err <= tol:  # also catches nan
        where = f", largest at {name}{index_str(idx)}" if np.ndim(want) else ""
        raise Fail(f"{name}: relative error {err:.0e}{where}" + (f"; {hint}" if hint else ""))


def check_value(name: str, got: float, want: float, tol: float, context: str, hint: str = "") -> None:
    """Scalar against the reference, reported as a relative error (never the values)."""
    err = abs(got - want) / max(abs(got) + abs(want), 1e-12)
    if not err <= tol:
        raise Fail(f"{name} is off by a relative {err:.0e} {context}" + (f"; {hint}" if hint else ""))


def numerical_gradient(f, x: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Centered differences of scalar f at x (float64), one entry at a time."""
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + h
        plus = f(x.copy())
        x[idx] = old - h
        minus = f(x.copy())
        x[idx] = old
        grad[idx] = (plus - minus) / (2 * h)
    return grad


def numerical_gradient_array(f, x: np.ndarray, dout: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """d(sum(f(x) * dout))/dx by centered differences: the gradient a backward
    pass should return for upstream gradient dout."""
    return numerical_gradient(lambda z: float(np.sum(np.asarray(f(z), dtype=np.float64) * dout)), x, h)


def on_large_scores(call):
    """call() -> its result; a Fail from it (when scores are around +-1e3) is
    re-raised naming those scores, with the max-subtraction advice when the
    result was not finite (an untouched stub fails as it is)."""
    try:
        return call()
    except NotImplementedFail:
        raise
    except Fail as exc:
        overflow = "finite" in str(exc) or "inf/nan" in str(exc)
        raise Fail(f"{exc} for scores around 1e3" + ("; subtract each row's maximum score before exp"
                                                     if overflow else "")) from None


def check_losses_fall(losses, n: int, count_message: str, what: str, fix: str) -> None:
    """losses: the n per-iteration losses train returned (count_message if not);
    the mean of the last 20 must be under half the first (else the message ends with `fix`)."""
    expect(isinstance(losses, (list, tuple, np.ndarray)) and len(losses) == n, count_message)
    losses = np.array([as_float(v, what) for v in losses])
    expect(np.mean(losses[-20:]) < 0.5 * losses[0],
           f"train did not lower the loss (first {losses[0]:.2f}, mean of the last 20: {np.mean(losses[-20:]):.2f}); "
           + fix)


def check_accuracy(classes, model, predict: str, data: dict, need_key: str, train: dict, what: str = "") -> None:
    """classes.method(model, predict, X_val) -> labels (N,) must match data["y_val"] on at
    least course.toml [grading] `need_key` of the rows; `train` is the budget the model was
    trained with; `what` names the call in messages (default "<predict>(X)")."""
    from course.config import load_config
    need = load_config().grading[need_key]
    X, y = data["X_val"], data["y_val"]
    pred = as_array(classes.method(model, predict, X), what or f"{predict}(X)", y.shape, "iu")
    acc = float(np.mean(pred == y))
    expect(acc >= need, f"after train ({train['num_iters']} iterations, learning_rate={train['learning_rate']}) "
                        f"predict reaches {acc:.2f} validation accuracy on digits, need {need:.2f}")


# ------------------------------------------------------------- code shape

LOOP_NODES = (ast.For, ast.AsyncFor, ast.While, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def loops_in(node: ast.AST) -> list[str]:
    """Descriptions of Python-level loops in a def: for/while, comprehensions, map()."""
    found = []
    for n in ast.walk(node):
        if isinstance(n, LOOP_NODES):
            found.append(f"{type(n).__name__.replace('Comp', ' comprehension').replace('GeneratorExp', 'generator expression').lower()} on line {n.lineno - node.lineno + 1}")
        elif isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in ("map", "filter"):
            found.append(f"{n.func.id}() on line {n.lineno - node.lineno + 1}")
        elif (isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
              and n.func.attr in ("vectorize", "frompyfunc", "apply_along_axis")):
            found.append(f"np.{n.func.attr} (a hidden Python loop) on line {n.lineno - node.lineno + 1}")
    return found


def function_node(ext, qualname: str):
    """The ast node of `name` or `Class.method` in a student's extraction (None if absent)."""
    name, _, method = qualname.partition(".")
    defn = ext.definitions.get(name)
    if defn is None:
        return None
    if not method:
        return defn.node
    return next((s for s in getattr(defn.node, "body", [])
                 if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)) and s.name == method), None)
