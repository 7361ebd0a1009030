"""The pytest plugin of a hidden-test session: fixtures and outcome recording.

One `GradingPlugin` per submission. It deselects tests of items that cannot be
graded, orders the tests so that only one sandbox is alive at a time, and
records one TestOutcome per test with the student-facing message taken from
the exception (never from a traceback, which would show test source).
"""

from __future__ import annotations

import traceback
import zlib
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest

from autograder.checks import Fail, NotImplementedFail
from autograder.results import STRUCTURE, VALUE, TestOutcome
from autograder.student_code import StudentCode
from course.rubric import load_rubric

if TYPE_CHECKING:
    from autograder.sandbox import Sandbox

GRADED_KEYS = {"item", "weight", "kind", "needs", "group"}


def graded_marker(item) -> dict:
    """The test's @pytest.mark.graded(item=..., weight=..., kind="value"|"structure", needs=(...),
    group="..."), checked against the rubric: a typo in an item id must not silently drop a test."""
    mark = item.get_closest_marker("graded")
    if mark is None:
        raise RuntimeError(f"hidden test {item.nodeid} has no @pytest.mark.graded(item=..., weight=...)")
    meta = dict(mark.kwargs)
    unknown = set(meta) - GRADED_KEYS
    ids = {a.id for a in load_rubric().auto}
    needs = tuple(meta.get("needs", ()))
    if (
        unknown
        or meta.get("item") not in ids
        or not set(needs) <= ids
        or meta.get("kind", VALUE) not in (VALUE, STRUCTURE)
    ):
        raise RuntimeError(f"hidden test {item.nodeid}: bad graded marker {meta} (items: {sorted(ids)})")
    return {
        "item": meta["item"],
        "weight": float(meta.get("weight", 1.0)),
        "kind": meta.get("kind", VALUE),
        "needs": needs,
        "group": str(meta.get("group", "")),
    }


@lru_cache(maxsize=1)
def _digits_raw():
    from course.config import load_config
    from course.notebook_helpers import load_digits_split

    cfg = load_config()
    return load_digits_split(seed=cfg.seed, val_size=cfg.data["val_size"], test_size=cfg.data["test_size"])


@lru_cache(maxsize=2)
def digits_split(bias_trick: bool) -> dict:
    from course.notebook_helpers import preprocess

    return preprocess(_digits_raw(), bias_trick=bias_trick)


GRADING = pytest.StashKey["GradingPlugin"]()


