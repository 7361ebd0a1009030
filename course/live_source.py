"""The code of the functions and classes a notebook defined, found from the live objects.

The loop rule (rules.loop_problems) judges code, as the grader does. In a
notebook that code is the cells the student ran: IPython keeps the text of
every cell it runs (in linecache), so each top-level def or class can be
found again from its object, by the cell its code came from and the line
it starts on. The grader reads the same definitions from the saved notebook.
"""

import ast
import builtins
import functools
import inspect
import itertools
import linecache
import types

import numpy as np

from course.rules import _DYNAMIC_CALLS, _LOOPING_CALLS


def definitions_from_namespace(namespace):
    """{name: ast node} for every function and class the notebook itself
    defined (not these helpers, not imported ones): the `definitions`
    rules.loop_problems expects. Objects whose code cannot be read (typed at a
    console, made by exec) are left out. A name the notebook bound to a looping
    function (`_each = map`, `from functools import reduce as fold`,
    functools.partial(map, f)) is there as the assignment `_each = map`, and a
    lambda as the statement that made it: the loop rule counts their use as a loop."""
    module = namespace.get("__name__", "__main__")
    trees = {}
    found = {}
    looping = _looping_objects()
    for name, obj in list(namespace.items()):
        if name.startswith("__"):
            continue
        target = obj.func if isinstance(obj, functools.partial) else obj
        key = "vectorize" if isinstance(target, np.vectorize) else next((k for o, k in looping if o is target), None)
        if key is not None and name.isidentifier():
            found[name] = ast.parse(f"{name} = {key}").body[0]
            continue
        if getattr(obj, "__module__", None) != module:
            continue
        node = definition_node(obj, trees)
        if node is not None:
            found[name] = node
    return found


def _looping_objects():
    """[(object, its name in the loop rule)]: map, functools.reduce, np.vectorize, eval..."""
    out = []
    for key in (*_LOOPING_CALLS, *_DYNAMIC_CALLS):
        for home in (builtins, functools, itertools, np):
            obj = getattr(home, key, None)
            if obj is not None:
                out.append((obj, key))
    return out


def definition_node(obj, trees=None):
    """The top-level ast def/class statement that created `obj`, or None.

    trees caches parsed cells between calls ({file name: ast.Module or None})."""
    code = _code_of(obj)
    if code is None or code.co_filename == definition_node.__code__.co_filename:
        return None  # nothing to read, or one of these helpers
    trees = {} if trees is None else trees
    if code.co_filename not in trees:
        trees[code.co_filename] = _parse("".join(linecache.getlines(code.co_filename)))
    tree = trees[code.co_filename]
    if tree is None:
        return None
    line = code.co_firstlineno
    is_class = inspect.isclass(obj)
    match = None
    for stmt in tree.body:  # a later definition in the same cell wins, as when it runs
        if (
            is_class
            and isinstance(stmt, ast.ClassDef)
            and stmt.name == obj.__name__
            and stmt.lineno <= line <= stmt.end_lineno
        ):
            match = stmt
        elif (
            not is_class
            and isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef))
            and line in {stmt.lineno} | {d.lineno for d in stmt.decorator_list}
        ):
            match = stmt
        elif (  # name = lambda ...: the assignment, whose lambda the loop rule reads
            not is_class
            and obj.__name__ == "<lambda>"
            and isinstance(stmt, ast.Assign)
            and isinstance(stmt.value, ast.Lambda)
            and stmt.value.lineno == line
        ):
            match = stmt
    return match


def _code_of(obj):
    """The code object that places obj in its cell: a function's own code, or
    the code of the first method written in a class's body."""
    if callable(obj) and hasattr(obj, "__wrapped__"):  # functools.wraps, lru_cache...
        obj = inspect.unwrap(obj)
    if isinstance(obj, types.FunctionType):
        return obj.__code__
    if not inspect.isclass(obj):
        return None
    for member in vars(obj).values():
        func = (
            member.__func__
            if isinstance(member, (staticmethod, classmethod))
            else member.fget
            if isinstance(member, property)
            else member
        )
        if isinstance(func, types.FunctionType) and func.__qualname__.startswith(obj.__qualname__ + "."):
            return func.__code__
    return None


def _parse(text):
    """ast.Module of a cell's text; lines IPython did not turn into Python
    (magics, shell escapes) are blanked first. None when it still does not parse."""
    if not text:
        return None
    for attempt in (
        text,
        "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in text.splitlines()),
    ):
        try:
            return ast.parse(attempt)
        except (SyntaxError, ValueError):
            continue
    return None
