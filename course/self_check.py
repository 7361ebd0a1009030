"""self_check: before you hand in, everything the grader and your peers will look at.

For every function and class of the part, the checks of check_function
(signature, loops, known answers, large scores, speed, train, predict), judged
as the grader judges them on these inputs; then the inline answers (none may
be blank) and the experiments (their results must exist in this session).
It says "Ready to submit." only when nothing it checks would cost points.
"""

from course.check_report import FAIL, PASS, failed, passed, show, unchecked
from course.function_checks import function_results
from course.notebook_data import CONTRACT, EXPERIMENTS, INLINE_QUESTIONS
from course.notebook_source import answer_cells, current_notebook


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
    results += answer_results(namespace, part)
    results += experiment_results(namespace, part)
    show(results, heading=f"Self-check of {part}: what the grader and your reviewers will look at", brief=True)
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
    return results


def _empty(value):
    if value is None:
        return True
    try:
        return len(value) == 0
    except TypeError:
        return False
