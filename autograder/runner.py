"""Grade one submission: notebooks in, a SubmissionResult out.

    extract (ast, by content) -> which rubric items can be graded
    -> the student's code in a sandbox (a child process; see autograder.sandbox)
    -> the hidden pytest session, in this process, with a GradingPlugin
    -> points per item = rubric points x passed weight / total weight

`grade_submission` never raises for anything a submission does: an unreadable
notebook, a syntax error, a missing function, a crash or a hang become
statuses and feedback lines. It raises only when the grader itself is broken
(e.g. the solution notebooks are missing).
"""

from __future__ import annotations

import ast
import contextlib
import os
import time
import traceback
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from course.config import ConfigError, load_config
from course.contract import contract_names
from course.rubric import load_rubric
from course.safe_text import printable

from .callable_check import blocked_items, callable_problems
from .extract import Chunk, Extraction, extract_readable
from .reference import load_reference
from .reference_calls import KIT_SOURCE, Trace, callbacks
from .results import (
    FAILED,
    HIDDEN_CHECK,
    NOT_GRADABLE,
    PARTIAL,
    PASSED,
    STRUCTURE,
    ItemResult,
    Status,
    SubmissionResult,
    placeholder_result,
)
from .student_code import KIT_LABEL

if TYPE_CHECKING:  # imported when grading starts (_sandbox_api): numpy must load after the env is set
    from .sandbox import Sandbox

HIDDEN_TESTS = Path(__file__).with_name("hidden_tests")
CLASSES = ("LinearSoftmax", "TwoLayerNet")
# Built-in pytest plugins the hidden tests do not use (they use only plain fixtures and
# marks): each costs set-up time in every per-submission session.
UNUSED_PYTEST_PLUGINS = (
    "terminal",
    "cacheprovider",
    "logging",
    "warnings",
    "unraisableexception",
    "threadexception",
    "faulthandler",
    "junitxml",
    "pastebin",
    "doctest",
    "legacypath",
    "tmpdir",
    "monkeypatch",
    "recwarn",
    "stepwise",
    "setuponly",
    "setupplan",
    "debugging",
    "unittest",
    "subtests",
    "reports",
)
MAX_FEEDBACK = 8  # distinct failure lines per item; a student sees every failing check up to this
KIT_CHUNK = Chunk(KIT_LABEL, KIT_SOURCE, private=True)  # loaded last into the classes sandbox
_EXECUTORS: dict[int, ThreadPoolExecutor] = {}


def _background() -> ThreadPoolExecutor:
    """A thread pool of this process (a forked batch worker must not inherit its parent's)."""
    pid = os.getpid()
    if pid not in _EXECUTORS:
        _EXECUTORS[pid] = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sandbox-start")
    return _EXECUTORS[pid]


# ------------------------------------------------------------ the sandboxes


def sandbox_chunks(ext: Extraction, kind: str) -> list:
    """The code a sandbox loads.

    functions: all of the student's contract names (and what they use).
    classes:   the student's classes (and what they use) without the student's
               contract FUNCTIONS: the class sandbox reaches the course's
               functions as grader callbacks instead (reference_calls), so a
               class is graded on its own code (a bug in affine_backward costs
               p2_affine only) and no reference code is ever in the sandbox.
    """
    present = [n for n in contract_names() if n in ext.definitions]
    if kind == "functions":
        return needed_imports_only(ext.chunks_for(present))
    functions = [n for n in contract_names() if n not in CLASSES]
    student = [c for c in ext.chunks_for([n for n in present if n in CLASSES]) if c.label not in functions]
    return needed_imports_only(student) + [KIT_CHUNK]


def needed_imports_only(chunks: list) -> list:
    """Drop import chunks that bind no name the other chunks use: a notebook's
    `import matplotlib.pyplot as plt` or sklearn would otherwise be imported in
    every sandbox (the slowest part of its start-up) for nothing."""
    used = set()
    for c in chunks:
        if not c.label.startswith("import"):
            with contextlib.suppress(SyntaxError):
                used |= {n.id for n in ast.walk(ast.parse(c.source)) if isinstance(n, ast.Name)}
    return [c for c in chunks if not c.label.startswith("import") or _binds(c.source) & used]


