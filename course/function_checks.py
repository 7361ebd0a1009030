"""check_function: every check of one function or class you write, judged as the grader judges it.

defined        the cell that defines it has been run
signature      every call the grader makes works (rules.signature_problem_of_object)
loops          vectorized code has no loop over data, followed into every function
               it calls (rules.loop_problems); the naive version does loop
known answers  small fixed inputs, expected values from the reference solution
speed          the vectorized loss against the naive one, as the grader times them
train, predict what the contract fixes about training and prediction
"""

import contextlib
import inspect
import io

import numpy as np

from course.check_report import call_student, failed, passed, show, unchecked
from course.known_answer_checks import known_answer_results
from course.live_source import definitions_from_namespace
from course.notebook_data import CONTRACT, KNOWN_ANSWERS, SPEEDUP_MIN
from course.notebook_helpers import time_function
from course.rules import (
    SIGNATURE_FIX,
    _node,
    call_text,
    is_stub,
    loop_problems,
    required_loop_problem,
    signature_problem_of_object,
)
from course.train_checks import predict_results, train_results


def check_function(namespace, name):
    """Print every check of `name` (a function or a class of this part) with its verdict.

    Run it after the cell that defines the function:
        check_function(globals(), "softmax_loss_naive")
    """
    show(function_results(namespace, name), heading=f"Checks of {name}:", record=False)  # the self-check reruns them


def function_results(namespace, name):
    """[Result] of every check of contract name `name` ("softmax_loss_naive", "TwoLayerNet")."""
    part = next((p for p in CONTRACT if name in CONTRACT[p]), None)
    if part is None:
        raise ValueError(
            f"check_function: {name!r} is not a function or class of this homework; "
            f"choose one of {', '.join(n for p in CONTRACT.values() for n in p)}"
        )
    spec, obj = CONTRACT[part][name], namespace.get(name)
    if obj is None:
        return [failed(name, "not defined yet: run the cell that defines it")]
    if ("methods" in spec) != inspect.isclass(obj):
        return [failed(name, f"{name} should be a {'class' if 'methods' in spec else 'function'}")]
    results = _signature_results(obj, name, spec)
    if any(r.status != "PASS" for r in results):
        return results + [unchecked(f"{name}: everything else", "fix the signature first")]
    checks = [("loops", lambda: _loop_results(namespace, name, part))]
    checks += [
        (f"known answers of {q}", lambda q=q: known_answer_results(namespace, q))
        for q in KNOWN_ANSWERS[part]
        if q == name or q.startswith(name + ".")
    ]
    twin = _naive_twin(part, name)
    if twin:
        checks.append(("speed", lambda: [speed_result(namespace, twin, name)]))
    if "train" in spec.get("methods", {}):
        checks.append(("train", lambda: train_results(namespace, name)))
    if "predict" in spec.get("methods", {}):
        checks.append(("predict", lambda: predict_results(namespace, name)))
    for what, check in checks:
        try:
            results += check()
        except Exception as exc:  # a check must report, never stop the notebook
            results.append(
                unchecked(f"{name}: {what}", f"the check itself failed on this code ({type(exc).__name__}: {exc})")
            )
    return results


# -------------------------------------------------------------- signature


def _qualnames(name, spec):
    return [f"{name}.{m}" for m in spec["methods"]] if "methods" in spec else [name]


def _signature_results(obj, name, spec):
    results = []
    for qualname in _qualnames(name, spec):
        method = qualname.partition(".")[2]
        if method and not hasattr(obj, method):
            results.append(failed(f"{qualname}: signature", f"{name} has no method {method}"))
            continue
        problem = signature_problem_of_object(obj, qualname)
        entry = spec["methods"][method] if method else spec
        calls = " and ".join(call_text(qualname, call) for call in entry["calls"])
        results.append(
            failed(f"{qualname}: signature", f"{problem}; {SIGNATURE_FIX}")
            if problem
            else passed(f"{qualname}: signature", f"the grader can call it as {calls}")
        )
    return results


