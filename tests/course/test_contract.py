"""course/contract.py, course.toml and rubric.toml agree with docs/CONTRACT.md and each other."""

import re

import pytest

from course.config import REPO_ROOT, load_config
from course.contract import CONTRACT, contract_names
from course.rubric import load_rubric

CONTRACT_MD = REPO_ROOT / "docs" / "CONTRACT.md"


@pytest.fixture(scope="module")
def contract_text():
    if not CONTRACT_MD.exists():
        pytest.fail(f"{CONTRACT_MD} is missing: the contract is part of the repository")
    return CONTRACT_MD.read_text()


def test_every_function_in_contract_md_has_our_signature(contract_text):
    # rows like: | `softmax_loss_naive` | `(W, X, y, reg)`, ...
    rows = re.findall(r"^\| `(\w+)` \| `\(([^)]*)\)`", contract_text, flags=re.M)
    assert rows, "could not read the function tables of CONTRACT.md"
    flat = {n: s for p in CONTRACT.values() for n, s in p.items() if "methods" not in s}
    for name, params in rows:
        if params.startswith("self"):
            continue  # method rows: checked below
        assert name in flat, f"CONTRACT.md names {name}, course/contract.py does not"
        assert [p.strip() for p in params.split(",")] == flat[name]["params"]


def test_methods_and_defaults_match_contract_md(contract_text):
    train = re.search(r"`LinearSoftmax.train` \| `\(self, ([^)]*)\)`", contract_text).group(1)
    spec = CONTRACT["part1"]["LinearSoftmax"]["methods"]["train"]
    assert train == ", ".join(
        f"{p}={spec['defaults'][p]!r}" if p in spec["defaults"] else p for p in spec["params"][1:]
    ).replace("0.001", "1e-3").replace("1e-05", "1e-5")
    net_train = re.search(r"\| `train` \| `\(self, ([^)]*)\)`", contract_text).group(1)
    nspec = CONTRACT["part2"]["TwoLayerNet"]["methods"]["train"]
    assert [p.split("=")[0] for p in net_train.split(", ")] == nspec["params"][1:]
    assert "TwoLayerNet(input_size, hidden_size, output_size, std=1e-4)" in contract_text


def test_every_contract_name_is_graded_by_some_rubric_item():
    used = {f for item in load_rubric().auto for f in item.functions}
    assert set(contract_names()) <= used


def test_rubric_points_add_up_and_rescale_example():
    rubric = load_rubric()
    assert rubric.items_total == rubric.max_raw
    assert rubric.rescale(rubric.max_raw) == rubric.out_of and rubric.rescale(0) == 0
    assert {i.part for i in rubric.auto} <= set(load_config().notebooks)
