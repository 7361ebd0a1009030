"""grade_submission on awkward notebooks: cell order, metadata, duplicates,
later definitions, syntax errors, missing functions, unreadable files; and the
small pieces (scoring, messages, ast loop checks) on their own."""

import random

import numpy as np
import pytest
from pipeline_helpers import notebook
from variant_sources import BUGS, NET_TRAIN_EXTRA_REQUIRED, SOFTMAX_CS231N_NAMES, VEC_TEMPLATE
from variants import make_submission

from autograder import results
from autograder.checks import Fail, check_close, numerical_gradient, rel_error
from autograder.extract import Chunk
from autograder.notebook_io import find_notebooks
from autograder.results import FAILED, NOT_GRADABLE, PARTIAL, PASSED, STRUCTURE
from autograder.runner import grade_submission, needed_imports_only, score_item
from autograder.student_code import exception_words, where_words
from course.rubric import load_rubric

PART1 = {i.id for i in load_rubric().auto if i.part == "part1"}
PART2 = {i.id for i in load_rubric().auto if i.part == "part2"}


def grade(folder):
    return grade_submission(folder.name, find_notebooks(folder))


def full(result):
    return {i.id for i in result.items.values() if i.points == i.max_points}


def explain(result):
    return "\n".join(f"  {i.id}: {i.points}/{i.max_points} {i.status} {i.feedback}" for i in result.items.values())


# ------------------------------------------------------ whole submissions


def shuffle_duplicate_strip(part, nb):
    """Colab-style damage: no metadata or ids, every cell twice, random order."""
    cells = [dict(c) for c in nb["cells"]]
    for c in cells:
        c["metadata"] = {}
        c.pop("id", None)
    cells = cells + [dict(c) for c in cells]
    random.Random(7).shuffle(cells)
    nb["cells"] = cells
    nb["metadata"] = {}


TOP_LEVEL_EXPERIMENTS = [
    "name = input('your name? ')",
    "while True:\n    pass",
    "import os\nos._exit(3)",
    "!pip install something-that-does-not-exist\n%matplotlib inline\nraise SystemExit('top level')",
]


def test_cell_order_metadata_duplicates_and_experiments_do_not_matter(tmp_path):
    folder = make_submission(tmp_path, "colab_mess", extra_cells=TOP_LEVEL_EXPERIMENTS, edit=shuffle_duplicate_strip)
    result = grade(folder)
    assert full(result) == PART1 | PART2, explain(result)


def test_later_definition_wins(tmp_path):
    buggy = BUGS["vec_no_max_subtraction"][1]["softmax_loss_vectorized"]
    fixed_later = make_submission(
        tmp_path,
        "fixed_later",
        parts=("part1",),
        replace={"softmax_loss_vectorized": buggy},
        extra_cells=[VEC_TEMPLATE],
    )
    broken_later = make_submission(tmp_path, "broken_later", parts=("part1",), extra_cells=[buggy])
    first, second = grade(fixed_later), grade(broken_later)
    assert full(first) == PART1, explain(first)
    assert full(second) == PART1 - {"p1_softmax_vectorized"}, explain(second)


BROKEN_AFFINE = """
def affine_forward(x, w, b):
    out = x.reshape(x.shape[0], -1) @ w + b
    return out, (x, w, b
"""
WRONG_SIGNATURE = """
def softmax_loss(scores):
    return 0.0, None
"""
FAILS_TO_LOAD = """
@memoize_results
def relu_backward(dout, cache):
    return dout * (cache > 0)
"""


def test_part1_graded_when_part2_has_a_syntax_error(tmp_path):
    result = grade(make_submission(tmp_path, "syntax", replace={"affine_forward": BROKEN_AFFINE}))
    assert full(result) == PART1 | PART2 - {"p2_affine", "p2_vectorization"}, explain(result)
    affine = result.items["p2_affine"]
    assert affine.points == 0 and "affine_forward is not defined" in affine.feedback[0], explain(result)
    assert "SyntaxError" in affine.feedback[0], explain(result)  # the reason it is not defined
    assert any("SyntaxError" in line for line in result.log), result.log


