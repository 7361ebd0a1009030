"""Shared by the two vectorization test files: the loop rule of course/rules.py
applied to the student's extraction, one test per vectorized function.

A function's loop-free credit counts only when the item that grades its
values has right values (`needs`, see runner.score_item): structure alone
earns nothing for code that computes nothing right."""

from __future__ import annotations

import pytest

from autograder.checks import Fail, NotImplementedFail, expect
from course import rules
from course.contract import loop_policies
from course.rubric import load_rubric
from course.rules import is_stub

# The item that grades a method's values when the rubric lists its class under several items.
VALUE_ITEM = {"TwoLayerNet.predict": "p2_two_layer_train", "TwoLayerNet.train": "p2_two_layer_train"}


def value_item(qualname: str) -> str:
    """The rubric item whose value tests show that `qualname` computes something right."""
    if qualname in VALUE_ITEM:
        return VALUE_ITEM[qualname]
    top = qualname.split(".")[0]
    return next(i.id for i in load_rubric().auto if top in i.functions and not i.id.endswith("_vectorization"))


def forbidden(part: str) -> list[str]:
    return [q for q, policy in loop_policies(part) if policy == "forbidden"]


def loop_tests(part: str, item: str, weights: dict[str, float]):
    """pytest.mark.parametrize over the part's vectorized functions, each graded under
    `item` with its weight (default 1) and needing its own value item."""
    return pytest.mark.parametrize(
        "qualname",
        [
            pytest.param(
                q,
                id=q,
                marks=pytest.mark.graded(
                    item=item, weight=weights.get(q, 1.0), kind="structure", needs=(value_item(q),)
                ),
            )
            for q in forbidden(part)
        ],
    )


def function_node(ext, qualname: str):
    """The ast node of `name` or `Class.method` in a student's extraction (None if absent)."""
    return rules._node(ext.definition_nodes(), qualname)


def check_no_loops(ext, qualname: str, part: str) -> None:
    node = function_node(ext, qualname)
    if node is None:
        if qualname.endswith(".__init__") and qualname.split(".")[0] in ext.definitions:
            return  # no constructor of its own: nothing that could loop
        raise Fail(f"{qualname} is not defined, so there is nothing vectorized to credit")
    if is_stub(node):
        raise NotImplementedFail(f"{qualname} is not implemented yet (it raises NotImplementedError)")
    problem = ext.loop_problems(part).get(qualname)
    expect(
        problem is None,
        problem or "",
        "replace the loop with numpy operations on whole arrays (broadcasting, fancy indexing, matrix products)",
    )


def check_loops(ext, qualname: str, convention_text: str) -> None:
    """The naive version must loop over its examples itself (a convention), by course.rules."""
    node = function_node(ext, qualname)
    if node is not None and is_stub(node):
        raise NotImplementedFail(f"{qualname} is not implemented yet (it raises NotImplementedError)")
    problem = rules.required_loop_problem(ext.definition_nodes(), qualname)
    expect(problem is None, f"{problem}{convention_text}")
