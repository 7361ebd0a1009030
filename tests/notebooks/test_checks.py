"""Pieces of the notebooks' checks on their own: running student code safely, reading
the code of live functions, comparing with known answers, the learning-rate schedule
rule, and the small verdict helpers. (Whole mistakes: test_mistakes.py.)"""

import linecache
import textwrap

import numpy as np
import pytest
from student_code import finished_notebook, run_code

from course.check_report import call_student, show
from course.known_answer_checks import _mismatch
from course.live_source import definitions_from_namespace
from course.rules import loop_problems, looping_aliases
from course.sanity_checks import check_close, check_initial_loss
from course.train_checks import _decay_problem


def cell(namespace, source, name="<cell 7>"):
    source = textwrap.dedent(source)
    linecache.cache[name] = (len(source), None, source.splitlines(keepends=True), name)
    exec(compile(source, name, "exec"), namespace)


# ------------------------------------------------------------ running student code


def test_student_code_cannot_disturb_the_notebook(capsys):
    np.random.seed(5)
    expected = np.random.rand()
    np.random.seed(5)

    def noisy():
        print("CHATTY")
        np.random.rand(10)
        return np.exp(1000.0)

    value, problem = call_student(noisy)
    assert value == np.inf and problem is None
    assert np.random.rand() == expected, "the np.random stream moved"
    assert capsys.readouterr().out == "" and capsys.readouterr().err == ""


def test_an_exception_says_what_and_where_in_the_students_code():
    namespace = {"__name__": "__main__", "np": np}
    cell(
        namespace,
        """
        def softmax_loss_naive(W, X, y, reg):
            loss = 0.0
            return loss + X[10]
        """,
    )
    _, problem = call_student(namespace["softmax_loss_naive"], None, np.zeros(3), None, 0.1)
    assert (
        problem
        == "IndexError: index 10 is out of bounds for axis 0 with size 3 (softmax_loss_naive, line 3 of the def)"
    )
    _, problem = call_student(lambda: (_ for _ in ()).throw(NotImplementedError("fill in")))
    assert problem.startswith("not implemented yet")


# ------------------------------------------------------------ the code of live objects


def test_definitions_are_read_from_the_cells_that_ran():
    namespace = {"__name__": "__main__", "np": np, "imported": np.linalg.norm}
    cell(
        namespace,
        """
        import functools

        def helper(x):
            return x

        @functools.lru_cache
        def cached(x):
            return x

        class Model:
            def loss(self, X):
                return helper(X)
        """,
        "<cell 3>",
    )
    cell(namespace, "def helper(x):\n    return [v for v in x]\n", "<cell 4>")  # redefined later: this one counts
    found = definitions_from_namespace(namespace)
    assert set(found) == {"helper", "cached", "Model"}
    assert found["helper"].body[0].value.__class__.__name__ == "ListComp"


def test_names_bound_to_looping_functions_are_read_as_assignments():
    namespace = {"__name__": "__main__", "np": np}
    cell(
        namespace,
        """
        import functools
        from functools import reduce as fold

        _each = map
        vec = np.vectorize(abs)
        each_abs = functools.partial(map, abs)
        rows = lambda A: [r for r in A]
        fine = np.add

        def softmax_loss_vectorized(W, X, y, reg):
            return [_each, fold, vec, each_abs, rows, fine], W
        """,
    )
    found = definitions_from_namespace(namespace)
    assert {"_each", "fold", "vec", "each_abs", "rows", "softmax_loss_vectorized"} <= set(found)
    assert "fine" not in found and "functools" not in found
    aliases = looping_aliases(found)
    assert aliases["_each"] == "map() under the name _each"
    assert aliases["fold"] == "reduce() under the name fold"
    assert aliases["vec"] == "np.vectorize (a Python loop) under the name vec"
    assert aliases["each_abs"] == "map() under the name each_abs"
    assert aliases["rows"] == "a list comprehension in the lambda rows"
    assert "map() under the name _each" in loop_problems(found, "part1")["softmax_loss_vectorized"]


def test_the_helpers_own_functions_are_not_the_students():
    namespace = run_code(finished_notebook("part1"))
    found = namespace["definitions_from_namespace"](namespace)  # as the notebook's own helper cell runs it
    assert {"softmax_loss_naive", "softmax_loss_vectorized", "LinearSoftmax"} <= set(found)
    assert not {"self_check", "rel_error", "check_function"} & set(found)