def test_missing_wrong_signature_load_error_and_unreadable_notebook(tmp_path):
    folder = make_submission(
        tmp_path,
        "broken",
        drop=["relu_forward"],
        replace={"softmax_loss": WRONG_SIGNATURE, "relu_backward": FAILS_TO_LOAD},
    )
    (folder / "part1_linear_softmax.ipynb").write_text("%PDF-1.4 this is not a notebook")
    result = grade(folder)
    items = result.items
    for item_id in PART1:
        assert items[item_id].status == NOT_GRADABLE and "not a notebook" in " ".join(items[item_id].feedback), explain(
            result
        )
    assert items["p2_relu"].status == NOT_GRADABLE and "relu_forward is not defined" in items["p2_relu"].feedback[0]
    assert "softmax_loss cannot be called the way the grader calls it" in items["p2_softmax_loss"].feedback[0]
    assert "too many positional arguments" in items["p2_softmax_loss"].feedback[0]
    assert 0 < items["p2_vectorization"].points < items["p2_vectorization"].max_points, explain(result)
    # classes are graded with the course's layers: unaffected by the broken layers
    assert full(result) == {"p2_affine", "p2_two_layer_loss", "p2_two_layer_train"}, explain(result)


def test_failed_load_costs_that_function_only_with_reason(tmp_path):
    result = grade(make_submission(tmp_path, "load_error", parts=("part2",), replace={"relu_backward": FAILS_TO_LOAD}))
    relu = result.items["p2_relu"]
    assert relu.status == PARTIAL, explain(result)  # relu_forward's checks still count
    assert any("relu_backward failed to load (it raised NameError" in line for line in relu.feedback), relu.feedback
    assert not any("memoize_results" in line for line in relu.feedback)  # never the student's text


@pytest.mark.parametrize(
    "replace, lost",
    [
        ({"TwoLayerNet": NET_TRAIN_EXTRA_REQUIRED}, {"p2_two_layer_train"}),  # not the loss item too
        ({"softmax_loss": SOFTMAX_CS231N_NAMES}, set()),  # softmax_loss(x, y): names are free
    ],
    ids=["extra_required_train_parameter", "cs231n_parameter_names"],
)
def test_a_signature_costs_that_method_only(tmp_path, replace, lost):
    result = grade(make_submission(tmp_path, "signature", parts=("part2",), replace=replace))
    assert {i.id for i in result.items.values() if i.points < i.max_points} & PART2 == lost, explain(result)


def test_nothing_gradable(tmp_path):
    folder = notebook(tmp_path / "empty" / "notes.ipynb").parent
    result = grade(folder)
    assert result.total == 0 and result.status.kind == "not_gradable"
    assert all(i.status == NOT_GRADABLE for i in result.items.values())


# ------------------------------------------------------------ the pieces


def outcome(item, weight, passed, message="", **kw):
    return results.TestOutcome("t", item, weight, passed, message, **kw)


def test_item_score_is_rubric_points_times_passed_weight():
    item = load_rubric().auto_item("p2_affine")  # 2 points in rubric.toml
    outcomes = [
        outcome(item.id, 1, True),
        outcome(item.id, 0.5, False, "db: wrong"),
        outcome(item.id, 0.5, False, "db: wrong"),
        outcome("p2_relu", 3, False, "x"),
    ]
    scored = score_item(item, None, outcomes, [], [])
    assert scored.points == pytest.approx(item.points * 1 / 2)
    assert scored.status == PARTIAL and scored.feedback == ["db: wrong"]
    many = [outcome(item.id, 1, False, f"problem {k}") for k in range(12)]
    assert score_item(item, None, many, [], []).feedback[-1] == "... and 4 more failed hidden check(s)"
    assert score_item(item, None, [outcome(item.id, 1, True)], [], []).status == PASSED
    assert score_item(item, None, [outcome(item.id, 1, False, "m")], [], []).status == FAILED
    blocked = score_item(item, "affine_forward is not defined in any code cell", outcomes, [], [])
    assert blocked.status == NOT_GRADABLE and blocked.points == 0


