"""self_check: before you hand in, everything the grader and your peers will look at.

For every function and class of the part, the checks of check_function
(signature, loops, known answers, large scores, speed, train, predict), judged
as the grader judges them on these inputs; then every verdict the notebook's own
check cells printed in this session that is not PASS (check_report.PRINTED_VERDICTS);
then the inline answers (none may be blank) and the experiments (their results
must exist in this session, and the hyperparameter search must have kept its best run).
It says "Ready to submit." only when nothing it checks would cost points.
"""

import numpy as np

from course.check_report import FAIL, PASS, PRINTED_VERDICTS, call_student, failed, passed, show, unchecked
from course.function_checks import function_results
from course.notebook_data import CONTRACT, EXPERIMENTS, INLINE_QUESTIONS
from course.notebook_source import answer_cells, current_notebook
from course.rules import _describe, as_number


def self_check(namespace, part):
    """Readiness report for one part: call it as self_check(globals(), "part1") in the last cell.

    Prints one verdict per check and, at the end, "Ready to submit." or what is
    left to do. Never raises for a mistake in your code.
    Returns {"ready": bool, "checks": [(title, status, message)]}.
    """
    if part not in CONTRACT:
        raise ValueError(f"self_check: part must be one of {sorted(CONTRACT)}, got {part!r}")
    results = []
    for name in CONTRACT[part]:
        results += function_results(namespace, name)
    results += printed_results()
    results += answer_results(namespace, part)
    results += experiment_results(namespace, part)
    show(
        results,
        heading=f"Self-check of {part}: what the grader and your reviewers will look at",
        brief=True,
        record=False,
    )
    failures = [r for r in results if r.status == FAIL]
    open_items = [r for r in results if r.status not in (PASS, FAIL)]
    ready = not failures and not open_items
    if ready:
        print("\nReady to submit.")
    elif failures:
        print(
            f"\nNot ready: {len(failures)} check(s) above say FAIL; each would cost points. "
            "Fix them, run the notebook again from the top, then run this cell again."
        )
    else:
        print(
            f"\nNot confirmed: {len(open_items)} item(s) could not be checked (marked ????); "
            "check them yourself before you hand in."
        )
    return {"ready": ready, "checks": [(r.title, r.status, r.message) for r in results]}


def printed_results():
    """The verdicts the notebook's check cells printed in this session (the latest per
    check): one result for each that is not PASS, or one PASS for all of them."""
    title = "the checks printed by the cells above"
    verdicts = list(PRINTED_VERDICTS.values())
    if not verdicts:
        return []
    bad = [r for r in verdicts if r.status != PASS]
    if not bad:
        return [passed(title, f"all {len(verdicts)} say PASS")]
    advice = (
        "\n(printed by a check cell above in this session: fix what it says, then run that "
        "cell again, or the whole notebook from the top)"
    )
    return [r._replace(title=f"printed above: {r.title}", message=f"{r.message}{advice}") for r in bad]


def answer_results(namespace, part):
    """One result: are all inline answers of the part written?"""
    title = "inline answers"
    questions = INLINE_QUESTIONS[part]
    notebook, where = current_notebook(namespace, questions)
    if notebook is None:
        return [
            unchecked(
                title,
                f"could not check the inline answers: {where}. Make sure every "
                f"**Your answer (inline question ...)** cell holds your answer",
            )
        ]
    answers = answer_cells(notebook)
    missing = [q for q in questions if q not in answers]
    blank = [q for q in questions if q in answers and not answers[q].strip()]
    problems = []
    if blank:
        problems.append(
            f"blank: {', '.join(blank)} (write your answer below the line "
            f"**Your answer (inline question N.M):**, in the same cell)"
        )
    if missing:
        problems.append(
            f"no answer cell for {', '.join(missing)} (the cell starting with "
            f"**Your answer (inline question N.M):** was deleted or its first line changed)"
        )
    if problems:
        return [failed(title, "; ".join(problems) + f". Read from {where}")]
    return [passed(title, f"{', '.join(questions)} answered (read from {where})")]


