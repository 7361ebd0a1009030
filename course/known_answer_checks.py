"""Known-answer checks: the student's function on small fixed inputs against
values computed once from the reference solution when the notebook was made.

Each case of KNOWN_ANSWERS[part][name] holds the inputs, how the grader calls
the function ("call"), the names of what it returns ("returns"), the expected
outputs, and "variants": what common mistakes return on the same inputs, with
a hint for each (a halved regularization, biases regularized...). A wrong
output is compared with the variants and with simple factors (N times too
large, wrong sign) so the message can say what to look at.
"""

import copy

import numpy as np

from course.check_report import array_rows, call_as_grader, failed, not_implemented, passed, yours_and_expected
from course.notebook_data import KNOWN_ANSWERS
from course.rules import _describe, as_number, rel_error, rel_error_where

KNOWN_ANSWER_TOL = 1e-6  # relative; correct float64 code agrees to ~1e-14, float32 to ~1e-7


def known_answer(qualname, index=0):
    """Print and return (inputs, expected) of one known-answer case, to debug by hand:

    inputs, expected = known_answer("softmax_loss_naive")
    loss, dW = softmax_loss_naive(**inputs)   # when your parameter names are the starter code's
    """
    cases = _cases(qualname)
    if not cases:
        raise ValueError(
            f"known_answer: no known answer for {qualname!r}; there are some for "
            f"{', '.join(n for part in KNOWN_ANSWERS.values() for n in part)}"
        )
    case = cases[index]
    inputs = _array(case["args"])
    expected = _array(case["expected"])
    print(f"{qualname}, known answer {index + 1} of {len(cases)}: {case['title']}")
    blocks = [("input ", inputs), ("expected ", expected)]
    if case.get("forward"):
        forward = case["forward"]["name"]
        print(f"  cache = {forward}(...)[1] on the {forward} inputs below")
        blocks.insert(0, (f"{forward} input ", _array(case["forward"]["args"])))
    if case.get("attributes"):
        blocks.insert(0, ("self.", _array(case["attributes"])))
    for label, values in blocks:
        for name, value in _flatten(values).items():
            print(f"  {label}{name} =" + (f"\n{array_rows(value)}" if np.ndim(value) else f" {value!r}"))
    return inputs, expected


def known_answer_results(namespace, qualname):
    """One Result per known-answer case of `qualname` ("name" or "Class.method")."""
    results = []
    for number, case in enumerate(_cases(qualname), start=1):
        title = f"{qualname}: known answer {number} ({case['title']})"
        outputs, problem = _run_case(namespace, qualname, case)
        if problem is not None:
            results.append(failed(title, problem))
            if not_implemented(problem):
                break  # one "not implemented yet" is enough
            continue
        if any(r.status != "PASS" for r in results):  # a later case's hints assume the earlier ones pass
            case = dict(case, hints={k: v for k, v in case.get("hints", {}).items() if k != "value"})
        results.append(_judge(title, case, outputs))
    return results


def _cases(qualname):
    for part in KNOWN_ANSWERS.values():
        if qualname in part:
            return part[qualname]
    return []


# ------------------------------------------------------------ running a case


def _array(value):
    """Nested lists -> a numpy array (ints stay ints); dicts element-wise; numbers as they are."""
    if isinstance(value, dict):
        return {k: _array(v) for k, v in value.items()}
    return np.array(value) if isinstance(value, list) else value


def _target(namespace, qualname, case):
    """(callable, None) or (None, problem): the function, or the method of an
    instance built as the grader builds it with the case's attributes set."""
    name, _, method = qualname.partition(".")
    obj = namespace.get(name)
    if obj is None:
        return None, f"{name} is not defined: run the cell that defines it"
    if not method:
        return obj, None
    spec = case["construct"]
    instance, problem = call_as_grader(obj, spec["call"], _array(spec["args"]))
    if problem:
        return None, f"{name}(...) failed: {problem}"
    for attribute, value in case.get("attributes", {}).items():
        setattr(instance, attribute, copy.deepcopy(_array(value)))
    return getattr(instance, method), None


def _run_case(namespace, qualname, case):
    """(outputs, None) or (None, problem)."""
    fn, problem = _target(namespace, qualname, case)
    if problem:
        return None, problem
    args = _array(case["args"])
    forward = case.get("forward")
    if forward:  # a backward pass takes the cache of the student's own forward pass
        out, problem = call_as_grader(namespace.get(forward["name"]), forward["call"], _array(forward["args"]))
        if problem or not isinstance(out, (tuple, list)) or len(out) != 2:
            return None, (
                f"skipped: {forward['name']} must work first (it should return (out, cache); "
                f"{problem or 'it returned something else'})"
            )
        args = dict(args, cache=out[1])
    before = copy.deepcopy(args)
    value, problem = call_as_grader(fn, case["call"], args)
    if problem:
        return None, problem
    for name, old in before.items():
        if isinstance(old, np.ndarray) and not np.array_equal(args[name], old):
            return None, (
                f"{qualname} modified its input {name} in place. Work on new arrays: "
                f"a function (a backward pass in particular) never changes its inputs"
            )
    return value, None