# ------------------------------------------------------------ known answers


@pytest.mark.parametrize("got", [1.5, np.float32(1.5), np.array(1.5), np.array([1.5]), np.array([[1.5]])])
def test_a_loss_may_be_any_single_number(got):
    assert _mismatch("loss", got, 1.5) is None


@pytest.mark.parametrize(
    "got, kind, says",
    [
        (np.array([1.0, 2.0]), "type", "should be one number"),
        (np.nan, "finite", "not finite"),
        (1.6, "value", "loss = 1.6, but the known answer is 1.5"),
    ],
)
def test_a_wrong_loss_is_named(got, kind, says):
    found_kind, text = _mismatch("loss", got, 1.5)
    assert found_kind == kind and says in text


@pytest.mark.parametrize(
    "got, kind, says",
    [
        ([[1.0, 2.0]], "type", "should be a numpy array"),
        (np.ones((2, 1)), "shape", "has shape (2, 1), but it should have shape (1, 2)"),
        (np.array([[1.0, np.inf]]), "finite", "contains inf or nan"),
        (np.array([[1.0, 2.5]]), "value", "largest relative error 1.1e-01, at dW[0, 1]"),
    ],
)
def test_a_wrong_array_is_named(got, kind, says):
    found_kind, text = _mismatch("dW", got, [[1.0, 2.0]])
    assert found_kind == kind and says in text


# ------------------------------------------------------------ learning-rate schedule

LR, DECAY, PER_EPOCH = 0.5, 0.5, 3


def rates(powers):
    return [LR * DECAY**p for p in powers]


@pytest.mark.parametrize(
    "powers",
    [
        [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3],  # decayed at the end of each epoch (the given code)
        [0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4],  # decayed when an epoch starts (it % per_epoch == 0, as in CS231n)
    ],
)
def test_once_per_epoch_is_accepted_either_way(powers):
    assert _decay_problem(rates(powers), LR, DECAY, PER_EPOCH) is None


@pytest.mark.parametrize(
    "powers, says",
    [
        ([0] * 12, "never decayed"),
        (list(range(12)), "changed after iterations 1, 2, 3"),
        ([0, 0, 0, 2, 2, 2, 4, 4, 4, 6, 6, 6], "more than one factor"),
        ([0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1], "changed after iterations 3"),
        ([1] * 12, "the first step used learning rate 0.25"),
    ],
)
def test_other_schedules_are_described(powers, says):
    assert says in _decay_problem(rates(powers), LR, DECAY, PER_EPOCH)


# ------------------------------------------------------------ verdict helpers


def test_small_checks_print_a_verdict_and_a_reason(capsys):
    check_close("hand-worked", np.array([1.0, 2.0]), [1.0, 2.0])
    check_close("hand-worked", np.array([1.0, 3.0]), [1.0, 2.0], hint="look at b")
    check_initial_loss(2.31, 10)
    check_initial_loss(2300.0, 10)
    out = capsys.readouterr().out
    assert out.count("PASS") == 2 and out.count("FAIL") == 2
    assert "look at b" in out and "summed over the examples" in out


def test_show_wraps_messages_but_keeps_array_rows(capsys):
    from course.check_report import failed

    assert not show([failed("t", "word " * 40 + "\n  yours:\n    [[ 1.  2.]\n     [ 3.  4.]]")])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "FAIL  t" and all(len(line) <= 106 for line in lines)
    assert "           [ 3.  4.]]" in lines


def test_known_answer_prints_inputs_and_expected_values_to_work_by_hand(capsys):
    namespace = run_code(finished_notebook("part1"))
    inputs, expected = namespace["known_answer"]("softmax_loss_naive")
    out = capsys.readouterr().out
    assert "input reg = 0.1" in out and "expected loss = " in out and "expected dW =" in out
    loss, dW = namespace["softmax_loss_naive"](**inputs)
    assert abs(loss - expected["loss"]) < 1e-6 and np.allclose(dW, expected["dW"], rtol=1e-6)
    with pytest.raises(ValueError, match="no known answer for 'TwoLayerNet.loss'"):
        namespace["known_answer"]("TwoLayerNet.loss")