def _binds(source: str) -> set[str]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return {"*"}
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                names.add(alias.asname or alias.name.split(".")[0])
    return names


def _sandbox_api():
    from . import sandbox

    return sandbox


# --------------------------------------------------------------- grading


def warm_up() -> None:
    """Load what every submission needs once per process (a batch worker's
    initializer): the reference solution, the digits data (scikit-learn's
    import alone takes seconds) and the sandboxes' fork server."""
    from .hidden_tests.plugin import digits_split

    load_reference()
    digits_split(True)
    digits_split(False)
    _sandbox_api().fork_server()


def grade_submission(student_id: str, notebooks: list[Path], *, limits=None, slot: int = 0):
    """Grade one student's notebooks -> SubmissionResult (never raises for the submission's sake).

    Raises only when the grader cannot run at all (solution notebooks missing,
    sandbox.SandboxError); a bug of ours on one submission becomes status "error: ..."."""
    start = time.perf_counter()
    try:
        return _grade(student_id, notebooks, limits=limits, slot=slot)
    except Exception as exc:
        if isinstance(exc, (ConfigError, _sandbox_api().SandboxError)):
            raise
        result = placeholder_result(
            student_id,
            Status(Status.ERROR, f"{type(exc).__name__}: {exc}"[:300]),
            "not graded: the grader failed on this submission (reported to the instructor)",
            notebooks=[Path(p).name for p in notebooks],
        )
        result.log.append("grader error: " + "".join(traceback.format_exception(exc))[-2000:])
        result.duration_s = round(time.perf_counter() - start, 3)
        return result


def _grade(student_id: str, notebooks: list[Path], *, limits=None, slot: int = 0):
    start = time.perf_counter()
    rubric, reference = load_rubric(), load_reference()
    result = SubmissionResult(student_id, Status(Status.OK), notebooks=[Path(p).name for p in notebooks])
    ext, _, unreadable = extract_readable(notebooks)
    result.log += unreadable + ext.problems

    sandbox = _sandbox_api()
    preopened: dict[str, Sandbox | Future[Sandbox]] = {}  # a Future: opened in the background

    trace = Trace()  # the course's loss as called by the student's train (classes sandbox)

    def start_sandbox(kind):
        extra = {"callbacks": callbacks(reference, trace)} if kind == "classes" else {}
        sb = sandbox.Sandbox(sandbox_chunks(ext, kind), limits=limits, slot=slot, **extra)
        sb.start()  # the plugin closes it when its tests are done (or _close_unused, below)
        return sb

    waited = 0.0  # seconds spent waiting for a sandbox to be ready

    def open_sandbox(kind):
        nonlocal waited
        began = time.perf_counter()
        try:
            ready = preopened.pop(kind, None)
            if isinstance(ready, Future):
                return ready.result()
            return ready or start_sandbox(kind)
        finally:
            waited += time.perf_counter() - began

    load_errors, crashed = {}, None
    if any(n in ext.definitions for n in contract_names()):
        try:  # opened first to learn which definitions fail to load
            preopened["functions"] = functions = open_sandbox("functions")
            load_errors = dict(functions.load_errors)
            result.log.append(f"isolation: {functions.isolation}")
        except sandbox.StudentError as exc:
            crashed = (
                "your code could not be loaded: the process stopped or hung while your definitions "
                "were being loaded (run every cell in a fresh runtime to see why)"
            )
            result.log.append(f"load failure: {type(exc).__name__}")
    problems = callable_problems(ext, load_errors)
    blockers = blocked_items(rubric, problems)
    if crashed:
        blockers = {item.id: crashed for item in rubric.auto}
    gradable = [item.id for item in rubric.auto if item.id not in blockers]
    if any(set(rubric.auto_item(i).functions) <= set(CLASSES) for i in gradable):
        # start the classes' sandbox now: its start-up overlaps the function tests
        preopened["classes"] = _background().submit(start_sandbox, "classes")

    waited_before_tests = waited
    with contextlib.ExitStack() as stack:
        stack.callback(_close_unused, preopened)
        plugin = run_hidden_tests(gradable, open_sandbox, reference, ext, problems, trace)
    result.log += [f"grader error: {printable(line, 1000)}" for line in plugin.internal_errors]
    slow = sorted(plugin.durations.items(), key=lambda kv: -kv[1])[:3]
    if slow:
        result.log.append("slowest hidden tests: " + ", ".join(f"{_test_label(n)} {s:.2f}s" for n, s in slow))

    for item in rubric.auto:
        result.items[item.id] = score_item(item, blockers.get(item.id), plugin.outcomes, unreadable, ext.problems)
    result.status = submission_status(result, unreadable)
    result.duration_s = round(time.perf_counter() - start, 3)
    tests = max(0.0, sum(plugin.durations.values()) - (waited - waited_before_tests))
    result.timings = {
        "hidden_tests": round(tests, 3),
        "sandbox_start": round(waited, 3),
        "overhead": round(result.duration_s - tests, 3),
        "test_bodies": round(plugin.body_seconds, 3),
    }
    result.log.append(
        "time: {hidden_tests:.2f} s in hidden tests (the submission's code included), "
        "{overhead:.2f} s grader overhead, of which {sandbox_start:.2f} s waiting for "
        "sandboxes".format(**result.timings)
    )
    return result


