"""The conventions every solution notebook keeps, checked for each part of course.toml [notebooks].

The release (nbgrader), the autograder and peer review rely on them: no outputs, the
generated helper cell first (current, a Colab form) and the self-check/how-to-submit
last, well-formed solution regions inside contract functions (and the Part 2 search),
a check cell after each contract function, the contract's signatures and loop policy,
and inline questions that match the rubric. Where the parts legitimately differ, the
difference is data in PART_DATA below. The slow full runs are in test_solution_targets.py.
"""

import ast

import nbformat
import pytest

from autograder.extract import extract
from autograder.hidden_tests.vectorization import function_node
from course.config import load_config
from course.contract import CONTRACT, loop_policies
from course.helper_cell import FORM_METADATA, helper_cell_source
from course.markers import ANSWER_HEADER, BEGIN_SOLUTION, END_SOLUTION, QUESTION_HEADER, SETUP_MARKER, START_CODE
from course.nbgrader_stubs import check_markers, enclosing_name
from course.rubric import load_rubric
from course.rules import loops_in

CFG = load_config()
PART_DATA = {
    "part1": dict(
        solution_cells=3,
        # the last code cell is the self-check call and nothing else
        self_check_alone=True,
        regions=[
            "softmax_loss_naive",
            "softmax_loss_vectorized",
            "LinearSoftmax.train",
            "LinearSoftmax.predict",
            "LinearSoftmax.loss",
        ],
    ),
    "part2": dict(
        solution_cells=5,
        # `readiness = self_check(...)`: the notebook keeps the result to show it
        self_check_alone=False,
        # TwoLayerNet.__init__ is given; loss has one region for the forward and one for the backward pass;
        # the hyperparameter search is the students' too (peer-graded, not a contract function).
        regions=[
            "affine_forward",
            "affine_backward",
            "relu_forward",
            "relu_backward",
            "softmax_loss",
            "TwoLayerNet.loss",
            "TwoLayerNet.loss",
            "TwoLayerNet.train",
            "TwoLayerNet.predict",
            "search_hyperparameters",
        ],
    ),
}


def test_every_configured_part_has_its_data():
    assert set(PART_DATA) == set(CFG.notebooks) == set(CONTRACT), "add the new part to PART_DATA"


@pytest.fixture(scope="module", params=sorted(PART_DATA))
def part(request):
    return request.param


@pytest.fixture(scope="module")
def nb(part):
    return nbformat.read(CFG.solution_notebook(part), as_version=4)


def python(source):
    """A cell's source without IPython's magic lines."""
    return "\n".join("" if line.lstrip().startswith("%") else line for line in source.splitlines())


def code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


def test_notebook_format_and_no_outputs(nb):
    assert (nb.nbformat, nb.nbformat_minor) >= (4, 5) and nb.metadata.kernelspec.name == "python3"
    nbformat.validate(nb)
    assert len({c.id for c in nb.cells}) == len(nb.cells)
    for cell in code_cells(nb):
        assert not cell.outputs and cell.execution_count is None, f"cell {cell.id} has outputs: clear them"


def test_setup_cell_is_current_and_self_check_and_submission_come_last(nb, part):
    code = code_cells(nb)
    assert code[0].source.startswith(SETUP_MARKER)
    assert code[0].source == helper_cell_source(nb, part), "helper cell is stale: run `make notebooks`"
    assert FORM_METADATA.items() <= code[0].metadata.items(), "the helper cell is not a Colab form"
    last_code, call = code[-1].source.strip(), f'self_check(globals(), "{part}")'
    assert last_code == call if PART_DATA[part]["self_check_alone"] else last_code.endswith(call), last_code
    last = nb.cells[-1]
    assert last.cell_type == "markdown" and last.source.startswith("## How to submit")
    assert "File -> Download -> Download .ipynb" in last.source


