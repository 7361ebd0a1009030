"""The hidden tests' metadata is data the rubric checks: every test names a real
rubric item, a known kind and real items it needs, and every call a hidden test
makes to student code is one the contract declares (course/contract.py `calls`),
so the signature rule judges exactly the calls the grader makes."""

import pytest
from variants import make_submission

from autograder import student_code
from autograder.hidden_tests.plugin import graded_marker
from autograder.notebook_io import find_notebooks
from autograder.runner import HIDDEN_TESTS, grade_submission
from course.contract import spec_of
from course.rubric import load_rubric


class Collector:
    def __init__(self):
        self.items = []

    def pytest_collection_modifyitems(self, session, config, items):
        self.items = list(items)
        items[:] = []


def test_every_hidden_test_has_valid_rubric_metadata():
    collector = Collector()
    from autograder.hidden_tests import plugin as fixtures

    pytest.main(
        [
            str(HIDDEN_TESTS),
            "-c",
            str(HIDDEN_TESTS / "pytest.ini"),
            "--rootdir",
            str(HIDDEN_TESTS.parent.parent),
            "-p",
            "no:cacheprovider",
            "--co",
            "-qq",
        ],
        plugins=[collector, fixtures],
    )
    assert len(collector.items) > 50
    metas = [graded_marker(item) for item in collector.items]  # raises on a typo
    used = {m["item"] for m in metas}
    assert used == {a.id for a in load_rubric().auto}, "every rubric item has hidden tests and no test is orphaned"
    for item in load_rubric().auto:
        kinds = {m["kind"] for m in metas if m["item"] == item.id}
        if not item.id.endswith("_vectorization"):
            assert "value" in kinds, f"{item.id}: structure alone would never be credited"


def test_the_hidden_tests_make_only_the_calls_the_contract_declares(tmp_path, monkeypatch):
    calls = []
    real = student_code.StudentCode

    class Recording(real):
        def call(self, name, *args, **kwargs):
            calls.append((name, len(args), frozenset(k for k in kwargs if k != "echo_args")))
            return super().call(name, *args, **kwargs)

        def new(self, cls, *args, **kwargs):
            calls.append((f"{cls}.__init__", len(args), frozenset(kwargs)))
            return super().new(cls, *args, **kwargs)

        def method(self, handle, qualname, *args, **kwargs):
            calls.append((qualname, len(args), frozenset(kwargs)))
            return super().method(handle, qualname, *args, **kwargs)

    import autograder.hidden_tests.plugin as plugin

    monkeypatch.setattr(plugin, "StudentCode", Recording)
    result = grade_submission("solution", find_notebooks(make_submission(tmp_path, "solution")))
    assert result.total == result.max_total
    seen = {c for c in calls if not c[0].startswith("__kit")}
    assert {c[0] for c in seen} >= {"softmax_loss_naive", "TwoLayerNet.train", "TwoLayerNet.loss"}
    for name, positional, keywords in seen:
        declared = [
            (sum(not a.endswith("=") for a in c), frozenset(a[:-1] for a in c if a.endswith("=")))
            for c in spec_of(name)["calls"]
        ]
        assert (positional, keywords) in declared, f"{name} called with {positional} positional and {set(keywords)}"