def _close_unused(preopened: dict[str, Sandbox | Future[Sandbox]]) -> None:
    """Close the sandboxes opened ahead of time that no test asked for (or a Future of one)."""
    for sb in preopened.values():
        with contextlib.suppress(Exception):
            (sb.result() if isinstance(sb, Future) else sb).close()


def _test_label(nodeid: str) -> str:
    """A hidden test's node id without its folder, e.g. "test_p2_two_layer_net.py::test_one_sgd_step"
    (a test name alone is ambiguous: the same names occur in several files)."""
    path, sep, rest = nodeid.partition("::")
    return Path(path).name + sep + rest


def run_hidden_tests(gradable, open_sandbox, reference, ext, problems=None, trace=None):
    """One in-process pytest session over autograder/hidden_tests/; returns the plugin (outcomes).
    `problems`: {qualified name: why it cannot be called} (callable_check.callable_problems)."""
    import pytest

    from .hidden_tests import plugin as fixtures
    from .hidden_tests.plugin import GradingPlugin

    plugin = GradingPlugin(
        gradable=gradable,
        open_sandbox=open_sandbox,
        reference=reference,
        extraction=ext,
        seed=load_config().seed,
        problems=problems,
        trace=trace,
    )
    if not gradable:
        return plugin
    args = [
        str(HIDDEN_TESTS),
        "-c",
        str(HIDDEN_TESTS / "pytest.ini"),
        "--rootdir",
        str(HIDDEN_TESTS.parent.parent),
        # the plugin records every outcome and builds its own bare reports, so
        # nothing is printed and no traceback is formatted; assertion rewriting,
        # capture and the rest of the built-in plugins only cost time here
        *[arg for name in UNUSED_PYTEST_PLUGINS for arg in ("-p", f"no:{name}")],
        "--assert=plain",
        "--capture=no",
    ]
    with _quiet(), _no_plugin_autoload():
        code = pytest.main(args, plugins=[plugin, fixtures])
    if code not in (0, 1):  # 0 all passed, 1 some failed; anything else is our problem
        plugin.internal_errors.append(f"hidden-test session ended with pytest exit code {int(code)}")
    return plugin


@contextlib.contextmanager
def _no_plugin_autoload():
    """Third-party pytest plugins (xdist, hypothesis...) are not needed to grade and cost time."""
    old = os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD", None)
        else:
            os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = old


@contextlib.contextmanager
def _quiet():
    import io

    with contextlib.redirect_stdout(io.StringIO()):
        yield


