"""The release's stub writer: per-function stubs and loud marker errors."""

import nbformat
import pytest

from course.markers import ANSWER_STUB
from course.nbgrader_stubs import MarkerError, StubSolutions, check_markers, code_stub

SOLUTION_CELL = {"nbgrader": {"solution": True, "grade": False, "locked": False, "grade_id": "x", "schema_version": 3}}


def run(source, cell_type="code"):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "language": "python"}
    make = nbformat.v4.new_code_cell if cell_type == "code" else nbformat.v4.new_markdown_cell
    nb.cells = [make(source, metadata=SOLUTION_CELL)]
    out, _ = StubSolutions().preprocess(nb, {"unique_key": "demo"})
    return out.cells[0].source


METHOD = """class LinearSoftmax:
    def predict(self, X):
        y_pred = None
        ### START CODE HERE ###
        ### BEGIN SOLUTION
        y_pred = (X @ self.W).argmax(axis=1)
        ### END SOLUTION
        ### END CODE HERE ###
        return y_pred
"""


def test_method_region_gets_a_stub_naming_class_and_method():
    out = run(METHOD)
    assert code_stub("LinearSoftmax.predict") in out
    assert "argmax" not in out
    assert "### START CODE HERE ###" in out and "### END CODE HERE ###" in out


def test_stubbed_function_runs_and_fails_with_its_message():
    out = run(METHOD)
    namespace = {}
    exec(out, namespace)
    with pytest.raises(NotImplementedError, match="LinearSoftmax.predict: fill in the code"):
        namespace["LinearSoftmax"]().predict(None)


def test_answer_cell_keeps_header_and_gets_text_stub():
    out = run(
        "**Your answer (inline question 1.1):**\n\n### BEGIN SOLUTION\nsecret\n### END SOLUTION", cell_type="markdown"
    )
    assert out.splitlines()[0] == "**Your answer (inline question 1.1):**"
    assert ANSWER_STUB in out and "secret" not in out


@pytest.mark.parametrize(
    "source, problem",
    [
        ("def f():\n    ### BEGIN SOLUTION\n    pass\n    ### END SOLUTION\n", "outside START/END CODE HERE"),
        ("def f():\n    ### START CODE HERE ###\n    ### BEGIN SOLUTION\n    pass\n", "never closed"),
        ("def f():\n    ### END CODE HERE ###\n", "END CODE HERE without START"),
        (
            "### START CODE HERE ###\n### BEGIN SOLUTION\nx = 1\n### END SOLUTION\n### END CODE HERE ###\n",
            "outside any function",
        ),
        ("def f():\n    ### START CODE HERE ###\n    ### BEGIN SOLUTION\n    ### BEGIN SOLUTION\n", "nested"),
    ],
)
def test_malformed_markers_are_loud_and_located(source, problem):
    with pytest.raises(MarkerError, match=problem) as err:
        check_markers(source.splitlines(), "demo.ipynb, cell 3")
    assert "demo.ipynb, cell 3" in str(err.value)


def test_preprocessor_reports_notebook_and_cell():
    with pytest.raises(MarkerError, match=r"demo, cell 1, line 2"):
        run("def f():\n    ### BEGIN SOLUTION\n    pass\n    ### END SOLUTION\n")