# ------------------------------------------------------------------ judging


def _judge(title, case, value):
    got, problem = _flatten_outputs(case["returns"], value, case["expected"])
    if problem:
        return failed(title, problem)
    want = _flatten(case["expected"])
    problems, shown = [], []
    for name, expected in want.items():
        mismatch = _mismatch(name, got[name], expected)
        if mismatch is None:
            shown.append(_as_expected(name, got[name], expected))
            continue
        kind, text = mismatch
        hint = _explain(case, name, got[name]) if kind == "value" else _hint(case, name, kind)
        problems.append(f"{text}" + (f": {hint}" if hint else "") + _values(got[name], expected, kind))
    if problems:
        return failed(title, "\n".join(problems))
    return passed(title, "; ".join(shown))


def _flatten(outputs):
    """{"loss": 1.2, "grads": {"W1": ...}} -> {"loss": 1.2, "grads['W1']": ...}."""
    flat = {}
    for name, value in outputs.items():
        if isinstance(value, dict):
            flat.update({f"{name}['{key}']": v for key, v in value.items()})
        else:
            flat[name] = value
    return flat


def _flatten_outputs(returns, value, expected):
    """(the student's outputs by flat name, None) or (None, what is wrong with their form)."""
    if isinstance(returns, str):
        named = {returns: value}
    else:
        shown = ", ".join(n or "cache" for n in returns)
        if not isinstance(value, (tuple, list)) or len(value) != len(returns):
            return None, f"it should return a tuple ({shown}); it returned {_describe(value)}"
        named = {n: v for n, v in zip(returns, value) if n}
    flat = {}
    for name, v in named.items():
        if isinstance(expected[name], dict):
            if not isinstance(v, dict) or not set(expected[name]) <= set(v):
                return None, (
                    f"{name} should be a dict with the keys {', '.join(expected[name])}; it is {_describe(v)}"
                )
            flat.update({f"{name}['{key}']": v[key] for key in expected[name]})
        else:
            flat[name] = v
    return flat, None


def _mismatch(name, got, want):
    """None when got equals want to the tolerance, else (kind, text): kind is
    "value" (wrong numbers), "shape", "finite" or "type"."""
    if not isinstance(want, list):
        try:
            number = as_number(got)
        except ValueError as exc:
            return ("finite" if "finite" in str(exc) else "type"), f"{name} should be one number: {exc}"
        if rel_error(number, want) <= KNOWN_ANSWER_TOL:
            return None
        return "value", f"{name} = {number:.10g}, but the known answer is {want:.10g}"
    want = np.asarray(want, dtype=np.float64)
    if not isinstance(got, np.ndarray) or got.dtype.kind not in "fiu":
        return "type", f"{name} should be a numpy array of numbers with shape {want.shape}; it is {_describe(got)}"
    if got.shape != want.shape:
        return "shape", f"{name} has shape {got.shape}, but it should have shape {want.shape}"
    if not np.all(np.isfinite(got)):
        return "finite", f"{name} contains inf or nan"
    err, idx = rel_error_where(got, want)
    if err <= KNOWN_ANSWER_TOL:
        return None
    at = ", ".join(str(int(i)) for i in idx)
    return "value", f"{name} differs from the known answer (largest relative error {err:.1e}, at {name}[{at}])"


def _close(got, want):
    return _mismatch("", got, want) is None


_FACTORS = [
    (-1.0, "it has the wrong sign"),
    (0.5, "it is half the expected value"),
    (2.0, "it is twice the expected value"),
]


def _explain(case, name, got):
    """The hint of the first known mistake that gives exactly `got`, else a factor, else the case's hint."""
    for variant in case.get("variants", []):
        outputs = _flatten(variant["outputs"])
        if name in outputs and _close(got, outputs[name]):
            return _hint(variant, name)
    want = np.asarray(_flatten(case["expected"])[name], dtype=np.float64)
    n = case.get("N", 1)
    factors = (
        [
            (float(n), "it is N times too large: average over the N examples (divide by N)"),
            (1.0 / n, "it is divided by N once too often"),
        ]
        if n > 1
        else []
    )
    for factor, text in factors + _FACTORS:
        if _close(got, (factor * want).tolist() if want.ndim else float(factor * want)):
            return text
    return _hint(case, name)


def _hint(holder, name, kind="value"):
    """The most specific hint for output `name` ("grads['b1']") and problem kind:
    keys "grads['b1'] finite", "grads finite", "finite", "grads['b1']", "grads"."""
    hints, top = holder.get("hints", {}), name.split("[")[0]
    for key in (f"{name} {kind}", f"{top} {kind}", kind, name, top):
        if hints.get(key):
            return hints[key]
    return ""


def _as_expected(name, got, want):
    if isinstance(want, list):
        return f"{name} {np.shape(want)} as expected"
    return f"{name} = {want:.8g} as expected"


def _values(got, want, kind):
    """The got/expected numbers under a value mismatch of a small array (to compare by eye)."""
    if kind != "value" or not isinstance(want, list) or np.size(want) > 40:
        return ""
    return yours_and_expected(got, want)
