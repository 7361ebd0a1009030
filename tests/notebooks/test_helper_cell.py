"""The generated helper cells (course/helper_cell.py): per part, only what the part uses,
runnable in a bare Colab runtime, free of the kit's internals, with the course data as
literals taken from course.toml, rubric.toml and the reference solution."""

import ast
import re
import sys

import nbformat
import pytest
from hypothesis import given
from hypothesis import strategies as st

from course.config import load_config
from course.helper_cell import (
    FORM_METADATA,
    PACKAGE,
    SOURCES,
    Statement,
    _closure,
    helper_cell_source,
    render,
    title_line,
)
from course.markers import SETUP_MARKER
from course.notebook_data import KNOWN_ANSWERS, values_for
from course.rubric import load_rubric

CFG = load_config()
# Modules a student's fresh Colab runtime has (besides the standard library); google.colab only in Colab.
RUNTIME = {"numpy", "matplotlib", "sklearn", "google"}
# Words that belong to the kit's development, not to a student's notebook.
INTERNALS = re.compile(
    r"make (notebooks|release)|course/|course\.|docs/|CONTRACT\.md|tests/|\.\./shared|"
    r"nbgrader|autograder|pytest|sync_notebooks|solutions/",
    re.I,
)


@pytest.fixture(scope="module", params=sorted(CFG.notebooks))
def part(request):
    return request.param


@pytest.fixture(scope="module")
def cell(part):
    nb = nbformat.read(CFG.solution_notebook(part), as_version=4)
    return next(c for c in nb.cells if c.cell_type == "code")


def top_level(source):
    return {s.name for s in ast.parse(source).body if isinstance(s, (ast.FunctionDef, ast.ClassDef))}


def test_the_cell_is_a_titled_colab_form(cell, part):
    assert cell.source.splitlines()[0] == title_line(part) and title_line(part).startswith(SETUP_MARKER)
    assert '{ display-mode: "form" }' in title_line(part)
    assert FORM_METADATA.items() <= cell.metadata.items()


def test_it_runs_alone_with_only_the_colab_runtime(cell):
    tree = ast.parse(cell.source, feature_version=(3, 10))  # Colab's Python may be older than ours
    assert not any(isinstance(n, ast.ImportFrom) and n.module == "__future__" for n in ast.walk(tree))
    modules = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    modules |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert modules - set(sys.stdlib_module_names) <= RUNTIME, modules - set(sys.stdlib_module_names)
    namespace = {"__name__": "__main__"}
    exec(compile(cell.source, "<helper cell>", "exec"), namespace)
    assert callable(namespace["self_check"]) and callable(namespace["check_function"])


def test_nothing_about_the_kit_internals(cell):
    assert not INTERNALS.findall(cell.source), sorted(set(INTERNALS.findall(cell.source)))


def test_each_part_carries_only_the_helpers_it_uses(part):
    sources = {
        p: next(c for c in nbformat.read(CFG.solution_notebook(p), as_version=4).cells if c.cell_type == "code").source
        for p in CFG.notebooks
    }
    defined = top_level(sources[part])
    other = "part2" if part == "part1" else "part1"
    only_here = {
        "part1": {"download_cifar10", "load_cifar10", "grad_check_sparse"},
        "part2": {"make_spirals", "plot_decision_boundary", "check_gradients"},
    }
    assert only_here[part] <= defined and not (only_here[other] & defined)
    assert list(values_for(part)["CONTRACT"]) == [part]
    assert re.search(rf"^KNOWN_ANSWERS = {{\n    '{part}'", sources[part], re.M)
    assert f"'{other}'" not in sources[part]


def test_every_helper_the_notebook_calls_is_defined_and_listed(cell, part):
    nb = nbformat.read(CFG.solution_notebook(part), as_version=4)
    used = {
        n.id
        for c in nb.cells
        if c.cell_type == "code" and not c.source.startswith(SETUP_MARKER)
        for n in ast.walk(ast.parse("\n".join(ln for ln in c.source.splitlines() if not ln.startswith("%"))))
        if isinstance(n, ast.Name)
    }
    helpers = set().union(*(top_level((PACKAGE / f"{module}.py").read_text()) for module, _ in SOURCES))
    called = used & helpers
    assert {"self_check", "check_function", "load_digits_split"} <= called <= top_level(cell.source)
    index = cell.source.split("\n\n\n")[1]
    assert all(f"#   {name} " in index for name in called if not name.startswith("_")), index


def test_course_data_comes_from_its_sources(cell, part):
    namespace = {}
    exec(compile(cell.source, "<helper cell>", "exec"), namespace)
    assert namespace["COURSE_SEED"] == CFG.seed
    assert (namespace["DIGITS_VAL_SIZE"], namespace["DIGITS_TEST_SIZE"]) == (
        CFG.data["val_size"],
        CFG.data["test_size"],
    )
    assert namespace["SPEEDUP_MIN"] == CFG.grading["grader_speedup_min"]
    assert namespace["INLINE_QUESTIONS"] == {part: [q.id for q in load_rubric().inline if q.part == part]}
    assert namespace["KNOWN_ANSWERS"] == {part: KNOWN_ANSWERS[part]}
    assert namespace["load_digits_split"].__defaults__[0] == CFG.seed


def test_a_changed_course_toml_changes_the_cell(monkeypatch):
    from course import notebook_data

    nb = nbformat.read(CFG.solution_notebook("part1"), as_version=4)
    monkeypatch.setattr(notebook_data, "COURSE_SEED", 12345)
    assert "COURSE_SEED = 12345\n" in helper_cell_source(nb, "part1")


def test_a_name_defined_in_two_modules_is_refused():
    a = Statement("rules", "def f(): pass", {"f"})
    b = Statement("check_report", "def f(): return 1", {"f"})
    with pytest.raises(ValueError, match="'f' is defined in course/rules.py, course/check_report.py"):
        _closure([a, b], {"f"})


def test_the_closure_keeps_what_is_used_in_source_order():
    a = Statement("rules", "def a(): return b()", {"a"}, {"b"})
    b = Statement("rules", "def b(): pass", {"b"})
    c = Statement("rules", "def c(): pass", {"c"})
    assert _closure([a, b, c], {"a"}) == [a, b]


literals = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda children: st.lists(children, max_size=6) | st.dictionaries(st.text(max_size=10), children, max_size=6),
    max_leaves=40,
)


@given(literals)
def test_render_writes_a_literal_that_reads_back_the_same(value):
    text = render(value, 0, 10)
    assert ast.literal_eval(text) == value
    assert all(len(line) <= 100 for line in text.splitlines() if "'" not in line and '"' not in line)