def experiment_results(namespace, part):
    """One result per experiment: has its cell been run in this session?"""
    results = []
    for experiment in EXPERIMENTS[part]:
        absent = [v for v in experiment["variables"] if _empty(namespace.get(v))]
        title = f"experiment: {experiment['what']}"
        results.append(
            failed(
                title,
                f"not run yet ({', '.join(absent)} not set): run its cells so that "
                f"the results and plots are in the notebook you hand in",
            )
            if absent
            else passed(title, "run")
        )
        if not absent and experiment.get("check") in EXPERIMENT_CHECKS:
            results += EXPERIMENT_CHECKS[experiment["check"]](namespace)
    return results


# ------------------------------------------------------- the hyperparameter search

SEARCH_KEYS = ("hidden_size", "learning_rate", "reg")


def check_search(namespace):
    """Print whether the hyperparameter search kept its best run: call it as check_search(globals())."""
    show(search_results(namespace), record=False)  # the self-check runs it again


def search_results(namespace):
    """[Result]: best_params is the key of results with the highest validation accuracy,
    and best_net is the net of that run (its validation accuracy is that value).

    results: {(hidden_size, learning_rate, reg): validation accuracy}; best_params: a
    dict with the keys hidden_size, learning_rate, reg; best_net: a TwoLayerNet;
    X_val, y_val: the validation data the accuracies were measured on."""
    title = "hyperparameter search: the best run is kept"
    results, best_net, best_params = (namespace.get(v) for v in ("results", "best_net", "best_params"))
    where = "search_hyperparameters"
    if not isinstance(results, dict) or not results:
        return [
            failed(
                title,
                f"results should be a dict {{(hidden_size, learning_rate, reg): validation accuracy}} "
                f"with one entry per net trained; it is {_describe(results)}",
            )
        ]
    try:
        accuracy = {key: as_number(value) for key, value in results.items()}
    except ValueError as exc:
        return [failed(title, f"every value of results should be one validation accuracy ({exc})")]
    if not isinstance(best_params, dict) or not all(k in best_params for k in SEARCH_KEYS):
        return [
            failed(
                title,
                f"best_params should be a dict with the keys {', '.join(SEARCH_KEYS)}; it is {_describe(best_params)}",
            )
        ]
    chosen = tuple(best_params[k] for k in SEARCH_KEYS)
    if chosen not in accuracy:
        return [failed(title, f"best_params {chosen} is not a key of results: {where} must record every run")]
    top = max(accuracy, key=accuracy.get)
    if accuracy[chosen] < accuracy[top]:
        return [
            failed(
                title,
                f"best_params {chosen} has validation accuracy {accuracy[chosen]:.4f} in results, but {top} "
                f"reached {accuracy[top]:.4f}: {where} must keep the run with the highest validation "
                f"accuracy (does it update best_val whenever a run beats it?)",
            )
        ]
    X_val, y_val = namespace.get("X_val"), namespace.get("y_val")
    params = getattr(best_net, "params", None)
    W1 = params.get("W1") if isinstance(params, dict) else None
    if not isinstance(W1, np.ndarray) or W1.ndim != 2:
        return [failed(title, f"best_net should be the TwoLayerNet of the best run; it is {_describe(best_net)}")]
    if W1.shape[1] != best_params["hidden_size"]:
        return [
            failed(
                title,
                f"best_net has {W1.shape[1]} hidden units, but best_params says hidden_size="
                f"{best_params['hidden_size']}: {where} must keep best_net and best_params from the same run",
            )
        ]
    if not isinstance(X_val, np.ndarray) or not isinstance(y_val, np.ndarray):
        return [unchecked(title, "X_val and y_val are not set: run the data cell of section 4 first")]
    labels, problem = call_student(best_net.predict, X_val)
    if problem:
        return [failed(title, f"best_net.predict(X_val) failed: {problem}")]
    net_accuracy = float(np.mean(np.asarray(labels) == y_val))
    if abs(net_accuracy - accuracy[chosen]) > 1e-9:
        return [
            failed(
                title,
                f"best_net's validation accuracy is {net_accuracy:.4f}, but results gives {accuracy[chosen]:.4f} "
                f"for best_params {chosen}: {where} must keep best_net and best_params from the same run",
            )
        ]
    return [
        passed(
            title,
            f"best_params {chosen} has the highest validation accuracy in results ({accuracy[chosen]:.4f}), "
            "and best_net is its net",
        )
    ]


EXPERIMENT_CHECKS = {"search": search_results}  # notebook_data.EXPERIMENTS' "check" keys


def _empty(value):
    if value is None:
        return True
    try:
        return len(value) == 0
    except TypeError:
        return False