# ------------------------------------------------------------------ loops


def _loop_results(namespace, name, part):
    definitions = definitions_from_namespace(namespace)
    problems = loop_problems(definitions, part)
    results = []
    for qualname in _qualnames(name, CONTRACT[part][name]):
        method = qualname.partition(".")[2]
        policy = (CONTRACT[part][name]["methods"][method] if method else CONTRACT[part][name])["loops"]
        node = _node(definitions, qualname)
        title = f"{qualname}: " + ("loops" if policy == "required" else "no loops")
        if policy == "allowed" or (method == "__init__" and node is None):
            continue
        if node is None:
            results.append(unchecked(title, f"could not read the code of {qualname}; run the cell that defines it"))
        elif is_stub(node):
            results.append(failed(title, f"{qualname} is not implemented yet (it raises NotImplementedError)"))
        elif policy == "required":
            why = required_loop_problem(definitions, qualname)
            results.append(
                passed(title, "loops over its examples, as required")
                if why is None
                else failed(
                    title,
                    f"{why}: it must compute the loss and the gradient with explicit "
                    f"Python loops over the examples (see its docstring); it is the "
                    f"version the vectorized one is checked and timed against",
                )
            )
        else:
            results.append(
                failed(title, problems[qualname])
                if qualname in problems
                else passed(title, "no loop over data, in it or in anything it calls")
            )
    return results


# ------------------------------------------------------------------ speed

# The grader's timing: a digits-sized batch (N=500, D=65, C=10), best of several runs.
SPEED_SHAPE = (500, 65, 10)


def _naive_twin(part, name):
    """The function that must loop and takes the same inputs as vectorized `name`, if any."""
    spec = CONTRACT[part][name]
    if spec.get("loops") != "forbidden":
        return None
    return next(
        (
            n
            for n, s in CONTRACT[part].items()
            if s.get("loops") == "required" and s.get("params") == spec.get("params")
        ),
        None,
    )


def check_speed(namespace, naive_name, vectorized_name):
    """Print whether vectorized_name is fast enough compared with naive_name, as the grader times them."""
    show([speed_result(namespace, naive_name, vectorized_name)], record=False)  # the self-check times it again


def speed_result(namespace, naive_name, vectorized_name, repeats=(2, 5)):
    """Result: vectorized at least SPEEDUP_MIN times faster than naive on the grader's batch size."""
    title = f"{vectorized_name}: faster than {naive_name}"
    n, d, c = SPEED_SHAPE
    rng = np.random.default_rng(0)
    W, X = 0.01 * rng.standard_normal((d, c)), np.hstack([rng.standard_normal((n, d - 1)), np.ones((n, 1))])
    y = rng.integers(c, size=n)
    seconds = []
    for name, count in zip((naive_name, vectorized_name), repeats):
        fn = namespace.get(name)
        _, problem = call_student(fn, W, X, y, 1e-3) if callable(fn) else (None, "not defined")
        if problem:
            return unchecked(title, f"{name} must work first ({problem})")
        with contextlib.redirect_stdout(io.StringIO()):
            seconds.append(time_function(fn, W, X, y, 1e-3, repeats=count))
    ratio = seconds[0] / max(seconds[1], 1e-9)
    measured = (
        f"on a batch of N={n}, D={d}, C={c}: {naive_name} {1000 * seconds[0]:.1f} ms, "
        f"{vectorized_name} {1000 * seconds[1]:.2f} ms, {ratio:.0f}x faster"
    )
    if ratio >= SPEEDUP_MIN:
        return passed(title, f"{measured} (the grader needs {SPEEDUP_MIN:g}x)")
    return failed(
        title,
        f"{measured}; the grader needs {SPEEDUP_MIN:g}x: remove the Python-level work "
        f"per example (loops, comprehensions) and use matrix products",
    )