class GradingPlugin:
    def __init__(self, *, gradable, open_sandbox, reference, extraction, seed, problems=None, trace=None) -> None:
        from autograder.reference_calls import Trace

        self.gradable = set(gradable)
        self.trace = trace if trace is not None else Trace()  # the course's loss as the student's train called it
        self.problems = dict(problems or {})  # qualified name -> (why it cannot be called, fix)
        self.open_sandbox = open_sandbox  # kind ("functions"/"classes") -> Sandbox
        self.reference = reference
        self.extraction = extraction
        self.course_seed = seed
        self.outcomes: list[TestOutcome] = []
        self.internal_errors: list[str] = []  # grader bugs, for the instructor log
        self.durations: dict[str, float] = {}  # test node id -> seconds (setup + call + teardown)
        self.body_seconds = 0.0  # the "call" phases only (no fixtures)
        self._sandbox: Sandbox | None = None
        self._kind: str | None = None  # the kind of self._sandbox

    # ----------------------------------------------------------- sandboxes
    def sandbox(self, kind: str):
        if self._kind != kind:
            self.close()
            self._sandbox, self._kind = self.open_sandbox(kind), kind
        return self._sandbox

    def close(self):
        if self._sandbox is not None:
            self._sandbox.close()
        self._sandbox, self._kind = None, None

    # ------------------------------------------------------------- hooks
    def pytest_configure(self, config):
        config.stash[GRADING] = self
        config.addinivalue_line("markers", "graded(item, weight): rubric item and relative weight")
        config.addinivalue_line("markers", "timing: measures speed; runs after the other function tests")

    def pytest_collection_modifyitems(self, session, config, items):
        keep, drop = [], []
        for item in items:
            (keep if graded_marker(item)["item"] in self.gradable else drop).append(item)
        if drop:
            config.hook.pytest_deselected(items=drop)
        # every test on the student's functions first, then the classes (their
        # sandbox starts in the background meanwhile); timing last in its group,
        # when that start-up no longer competes for the CPU
        keep.sort(key=lambda it: ("classes" in it.fixturenames, it.get_closest_marker("timing") is not None))
        items[:] = keep

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_makereport(self, item, call):
        """Record the outcome and hand pytest a bare report: its own would format a
        traceback for every failure (~2 ms each), which nobody reads here."""
        self.durations[item.nodeid] = self.durations.get(item.nodeid, 0.0) + call.duration
        self.body_seconds += call.duration if call.when == "call" else 0.0
        if call.when == "call" or (call.when == "setup" and call.excinfo is not None):
            self._record(item, call.excinfo)
        failed = call.excinfo is not None
        return pytest.TestReport(
            item.nodeid,
            item.location,
            {},
            "failed" if failed else "passed",
            f"{call.excinfo.typename}" if failed else None,
            call.when,
            duration=call.duration,
            start=call.start,
            stop=call.stop,
        )

    def pytest_sessionfinish(self, session):
        self.close()

    def _record(self, item, excinfo):
        meta = graded_marker(item)
        outcome = TestOutcome(
            item.name,
            meta["item"],
            meta["weight"],
            excinfo is None,
            kind=meta["kind"],
            needs=meta["needs"],
            group=meta["group"],
        )
        if excinfo is not None:
            exc = excinfo.value
            if isinstance(exc, Fail):  # NotImplementedFail included: "X is not implemented yet"
                outcome.message, outcome.fix = exc.diagnosis, exc.fix
                outcome.not_implemented = isinstance(exc, NotImplementedFail)
            elif _is_student_error(exc):  # a test that reached the sandbox without StudentCode
                outcome.message = "your code failed in the sandbox"
            else:  # a bug in a hidden test (or an output shape we did not foresee)
                frame = traceback.extract_tb(excinfo.tb)[-1]
                self.internal_errors.append(
                    f"{item.nodeid}: {type(exc).__name__}: {str(exc)[:300]} "
                    f"(at {Path(frame.filename).name}:{frame.lineno})"
                )
                outcome.message = "a hidden check could not be completed on your output (reported to the instructor)"
        self.outcomes.append(outcome)


# ---------------------------------------------------------------- fixtures
# Module-level fixtures (this module is registered as a plugin next to the
# GradingPlugin object, which they reach through the config).


def _grading(request) -> GradingPlugin:
    return request.config.stash[GRADING]


@pytest.fixture(scope="session")
def student(request):
    plugin = _grading(request)
    return StudentCode(lambda: plugin.sandbox("functions"), plugin.problems)


@pytest.fixture(scope="session")
def classes(request):
    plugin = _grading(request)
    return StudentCode(lambda: plugin.sandbox("classes"), plugin.problems)


@pytest.fixture(scope="session")
def trace(request):
    """The calls the student's code made to the course's loss (reference_calls.Trace):
    clear it before the call you observe, copy `trace.calls` right after."""
    return _grading(request).trace


@pytest.fixture(scope="session")
def ref(request):
    return _grading(request).reference


@pytest.fixture(scope="session")
def ext(request):
    return _grading(request).extraction


@pytest.fixture(scope="session")
def seed(request):
    return _grading(request).course_seed


@pytest.fixture
def rng(request):
    """Hidden inputs: from the course seed and the test's own name, so each
    test sees the same inputs in every run and for every student."""
    return np.random.default_rng([_grading(request).course_seed, zlib.crc32(request.node.name.encode())])


@pytest.fixture(scope="session")
def digits():
    return digits_split(True)


@pytest.fixture(scope="session")
def digits_net():
    return digits_split(False)


def _is_student_error(exc) -> bool:
    from autograder.sandbox import StudentError

    return isinstance(exc, StudentError)
