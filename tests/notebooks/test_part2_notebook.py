"""The Part 2 solution notebook (two-layer net): its shape, and a full run on one core.

The slow test executes the notebook top to bottom in a fresh kernel and checks
the course targets (course.toml [targets]) on the values it computed; the fast
tests check the conventions the release, autograder and peer review rely on.
"""
import ast

import nbformat
import pytest
from nbrun import run_notebook

from course.config import load_config
from course.contract import CONTRACT
from course.markers import ANSWER_HEADER, QUESTION_HEADER, SETUP_MARKER, START_CODE
from course.nbgrader_stubs import check_markers, enclosing_name
from course.rubric import load_rubric

CFG = load_config()
PART = "part2"
NOTEBOOK = CFG.solution_notebook(PART)
RESULT_NAMES = ["spiral_linear_accuracy", "spiral_net_accuracy", "test_accuracy", "SEED"]
LOOP_NODES = (ast.For, ast.While, ast.AsyncFor, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


@pytest.fixture(scope="module")
def nb():
    return nbformat.read(NOTEBOOK, as_version=4)


def code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


@pytest.mark.slow
def test_solution_notebook_runs_on_one_core_and_reaches_the_targets():
    targets = CFG.targets
    values, seconds = run_notebook(NOTEBOOK, RESULT_NAMES, timeout=int(targets["notebook_seconds_max"]))
    print(f"part2 solution: {values} in {seconds:.1f} s")  # shown with -rA / on failure
    for name in RESULT_NAMES[:3]:
        assert isinstance(values[name], float), f"{name} should be a plain float, got {values[name]!r}"
    assert values["SEED"] == CFG.seed, "the notebook's SEED is not the course seed of course.toml"
    assert values["spiral_linear_accuracy"] <= targets["spirals_linear_acc_max"]
    assert values["spiral_net_accuracy"] >= targets["spirals_net_acc_min"]
    assert values["test_accuracy"] >= targets["digits_net_test_acc_min"]
    assert seconds <= targets["notebook_seconds_max"], f"the notebook took {seconds:.1f} s"


def test_notebook_format_and_no_outputs(nb):
    assert (nb.nbformat, nb.nbformat_minor) >= (4, 5) and nb.metadata.kernelspec.name == "python3"
    nbformat.validate(nb)
    for cell in code_cells(nb):
        assert not cell.outputs and cell.execution_count is None, f"cell {cell.id} has outputs: clear them"


def test_setup_first_self_check_and_submission_last(nb):
    code = code_cells(nb)
    assert code[0].source.startswith(SETUP_MARKER + "\n")
    assert code[-1].source.strip().endswith(f'self_check(globals(), "{PART}")')
    last = nb.cells[-1]
    assert last.cell_type == "markdown" and last.source.startswith("## How to submit")
    assert "File -> Download -> Download .ipynb" in last.source


def test_solution_regions_are_well_formed_and_tagged(nb):
    grade_ids = []
    for cell in code_cells(nb)[1:]:
        if "### BEGIN SOLUTION" not in cell.source:
            continue
        check_markers(cell.source.splitlines(), f"cell {cell.id}")  # raises on malformed markers
        meta = cell.metadata.get("nbgrader", {})
        assert meta.get("solution") is True and meta.get("grade") is False, f"cell {cell.id}: {meta}"
        grade_ids.append(meta["grade_id"])
    assert len(grade_ids) == len(set(grade_ids)) >= 4, grade_ids


def _definitions(nb):
    """{name: ast node} of every top-level def/class outside the setup cell."""
    found = {}
    for cell in code_cells(nb)[1:]:
        for node in ast.parse(cell.source).body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                found[node.name] = node
    return found


def _loops(node):
    calls_map = [n for n in ast.walk(node) if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "map"]
    return [n for n in ast.walk(node) if isinstance(n, LOOP_NODES)] + calls_map


def test_contract_names_have_regions_and_follow_the_loop_policy(nb):
    defs = _definitions(nb)
    for name, spec in CONTRACT[PART].items():
        assert name in defs, f"{name} is not defined in the notebook"
        methods = spec.get("methods", {name: spec})
        for method, mspec in methods.items():
            node = defs[name] if "methods" not in spec else next(
                n for n in defs[name].body if isinstance(n, ast.FunctionDef) and n.name == method)
            assert [a.arg for a in node.args.args] == mspec["params"], f"{name}.{method} parameters"
            if mspec["loops"] == "forbidden":
                assert not _loops(node), f"{name}.{method} loops, which the contract forbids"


def test_every_student_region_sits_in_a_contract_function(nb):
    regions = []
    for cell in code_cells(nb)[1:]:
        lines = cell.source.splitlines()
        regions += [enclosing_name(lines, i) for i, l in enumerate(lines) if l.strip() == START_CODE]
    # TwoLayerNet.__init__ is given; loss has one region for the forward and one for the backward pass.
    assert sorted(regions) == sorted(["affine_forward", "affine_backward", "relu_forward", "relu_backward",
                                      "softmax_loss", "TwoLayerNet.loss", "TwoLayerNet.loss",
                                      "TwoLayerNet.train", "TwoLayerNet.predict"])


def test_inline_questions_match_the_rubric(nb):
    titles = {q.id: q.title for q in load_rubric().inline if q.part == PART}
    found = {}
    for i, cell in enumerate(nb.cells[:-1]):
        match = QUESTION_HEADER.match(cell.source.partition("\n")[0]) if cell.cell_type == "markdown" else None
        if not match:
            continue
        qid, title = match.group(1), match.group(2).strip()
        found[qid] = title
        answer = nb.cells[i + 1]
        lines = answer.source.splitlines()
        assert answer.cell_type == "markdown" and ANSWER_HEADER.match(lines[0]).group(1) == qid
        assert lines[1] == "" and lines[2] == "### BEGIN SOLUTION" and lines[-1] == "### END SOLUTION"
        assert answer.metadata["nbgrader"]["grade_id"] == "inline_" + qid.replace(".", "_")
    assert found == titles