# ----------------------------------------------------------------- scoring


def values_right(outcomes) -> set[str]:
    """Items, and "item:group" pairs, at least one of whose value tests passed:
    that code computes something right."""
    right = set()
    for t in outcomes:
        if t.passed and t.kind != STRUCTURE:
            right |= {t.item, f"{t.item}:{t.group}"}
    return right


def gates(test) -> set[str]:
    """What must have right values for a structure test to count: the items it needs,
    or else its own item (the values of its own group, when it has one)."""
    if test.needs:
        return set(test.needs)
    return {f"{test.item}:{test.group}" if test.group else test.item}


def credited(test, right: set[str]) -> bool:
    """A value test counts when it passed; a structure test only when, besides, its
    gates have right values: structure alone (no loops, shapes, inputs unchanged,
    agreement with its own gradient...) never earns points for garbage."""
    return test.passed and (test.kind != STRUCTURE or gates(test) <= right)


def score_item(item, blocker, outcomes, unreadable, syntax_problems) -> ItemResult:
    """One rubric item from every test outcome of the submission (`outcomes`
    spans all items: a structure test may need another item's values)."""
    if blocker:
        extra = [p for p in (*unreadable, *syntax_problems)]
        return ItemResult(
            item.id,
            item.title,
            0.0,
            item.points,
            NOT_GRADABLE,
            feedback=[f"not graded: {blocker}"] + [f"({p})" for p in extra[:2]],
        )
    tests = [t for t in outcomes if t.item == item.id]
    total = sum(t.weight for t in tests)
    if total == 0:
        return ItemResult(
            item.id,
            item.title,
            0.0,
            item.points,
            NOT_GRADABLE,
            feedback=["not graded: no hidden test ran for this item (reported to the instructor)"],
        )
    right = values_right(outcomes)
    passed = sum(t.weight for t in tests if credited(t, right))
    points = round(item.points * passed / total, 2)
    status = PASSED if passed == total else FAILED if passed == 0 else PARTIAL
    lines = [(t.message if t.visible else HIDDEN_CHECK, t.fix if t.visible else "") for t in tests if not t.passed]
    untouched = {t.item for t in outcomes if t.not_implemented}
    lines += [
        (depends_line(t, right), "")
        for t in tests
        if t.passed and not credited(t, right) and not {g.split(":")[0] for g in gates(t)} <= untouched
    ]
    failed = list(dict.fromkeys(lines))
    feedback = [m for m, _ in failed[:MAX_FEEDBACK]] + (
        [f"... and {len(failed) - MAX_FEEDBACK} more failed hidden check(s)"] if len(failed) > MAX_FEEDBACK else []
    )
    fixes = [f for _, f in failed[:MAX_FEEDBACK]] + ([""] if len(failed) > MAX_FEEDBACK else [])
    return ItemResult(item.id, item.title, points, item.points, status, feedback=feedback, tests=tests, fixes=fixes)


def depends_line(test, right: set[str]) -> str:
    """Why a passed structure test earns nothing yet."""
    rubric = load_rubric()
    missing = sorted(gates(test) - right)
    names = [
        f"'{rubric.auto_item(g.split(':')[0]).title}'" + (f" ({g.split(':')[1]})" if ":" in g else "") for g in missing
    ]
    return (
        "not credited yet: loops, speed, shapes, unchanged inputs and agreement with your own gradient "
        f"count only once values are right, and no value check passed for {', '.join(names)}"
    )


def submission_status(result: SubmissionResult, unreadable: list[str]) -> Status:
    blocked = [i for i in result.items.values() if i.status == NOT_GRADABLE]
    if len(blocked) == len(result.items):
        reason = unreadable[0] if unreadable else blocked[0].feedback[0].removeprefix("not graded: ")
        return Status(Status.NOT_GRADABLE, reason)
    if blocked:
        return Status(Status.PARTIAL, f"{len(blocked)} item(s) not gradable ({', '.join(i.id for i in blocked)})")
    return Status(Status.OK)
