"""Shared by the two vectorization test files: loops found with `ast`."""
from __future__ import annotations

import ast

from course.contract import contract_names, loop_policies

from autograder.checks import NotImplementedFail, function_node, loops_in


def is_stub(node) -> bool:
    """True when the function still raises NotImplementedError (the release's stub)."""
    for n in ast.walk(node):
        if isinstance(n, ast.Raise) and n.exc is not None:
            target = n.exc.func if isinstance(n.exc, ast.Call) else n.exc
            if isinstance(target, ast.Name) and target.id == "NotImplementedError":
                return True
    return False


def helpers_called(ext, node) -> list[str]:
    """Student-defined non-contract functions that `node` calls (one level is
    enough to stop moving a loop into a helper)."""
    contract = set(contract_names())
    called = {n.func.id for n in ast.walk(node) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    return sorted(name for name in called if name in ext.definitions and name not in contract
                  and isinstance(ext.definitions[name].node, (ast.FunctionDef, ast.AsyncFunctionDef)))


def loop_problems(ext, part: str) -> list[str]:
    """One message per function of `part` whose loop policy is 'forbidden' and that loops."""
    problems, stubs = [], []
    for qualname, policy in loop_policies(part):
        node = function_node(ext, qualname)
        if policy != "forbidden" or node is None:
            continue
        if is_stub(node):
            stubs.append(qualname)
            continue
        found = loops_in(node)
        for helper in helpers_called(ext, node):
            found += [f"{f} of {helper}()" for f in loops_in(ext.definitions[helper].node)]
        if found:
            problems.append(f"{qualname} uses a Python loop ({found[0]}); it must be vectorized numpy")
    if stubs and not problems:
        raise NotImplementedFail(f"{', '.join(stubs)} not implemented yet (still raising NotImplementedError)")
    return problems