def test_solution_regions_are_well_formed_and_tagged(nb, part):
    grade_ids = []
    for cell in code_cells(nb)[1:]:
        if BEGIN_SOLUTION not in cell.source:
            continue
        check_markers(cell.source.splitlines(), f"cell {cell.id}")  # raises on malformed markers
        meta = cell.metadata.get("nbgrader", {})
        assert meta.get("solution") is True and meta.get("grade") is False, f"cell {cell.id}: {meta}"
        grade_ids.append(meta["grade_id"])
    assert len(grade_ids) == len(set(grade_ids)) == PART_DATA[part]["solution_cells"], grade_ids


@pytest.fixture(scope="module")
def extraction(nb, part):
    """The notebook's extraction (as the autograder sees it) without the setup cell's helpers."""
    ext = extract([CFG.solution_notebook(part)])
    setup = next(i for i, c in enumerate(nb.cells, start=1) if c.cell_type == "code")
    ext.definitions = {n: d for n, d in ext.definitions.items() if d.cell != setup}
    return ext


def _spec(part, qualname):
    name, _, method = qualname.partition(".")
    return CONTRACT[part][name]["methods"][method] if method else CONTRACT[part][name]


def test_contract_names_signatures_and_loop_policy(extraction, part):
    for name in CONTRACT[part]:
        assert name in extraction.definitions, f"{name} is not defined in the notebook"
    for qualname, policy in loop_policies(part):
        node, spec = function_node(extraction, qualname), _spec(part, qualname)
        assert node is not None, f"{qualname} is not defined in the notebook"
        params = [a.arg for a in node.args.args]
        assert params == spec["params"], f"{qualname} parameters"
        defaults = dict(
            zip(params[len(params) - len(node.args.defaults) :], [ast.literal_eval(d) for d in node.args.defaults])
        )
        assert defaults == spec["defaults"], f"{qualname} defaults"
        if policy == "forbidden":
            assert not loops_in(node), f"{qualname} loops ({loops_in(node)}), which the contract forbids"
        if policy == "required":
            assert loops_in(node), f"{qualname} must use explicit loops"


def test_every_contract_function_is_followed_by_its_check(nb, part):
    """The cell after a contract definition (or the one after that, past a markdown cell) runs its checks."""
    cells = nb.cells
    for name in CONTRACT[part]:
        index = next(
            i
            for i, c in enumerate(cells)
            if c.cell_type == "code"
            and any(
                isinstance(s, (ast.FunctionDef, ast.ClassDef)) and s.name == name
                for s in ast.parse(python(c.source)).body
            )
        )
        following = [c.source for c in cells[index + 1 : index + 4] if c.cell_type == "code"]
        assert any(f'check_function(globals(), "{name}")' in source for source in following), name


def test_no_bare_assert_in_the_notebook(nb):
    """Every check has a verdict and a message: none ends in an AssertionError."""
    for cell in code_cells(nb)[1:]:
        tree = ast.parse(python(cell.source))
        assert not [n for n in ast.walk(tree) if isinstance(n, ast.Assert)], cell.source


def test_every_student_region_sits_in_a_contract_function(nb, part):
    regions = []
    for cell in code_cells(nb)[1:]:
        lines = cell.source.splitlines()
        regions += [enclosing_name(lines, i) for i, ln in enumerate(lines) if ln.strip() == START_CODE]
    assert sorted(regions) == sorted(PART_DATA[part]["regions"])


def test_inline_questions_match_the_rubric(nb, part):
    titles = {q.id: q.title for q in load_rubric().inline if q.part == part}
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
        assert lines[1] == "" and lines[2] == BEGIN_SOLUTION and lines[-1] == END_SOLUTION
        assert len(" ".join(lines[3:-1])) > 200, f"reference answer {qid} is too short to grade against"
        assert answer.metadata["nbgrader"]["grade_id"] == "inline_" + qid.replace(".", "_")
    assert found == titles


def test_part1_cifar10_section_is_optional_and_off():
    sources = [c.source for c in code_cells(nbformat.read(CFG.solution_notebook("part1"), as_version=4))]
    flag = [s for s in sources if "USE_CIFAR10 = False" in s]
    assert len(flag) == 1 and "if USE_CIFAR10:" in flag[0]
    assert not any("download_cifar10(" in s for s in sources[1:] if s not in flag), "CIFAR-10 outside the opt-in"
