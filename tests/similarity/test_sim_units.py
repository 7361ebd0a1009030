"""Which code is compared: each contract function and method as graded, minus the release."""

import random

import pytest
from sim_evasions import as_whole_functions, markers_deleted
from sim_population import REPO, notebooks_for, student_definitions, write_hand_in
from sim_population import load_release as load_population_release

from autograder.extract import extract
from autograder.similarity import units as units_module
from autograder.similarity.evidence import own_statements
from autograder.similarity.submissions import details, load_release
from autograder.similarity.units import student_units, unit_sources

RELEASE_DIR = REPO / "assignments" / "nn_from_scratch"


@pytest.fixture(scope="module")
def population():
    return load_population_release()


@pytest.fixture(scope="module")
def starter():
    return load_release(sorted(RELEASE_DIR.glob("*.ipynb")))


def hand_in(tmp_path, population, defs, extra=None, name="s"):
    write_hand_in(tmp_path / name, notebooks_for(population, defs, {}, extra))
    return sorted((tmp_path / name).glob("*.ipynb"))


def own_keys(found) -> dict[str, list[str]]:
    return {u: [k for k, _, _ in own_statements(code)[1]] for u, code in found.units.items()}


def test_every_contract_function_and_method_is_a_unit(tmp_path, population, starter):
    found = details(hand_in(tmp_path, population, population.definitions), starter)
    assert "TwoLayerNet.loss" in found.units and "LinearSoftmax.predict" in found.units
    assert "softmax_loss_naive" in found.units and "rel_error" not in found.units


def test_the_untouched_release_is_nobody_s_own_code(tmp_path, population, starter):
    found = details(hand_in(tmp_path, population, population.definitions), starter)
    assert all(keys == [] for keys in own_keys(found).values())
    assert not any(u for u in found.prints if not u.startswith("answer"))


def test_only_what_the_student_wrote_is_their_own(tmp_path, population, starter):
    defs = dict(population.definitions)
    defs["relu_forward"] = defs["relu_forward"].replace(
        'raise NotImplementedError("relu_forward: fill in the code between START CODE HERE and END CODE HERE")',
        "out = np.maximum(0, x)",
    )
    found = details(hand_in(tmp_path, population, defs), starter)
    assert own_keys(found)["relu_forward"] == ["np .maximum N0 V call/2 V tuple/2 return"]  # out, cache folded in


@pytest.mark.parametrize("seed", range(4))
def test_markers_are_a_hint_never_a_requirement(tmp_path, population, starter, seed):
    defs = student_definitions(population, random.Random(seed))
    plain = {n: markers_deleted(s, random.Random(0)).source for n, s in defs.items()}
    whole = {n: as_whole_functions(s, random.Random(0)) for n, s in defs.items()}
    a = details(hand_in(tmp_path, population, defs, name="a"), starter)
    for other in (plain, whole):
        b = details(hand_in(tmp_path, population, other, name="b"), starter)
        assert own_keys(a) == own_keys(b)


def test_the_later_definition_wins_as_when_the_notebook_runs(tmp_path, population, starter):
    defs = dict(population.definitions)
    extra = {"relu_forward": "def relu_forward(x):\n    return np.abs(x), x\n"}  # before the real one: loses
    found = details(hand_in(tmp_path, population, defs, extra), starter)
    assert own_keys(found)["relu_forward"] == []


def test_student_helpers_are_inlined_and_release_helpers_are_not(tmp_path, population, starter):
    defs = dict(population.definitions)
    defs["relu_forward"] = "def relu_forward(x):\n    out = _positive(x)\n    return out, rel_error(x, x)\n"
    extra = {"relu_forward": "def _positive(v):\n    return np.maximum(0, v)\n"}
    found = details(hand_in(tmp_path, population, defs, extra), starter)
    keys = own_keys(found)["relu_forward"]
    assert keys == ["np .maximum N0 V call/2 V V V call/2 tuple/2 return"]
    assert [s.label for s in found.units["relu_forward"].segments] == ["relu_forward", "helper _positive"]


def test_a_unit_too_large_to_compare_costs_only_itself(tmp_path, population, starter, monkeypatch):
    defs = dict(population.definitions)
    defs["relu_forward"] = (
        "def relu_forward(x):\n" + "".join(f"    x = x + {i}\n" for i in range(300)) + "    return x, x\n"
    )
    monkeypatch.setattr(units_module, "MAX_UNIT_NODES", 500)
    units_module._cached.cache_clear()
    problems = []
    found = student_units(extract(hand_in(tmp_path, population, defs)), starter.release, problems)
    units_module._cached.cache_clear()
    assert "relu_forward" not in found and "affine_forward" in found
    assert problems == ["relu_forward: more than 500 syntax nodes; not compared"]


def test_methods_keep_their_trailing_comments(population):
    ext = extract(sorted(RELEASE_DIR.glob("*.ipynb")))
    source, _ = unit_sources(ext)["TwoLayerNet.predict"]
    assert source.startswith("def predict(self, X):") and "END CODE HERE" in source


def test_a_helper_s_tokens_point_at_its_lines_in_the_display_text(tmp_path, population, starter):
    defs = dict(population.definitions)
    defs["relu_forward"] = "def relu_forward(x):\n    # comment\n\n    out = _positive(x)\n    return out, x\n"
    extra = {
        "relu_forward": "def _positive(v):\n    '''Keep the positive part.'''\n    kept = np.maximum(0, v)\n"
        "    return kept\n\n\n"
    }
    unit = details(hand_in(tmp_path, population, defs, extra), starter).units["relu_forward"]
    lines = unit.text.splitlines()
    maximum = [t.line for t in unit.own_tokens() if t.text == ".maximum"]
    assert maximum and all("np.maximum(0, v)" in lines[i] for i in maximum)


def test_a_comment_at_column_0_inside_a_class_does_not_hide_a_method(tmp_path, population, starter):
    defs = dict(population.definitions)
    filled = defs["LinearSoftmax"].replace(
        'raise NotImplementedError("LinearSoftmax.predict: fill '
        'in the code between START CODE HERE and END CODE HERE")',
        "y_pred = np.argmax(X @ self.W, axis=1)",
    )
    lines = filled.splitlines()
    at = next(i for i, line in enumerate(lines) if line.strip().startswith("def loss"))
    defs["LinearSoftmax"] = "\n".join(lines[:at] + ["# a comment at column 0"] + lines[at:]) + "\n"
    problems = []
    found = student_units(extract(hand_in(tmp_path, population, defs)), starter.release, problems)
    assert problems == [] and "LinearSoftmax.predict" in found and "LinearSoftmax.loss" in found