def test_structure_counts_only_where_values_are_right():
    item = load_rubric().auto_item("p2_affine")
    structure = outcome(item.id, 1, True, kind=STRUCTURE, group="forward")
    wrong_values = [outcome(item.id, 1, False, "out: wrong", group="forward"), structure]
    scored = score_item(item, None, wrong_values, [], [])
    assert scored.points == 0 and any("not credited yet" in line for line in scored.feedback)
    # a right value of another group does not open this gate
    other = wrong_values + [outcome(item.id, 1, True, group="backward")]
    assert score_item(item, None, other, [], []).points == pytest.approx(item.points / 3, abs=0.01)
    right = [outcome(item.id, 1, True, group="forward"), structure]
    assert score_item(item, None, right, [], []).points == item.points


def test_vectorization_credit_needs_the_values_of_the_items_it_names():
    vec = load_rubric().auto_item("p2_vectorization")
    loops = outcome(vec.id, 1, True, kind=STRUCTURE, needs=("p2_relu",))
    assert score_item(vec, None, [loops, outcome("p2_relu", 1, False, "x")], [], []).points == 0
    assert score_item(vec, None, [loops, outcome("p2_relu", 1, True)], [], []).points == vec.points
    # not graded at all is not right either
    assert score_item(vec, None, [loops], [], []).points == 0


def test_student_exceptions_are_named_by_type_and_line_only():
    assert exception_words("ValueError") == "ValueError"
    assert exception_words("W_is_0_point_5_then_minus_1") == "an exception"
    lines = {"softmax_loss": 12, "TwoLayerNet": 80}
    assert where_words("softmax_loss, line 7", lines) == " on line 7 of softmax_loss"
    assert where_words("<b>hi</b>, line 7", lines) == ""  # the child may lie: not one of ours
    assert where_words("softmax_loss, line 7 extra", lines) == ""
    assert where_words("softmax_loss, line 19379", lines) == ""  # a line number that spells a hidden input


def test_rel_error_reports_location_and_floors_tiny_entries():
    want = np.array([[1.0, 1e-12], [2.0, 3.0]])
    got = want.copy()
    got[1, 0] = 2.5
    err, idx = rel_error(got, want)
    assert idx == (1, 0) and err == pytest.approx(0.5 / 4.5)
    assert rel_error(want + [[0, 1e-11], [0, 0]], want)[0] < 1e-9  # ~0 entries compare on the array's scale
    with pytest.raises(Fail, match=r"dW: relative error 1e-01, largest at dW\[1, 0\] with reg=0") as info:
        check_close("dW", got, want, 1e-5, "with reg=0", "check")
    assert info.value.fix == "check"


def test_numerical_gradient_of_a_known_function():
    x = np.array([[0.3, -1.2], [2.0, 0.5]])
    assert np.allclose(numerical_gradient(lambda v: float(np.sum(v**3)), x), 3 * x**2, atol=1e-8)


def test_unused_imports_are_not_loaded():
    chunks = [
        Chunk("import: import numpy as np", "import numpy as np"),
        Chunk("import: import matplotlib.pyplot as plt", "import matplotlib.pyplot as plt"),
        Chunk("f", "def f(x):\n    return np.abs(x)"),
    ]
    assert [c.label for c in needed_imports_only(chunks)] == ["import: import numpy as np", "f"]


def test_a_grader_bug_becomes_an_error_status(tmp_path, monkeypatch):
    import autograder.runner as runner

    def broken(*args, **kwargs):
        raise KeyError("oops")

    monkeypatch.setattr(runner, "blocked_items", broken)
    folder = notebook(tmp_path / "someone" / "a.ipynb").parent
    result = grade(folder)
    assert str(result.status).startswith("error: KeyError") and result.total == 0
    assert all(i.status == NOT_GRADABLE for i in result.items.values())
    assert any("Traceback" in line for line in result.log)


def test_how_far_off_is_reported_as_a_power_of_ten_only():
    """Student code chooses what it returns, so the digits of its error could spell the hidden
    inputs out: feedback says the error's power of ten, never its digits."""
    messages = set()
    for got in (1.013, 1.019, 1.03):
        with pytest.raises(Fail) as info:
            check_close("loss", np.array([got]), np.array([1.0]), 1e-6)
        messages.add(info.value.args[0])
    assert messages == {"loss: relative error 1e-02, largest at loss[0]"}
