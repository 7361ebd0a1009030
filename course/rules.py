"""The rules a notebook's self-check and the hidden grader both apply, in one place.

Pasted into the notebooks' helper cell (standard library and numpy only, no
`from __future__`), and imported by the autograder, so a student's own check
and the grade judge a submission by the same code:

  numbers       as_number            a loss as a float: a float, an int or any 1-element array
  comparisons   rel_error, rel_error_where
  gradients     eval_numerical_gradient, eval_numerical_gradient_array
  signatures    signature_problem    a signature is right when every call the grader makes binds
  loops         loop_problems        no loop over data in a vectorized function, following
                                     every function and method it reaches
"""

import ast
import inspect

import numpy as np

try:  # as a module of the kit; in a notebook CONTRACT was pasted just above
    from course.contract import CONTRACT
except ImportError:
    pass


# ------------------------------------------------------------------ numbers


def as_number(value):
    """A loss as a Python float, by the contract's rule: a float or an int
    (not a bool), a numpy scalar, or any array holding exactly one real number
    (shape (), (1,), (1, 1), ...). Raises ValueError saying what it got."""
    if isinstance(value, np.ndarray) and value.size == 1 and value.dtype.kind in "fiu":
        value = value.reshape(()).item()
    elif isinstance(value, np.generic) and value.dtype.kind in "fiu":
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"expected a single number, got {_describe(value)}")
    try:
        number = float(value)
    except OverflowError:
        raise NotFinite("it is too large to be a float") from None
    if not np.isfinite(number):
        raise NotFinite(f"it is {number} (not finite)")
    return number


class NotFinite(ValueError):
    """A loss that is a number but inf or nan (overflow, log of 0...)."""


def _describe(value):
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    if isinstance(value, (tuple, list)):
        return f"a {type(value).__name__} of length {len(value)}"
    return "None" if value is None else f"a {type(value).__name__}"


# -------------------------------------------------------------- comparisons

# Entries that are ~0 in both arrays are compared on the arrays' own scale:
# the denominator of the relative error is at least this share of the
# largest magnitude in either array (and never below TINY).
SCALE_FLOOR = 1e-2
TINY = 1e-12


def rel_error_where(x, y):
    """(largest relative error, index of that entry) between two arrays or numbers.

    Per entry |x - y| / (|x| + |y|), the denominator floored at
    SCALE_FLOOR x the largest magnitude in x or y: gradient entries that are
    ~1e-12 in one array and 0 in the other are equal on the arrays' scale."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    scale = max(float(np.max(np.abs(x), initial=0.0)), float(np.max(np.abs(y), initial=0.0)))
    denom = np.maximum(np.abs(x) + np.abs(y), max(SCALE_FLOOR * scale, TINY))
    err = np.abs(x - y) / denom
    if not err.size:
        return 0.0, ()
    idx = np.unravel_index(int(np.argmax(np.where(np.isnan(err), np.inf, err))), err.shape)
    return float(err[idx]), idx


def rel_error(x, y):
    """Largest relative error between two arrays (or numbers) of one shape.
    Rule of thumb for float64 gradients: < 1e-7 is right, > 1e-4 is a bug."""
    return rel_error_where(x, y)[0]


# ---------------------------------------------------------------- gradients


def eval_numerical_gradient(f, x, h=1e-5):
    """Centered-difference gradient of a scalar function f at x.

    f: callable taking the array x and returning a number.
    x: float array of any shape; each entry is nudged by +-h IN PLACE and
       restored, so f may read x itself (a closure over a parameter array).
    Returns grad, shaped like x: grad[i] ~ (f(x + h e_i) - f(x - h e_i)) / 2h.
    """
    grad = np.zeros(x.shape, dtype=np.float64)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + h
        f_plus = as_number(f(x))
        x[idx] = old - h
        f_minus = as_number(f(x))
        x[idx] = old  # restore before the next entry
        grad[idx] = (f_plus - f_minus) / (2 * h)
    return grad


def eval_numerical_gradient_array(f, x, df, h=1e-5):
    """Numerical gradient of sum(f(x) * df) with respect to x.

    For a layer f: x -> out and df = dL/dout (shaped like out), this is dL/dx
    by the chain rule: what a backward pass returns. x is nudged in place and
    restored. Returns an array shaped like x."""
    grad = np.zeros(x.shape, dtype=np.float64)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + h
        out_plus = np.array(f(x), dtype=np.float64)  # a copy: f may reuse a buffer
        x[idx] = old - h
        out_minus = np.array(f(x), dtype=np.float64)
        x[idx] = old
        grad[idx] = np.sum((out_plus - out_minus) * df) / (2 * h)
    return grad


# --------------------------------------------------------------- signatures
# A signature matches the contract when every call the grader makes binds:
# the required parameters in their order and number (their names are free),
# the documented keywords by name, extra parameters only with defaults.

_PLACEHOLDER = object()


def signature_of_node(fn):
    """inspect.Signature of an ast FunctionDef (defaults replaced by a placeholder)."""
    a = fn.args
    P = inspect.Parameter
    positional = [(p, P.POSITIONAL_ONLY) for p in a.posonlyargs] + [(p, P.POSITIONAL_OR_KEYWORD) for p in a.args]
    first_default = len(positional) - len(a.defaults)
    params = [
        P(p.arg, kind, default=_PLACEHOLDER if i >= first_default else P.empty)
        for i, (p, kind) in enumerate(positional)
    ]
    if a.vararg:
        params.append(P(a.vararg.arg, P.VAR_POSITIONAL))
    params += [
        P(p.arg, P.KEYWORD_ONLY, default=P.empty if d is None else _PLACEHOLDER)
        for p, d in zip(a.kwonlyargs, a.kw_defaults)
    ]
    if a.kwarg:
        params.append(P(a.kwarg.arg, P.VAR_KEYWORD))
    return inspect.Signature(params)


def _decorator_names(fn):
    return {d.id for d in fn.decorator_list if isinstance(d, ast.Name)}


def method_signature_of_node(fn):
    """A method's signature as an instance calls it (self dropped; a
    staticmethod keeps all its parameters). None when a decorator other than
    staticmethod/classmethod makes it unknowable from the source."""
    decorators = _decorator_names(fn)
    if len(fn.decorator_list) > len(decorators & {"staticmethod", "classmethod"}):
        return None
    sig = signature_of_node(fn)
    return sig if "staticmethod" in decorators else _drop_first(sig)


def method_signature_of_object(cls, name):
    """The same for a live class (the notebook's self-check): self dropped."""
    raw = inspect.getattr_static(cls, name)
    if isinstance(raw, staticmethod):
        return inspect.signature(raw.__func__)
    target = raw.__func__ if isinstance(raw, classmethod) else raw
    return _drop_first(inspect.signature(target))


def _drop_first(sig):
    params = list(sig.parameters.values())
    if params and params[0].kind in (params[0].POSITIONAL_ONLY, params[0].POSITIONAL_OR_KEYWORD):
        return sig.replace(parameters=params[1:])
    if params and params[0].kind == params[0].VAR_POSITIONAL:
        return sig  # def m(*args): self is args[0], the rest still binds
    raise ValueError("takes no self parameter")


SIGNATURE_FIX = "keep the required parameters in the starter code's order and give any extra parameter a default value"


def call_text(label, call):
    """How the grader calls it: ("TwoLayerNet.loss", ["X", "y", "reg="]) -> "loss(X, y, reg=)"."""
    short = label.rsplit(".", 1)[-1]
    if short == "__init__":
        short = label.split(".")[0]
    return f"{short}({', '.join(call)})"


def signature_problem(sig, qualname, contract=None):
    """None when every call the grader makes to `qualname` binds to `sig`
    (an inspect.Signature as the caller sees it: a method's without self;
    None for a signature that cannot be known from the source, judged by
    calling it), else one sentence saying which call fails and why
    (SIGNATURE_FIX says how to fix it)."""
    spec = _spec(contract or CONTRACT, qualname)
    if sig is None:
        return None
    for call in spec["calls"]:
        positional = [_PLACEHOLDER for a in call if not a.endswith("=")]
        keywords = {a[:-1]: _PLACEHOLDER for a in call if a.endswith("=")}
        try:
            sig.bind(*positional, **keywords)
        except TypeError as exc:
            return f"{qualname} cannot be called the way the grader calls it, {call_text(qualname, call)}: {exc}"
    return None


def signature_problem_of_node(node, qualname, contract=None):
    """signature_problem for an ast def (a method's `self` is dropped here)."""
    if "." not in qualname:
        return signature_problem(signature_of_node(node), qualname, contract)
    try:
        sig = method_signature_of_node(node)
    except ValueError:
        return f"{qualname} has no self parameter; write it as def {node.name}(self, ...)"
    return signature_problem(sig, qualname, contract)


def signature_problem_of_object(obj, qualname, contract=None):
    """signature_problem for a live function, or for a live class when
    `qualname` is "Class.method" (the notebook's self-check)."""
    try:
        if "." in qualname:
            sig = method_signature_of_object(obj, qualname.split(".", 1)[1])
        else:
            sig = inspect.signature(obj)
    except ValueError:
        return f"{qualname} has no self parameter"
    except (TypeError, AttributeError):
        return f"{qualname} is not a function with a readable signature"
    return signature_problem(sig, qualname, contract)


def _spec(contract, qualname):
    name, _, method = qualname.partition(".")
    spec = next(part[name] for part in contract.values() if name in part)
    return spec["methods"][method] if method else spec


# --------------------------------------------------------------------- loops
# "No loops" forbids work per example or per class: for/while loops,
# comprehensions, map/filter/reduce, np.vectorize and friends, recursion, and
# code run from strings (exec/eval), in the function itself and in every
# function, method or class of the student's that it reaches. Iterating over
# the parameter dictionary (self.params, its keys/items/values, or a literal
# list of its keys) is not a loop over data, and neither is iterating over an
# array's shape (x.shape[1:], range(x.ndim)) or over a short literal
# (a tuple of constants, range(3)): none does work per example or per class.

_LOOP_NODES = {
    ast.For: "a for loop",
    ast.AsyncFor: "a for loop",
    ast.While: "a while loop",
    ast.ListComp: "a list comprehension",
    ast.SetComp: "a set comprehension",
    ast.DictComp: "a dict comprehension",
    ast.GeneratorExp: "a generator expression",
}
_LOOPING_CALLS = {
    "map": "map()",
    "filter": "filter()",
    "reduce": "reduce()",
    "starmap": "starmap()",
    "accumulate": "accumulate()",
    "vectorize": "np.vectorize (a Python loop)",
    "frompyfunc": "np.frompyfunc (a Python loop)",
    "apply_along_axis": "np.apply_along_axis (a Python loop)",
    "fromiter": "np.fromiter (a Python loop)",
    "imap": "a pool's imap()",
    "imap_unordered": "a pool's imap_unordered()",
    "map_async": "a pool's map_async()",
    "starmap_async": "a pool's starmap_async()",
}
_DYNAMIC_CALLS = {"exec", "eval", "compile", "__import__"}
_MAKES_LOOPING = {"vectorize", "frompyfunc"}  # return a function that loops in Python
_DICT_VIEWS = {"keys", "items", "values"}
# iterations of a constant range or literal that are not a loop over data: the parameter
# dictionary's four keys, a shape's dimensions (a hard-coded range(10) over classes is a loop)
SMALL_LITERAL = 4
_WRAPPERS = {"list", "tuple", "sorted", "reversed", "enumerate", "iter"}


def _param_keys(contract):
    return {k for part in contract.values() for spec in part.values() for k in spec.get("param_keys", [])}


def _is_shape_iterable(expr):
    """x.shape, x.shape[1:], range(x.ndim), range(len(x.shape)), a literal of constants,
    range(<small constant>): at most a handful of iterations, none over data."""
    if isinstance(expr, ast.Attribute) and expr.attr == "shape":
        return True
    if isinstance(expr, ast.Subscript):
        return _is_shape_iterable(expr.value)
    if isinstance(expr, (ast.List, ast.Tuple, ast.Set)):
        return len(expr.elts) <= SMALL_LITERAL and all(isinstance(e, ast.Constant) for e in expr.elts)
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name):
        args = expr.args
        if expr.func.id in _WRAPPERS and len(args) == 1:
            return _is_shape_iterable(args[0])
        if expr.func.id == "range" and args:
            return all(_is_small_count(a) for a in args)
    return False


def _is_small_count(expr):
    """A range bound that is not a data size: a small constant, x.ndim, len(x.shape)."""
    if isinstance(expr, ast.Constant):
        return isinstance(expr.value, int) and abs(expr.value) <= SMALL_LITERAL
    if isinstance(expr, ast.Attribute) and expr.attr == "ndim":
        return True
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and expr.func.id == "len" and expr.args:
        return _is_shape_iterable(expr.args[0])
    if isinstance(expr, ast.BinOp):
        return _is_small_count(expr.left) and _is_small_count(expr.right)
    if isinstance(expr, ast.UnaryOp):
        return _is_small_count(expr.operand)
    return False


def _not_data(expr, keys, bound):
    return (
        _is_param_iterable(expr, keys, bound)
        or _is_shape_iterable(expr)
        or (isinstance(expr, ast.Name) and expr.id in bound.shapes)
        or _is_short_zip(expr, keys, bound)
    )


def _is_short_literal(expr, bound):
    """A tuple or list of at most SMALL_LITERAL names or constants, none of them an input
    of the function (dW1, db1, ...: not X or y): at most a handful of iterations."""
    return (
        isinstance(expr, (ast.List, ast.Tuple))
        and 0 < len(expr.elts) <= SMALL_LITERAL
        and all(
            isinstance(e, ast.Constant) or (isinstance(e, ast.Name) and e.id not in bound.inputs) for e in expr.elts
        )
    )


def _is_short_zip(expr, keys, bound):
    """zip(...) or enumerate(...) over short literals (and other iterables that are not data):
    zip(("W1", "b1", "W2", "b2"), (dW1, db1, dW2, db2)), enumerate((dW1, dW2))."""
    if not (isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and expr.args and not expr.keywords):
        return False
    if expr.func.id == "zip":
        args = expr.args
    elif expr.func.id == "enumerate" and len(expr.args) == 1:
        args = expr.args[:1]
    else:
        return False
    return all(_is_short_literal(a, bound) or _not_data(a, keys, bound) for a in args)


def _is_param_iterable(expr, keys, bound):
    """True when `expr` iterates over the parameter dictionary (not over data)."""
    if (
        isinstance(expr, ast.Attribute)
        and expr.attr == "params"
        and isinstance(expr.value, ast.Name)
        and expr.value.id == "self"
    ):
        return True
    if isinstance(expr, ast.Name):
        return expr.id in bound
    if isinstance(expr, (ast.List, ast.Tuple, ast.Set)):
        return bool(expr.elts) and all(isinstance(e, ast.Constant) and e.value in keys for e in expr.elts)
    if isinstance(expr, ast.Dict):
        return bool(expr.keys) and all(isinstance(k, ast.Constant) and k.value in keys for k in expr.keys)
    if isinstance(expr, ast.Call):
        f = expr.func
        if isinstance(f, ast.Attribute) and f.attr in _DICT_VIEWS and not expr.args:
            return _is_param_iterable(f.value, keys, bound)
        if isinstance(f, ast.Name) and f.id in _WRAPPERS | {"dict"} and len(expr.args) == 1:
            return _is_param_iterable(expr.args[0], keys, bound)
        if isinstance(f, ast.Name) and f.id == "zip" and expr.args:  # keys paired with short literals
            return any(_is_param_iterable(a, keys, bound) for a in expr.args) and all(
                _is_param_iterable(a, keys, bound) or _is_short_literal(a, bound) for a in expr.args
            )
    if isinstance(expr, (ast.DictComp, ast.GeneratorExp)):  # {k: ... for k in self.params}, dict(... for ...)
        return all(_is_param_iterable(g.iter, keys, bound) for g in expr.generators)
    return False


_READ_ONLY = {"keys", "items", "values", "get", "copy"}


def _param_bound_names(fn, keys):
    """Local names that hold the parameter dictionary or one like it: every
    assignment is a parameter-dictionary iterable (grads = {k: 0 for k in
    self.params}, names = ['W1', 'W2']) or an empty dict filled only at
    parameter keys: grads['W1'] = ..., or grads[k] = ... inside a loop whose
    k runs over the parameters or over grads itself, and nothing else is put in
    it (no update(), no other key). Also `.shapes`: names holding a shape."""
    values, calls = {}, {}
    for node in ast.walk(fn):
        targets = (
            node.targets
            if isinstance(node, ast.Assign)
            else [node.target]
            if isinstance(node, (ast.AnnAssign, ast.AugAssign, ast.For, ast.comprehension))
            else []
        )
        value = getattr(node, "value", None)
        for t in targets:
            if isinstance(t, ast.Name):
                values.setdefault(t.id, []).append(value if isinstance(node, (ast.Assign, ast.AnnAssign)) else None)
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.attr not in _READ_ONLY
        ):
            calls.setdefault(node.func.value.id, []).append(node.func.attr)
    stores = _keyed_stores(fn)
    bound = _Bound()
    bound.inputs = {a.arg for a in ast.walk(fn.args) if isinstance(a, ast.arg)} - {"self", "cls"}
    bound.shapes = {
        name for name, exprs in values.items() if all(e is not None and _is_shape_iterable(e) for e in exprs)
    }
    changed = True
    while changed:  # names defined from other such names
        changed = False
        for name, exprs in values.items():
            if name in bound or name in calls:
                continue
            filled_right = all(_is_param_key(key, loops, name, keys, bound) for key, loops in stores.get(name, []))
            if filled_right and all(
                e is not None and (_is_param_iterable(e, keys, bound) or (isinstance(e, ast.Dict) and not e.keys))
                for e in exprs
            ):
                bound.add(name)
                changed = True
    return bound


class _Bound(set):
    """Names holding the parameter dictionary (the set), `shapes`: names holding a shape,
    and `inputs`: the function's own parameters (its data)."""

    shapes: set = set()
    inputs: set = set()


def _keyed_stores(fn):
    """{dict name: [(key expression, the for loops around the store, innermost last)]}."""
    out = {}

    def visit(node, loops):
        if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store) and isinstance(node.value, ast.Name):
            out.setdefault(node.value.id, []).append((node.slice, loops))
        inner = loops + [node] if isinstance(node, (ast.For, ast.AsyncFor)) else loops
        for child in ast.iter_child_nodes(node):
            visit(child, inner)

    visit(fn, [])
    return out


def _is_param_key(key, loops, name, keys, bound):
    """A store's key is a parameter key: a constant one, or the variable of an enclosing
    loop over the parameters or over the dictionary `name` itself."""
    if isinstance(key, ast.Constant):
        return key.value in keys
    if not isinstance(key, ast.Name):
        return False
    for loop in loops:
        it = (
            loop.iter.func.value
            if isinstance(loop.iter, ast.Call)
            and isinstance(loop.iter.func, ast.Attribute)
            and loop.iter.func.attr in _DICT_VIEWS
            else loop.iter
        )
        over_itself = isinstance(it, ast.Name) and it.id == name
        if (over_itself or _is_param_iterable(loop.iter, keys, bound)) and key.id in {
            n.id for n in ast.walk(loop.target) if isinstance(n, ast.Name)
        }:
            return True
    return False


# Builtins that call a function of the student's once per element: sorted/min/max
# with key=, iter(function, sentinel). (list(range(N)) as an index, sum(losses)
# and the like iterate in Python but do no work of the student's per example.)
_ITERATING_BUILTINS = {"sorted", "iter", "min", "max"}
# Names that reach code the rule cannot follow: computed attribute names, the
# namespaces themselves, the builtins module.
_DYNAMIC_NAMES = {"globals", "locals", "vars", "__builtins__", "builtins", "importlib", "methodcaller"}


def loops_in(fn, contract=None, aliases=None):
    """[(line, what)] for every loop over data directly inside `fn` (an ast
    def), nested defs and lambdas included; line counts from fn's `def` (1).

    Besides for/while loops and comprehensions over data: any mention (called
    or not, so aliases and functools.partial count) of map/filter/reduce and the
    other looping functions, under their own name, imported under another
    (`from functools import reduce as fold`), fetched by getattr with a constant
    name, or under a top-level name bound to one (`aliases`, from
    looping_aliases); builtins such as sum/sorted/list/min/max iterating
    over something that is not a shape, a short literal or the parameter
    dictionary; code the rule cannot follow (exec/eval, getattr with a computed
    name, globals(), builtins, functools, itertools, operator); and a local
    function or lambda that calls itself."""
    keys = _param_keys(contract or CONTRACT)
    bound = _param_bound_names(fn, keys)
    # a top-level alias counts unless the function binds the name itself
    local = {n.id for n in ast.walk(fn) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)}
    local |= {a.arg for a in ast.walk(fn) if isinstance(a, ast.arg)}
    aliases = {name: what for name, what in (aliases or {}).items() if name not in local}
    first = fn.lineno
    found = []
    # reduce(f, x.shape[1:]) and the like: a looping function over a shape is no loop over data
    exempt = {
        id(n.func)
        for n in ast.walk(fn)
        if isinstance(n, ast.Call)
        and (_looping_key(n.func) in _LOOPING_CALLS or (isinstance(n.func, ast.Name) and n.func.id in aliases))
        and n.args[1:]
        and all(_not_data(a, keys, bound) for a in n.args[1:])
    }
    for node in ast.walk(fn):
        line = getattr(node, "lineno", first) - first + 1
        what = None if id(node) in exempt else _loop_at(node, keys, bound, aliases)
        if what:
            found.append((line, what))
    found += [(line - first + 1, "recursion") for line in _local_recursion(fn)]
    # per line, the most telling first: a named looping function before a builtin iterating over it
    return sorted(found, key=lambda f: (f[0], "over data" in f[1]))


def _loop_at(node, keys, bound, aliases=None):
    """What loop over data `node` is (a phrase), or None."""
    if isinstance(node, (ast.For, ast.AsyncFor)):
        return None if _not_data(node.iter, keys, bound) else _LOOP_NODES[type(node)]
    if isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
        return None if all(_not_data(g.iter, keys, bound) for g in node.generators) else _LOOP_NODES[type(node)]
    if isinstance(node, ast.While):
        return "a while loop"
    if aliases and isinstance(node, ast.Name) and node.id in aliases and isinstance(node.ctx, ast.Load):
        return aliases[node.id]
    if isinstance(node, ast.alias):  # import map, reduce, vectorize... under any name
        key = node.name.rsplit(".", 1)[-1]
        if key in _LOOPING_CALLS or key in _DYNAMIC_CALLS:
            return _callable_phrase(key) + (f" imported as {node.asname}" if node.asname else "")
        return None
    key = _getattr_constant(node)
    if key in _LOOPING_CALLS or key in _DYNAMIC_CALLS:
        return f"{_callable_phrase(key)} fetched with getattr"
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):  # np.__dict__["vectorize"]
        key = node.slice.value
        if isinstance(key, str) and (key in _LOOPING_CALLS or key in _DYNAMIC_CALLS):
            return f"{_callable_phrase(key)} fetched from a namespace"
    name = _name_of(node)
    if name in _LOOPING_CALLS:
        return _LOOPING_CALLS[name]
    if name in _DYNAMIC_CALLS or name in _DYNAMIC_NAMES:
        return f"{name} (code the loop check cannot follow)"
    if isinstance(node, ast.Call):
        return _iterating_call(node, keys, bound)
    return None


def _name_of(node):
    return node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else None


def _callable_phrase(key):
    return _LOOPING_CALLS.get(key) or f"{key} (code the loop check cannot follow)"


def _getattr_constant(node):
    """ "vectorize" for getattr(np, "vectorize") (a constant attribute name), else None."""
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "getattr"
        and len(node.args) >= 2
        and isinstance(node.args[1], ast.Constant)
        and isinstance(node.args[1].value, str)
    ):
        return node.args[1].value
    return None


def _looping_key(expr, aliases=None):
    """The looping or dynamic callable an expression stands for ("map", "reduce", "vectorize",
    "eval"...), or None: the name itself, np.vectorize, ft.reduce, getattr(np, "vectorize"),
    functools.partial(map, f), np.vectorize(f), either branch of a conditional, or a name in `aliases`
    ({name: key} of the names bound to one so far)."""
    if isinstance(expr, ast.Name):
        if expr.id in _LOOPING_CALLS or expr.id in _DYNAMIC_CALLS:
            return expr.id
        return (aliases or {}).get(expr.id)
    if isinstance(expr, ast.Attribute):
        return expr.attr if expr.attr in _LOOPING_CALLS or expr.attr in _DYNAMIC_CALLS else None
    if isinstance(expr, ast.Call):
        key = _getattr_constant(expr)
        if key in _LOOPING_CALLS or key in _DYNAMIC_CALLS:
            return key
        if _name_of(expr.func) == "partial" and expr.args:
            return _looping_key(expr.args[0], aliases)
        if _looping_key(expr.func, aliases) in _MAKES_LOOPING:  # np.vectorize(f) loops when called
            return _looping_key(expr.func, aliases)
    if isinstance(expr, ast.Subscript):  # np.__dict__["vectorize"], vars(functools)["reduce"]
        key = expr.slice.value if isinstance(expr.slice, ast.Constant) else None
        if isinstance(key, str) and (key in _LOOPING_CALLS or key in _DYNAMIC_CALLS):
            return key
    if isinstance(expr, ast.IfExp):
        return _looping_key(expr.body, aliases) or _looping_key(expr.orelse, aliases)
    return None


def looping_aliases(definitions, contract=None):
    """{top-level name: what it is} for the names of `definitions` bound to a looping or
    dynamic callable: `_each = map`, `vec = np.vectorize`, `fold = getattr(functools, "reduce")`,
    `from functools import reduce as fold`, a name bound to another such name, and a lambda
    that loops (`rows = lambda X: [r for r in X]`). `definitions` may hold, besides the defs
    and classes, the Assign, Import and ImportFrom statements that bind top-level names
    (see top_level_bindings); a function that mentions one of these names loops."""
    keys, phrases = {}, {}
    changed = True
    while changed:  # a = map; b = a; ...
        changed = False
        for name, node in definitions.items():
            if name in keys or name in phrases:
                continue
            key = _binding_key(name, node, keys)
            if key:
                keys[name] = key
                phrases[name] = f"{_callable_phrase(key)} under the name {name}"
                changed = True
            elif isinstance(node, (ast.Assign, ast.AnnAssign)) and isinstance(node.value, ast.Lambda):
                loops = loops_in(node.value, contract, phrases)
                if loops:
                    phrases[name] = f"{loops[0][1]} in the lambda {name}"
                    changed = True
    return phrases


def _binding_key(name, node, keys):
    if isinstance(node, ast.ImportFrom):
        return next(
            (
                a.name
                for a in node.names
                if (a.asname or a.name) == name and (a.name in _LOOPING_CALLS or a.name in _DYNAMIC_CALLS)
            ),
            None,
        )
    if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
        return _looping_key(node.value, keys)
    return None


def top_level_bindings(statements):
    """{name: statement} for the top-level assignments and imports among `statements`
    (ast statements or source texts; a later one wins): what to add to `definitions`
    so that the loop rule sees top-level aliases of looping functions. A text that does
    not parse is left out."""
    out = {}
    for stmt in statements:
        if isinstance(stmt, str):
            try:
                body = ast.parse(stmt).body
            except (SyntaxError, ValueError):
                continue
        else:
            body = [stmt]
        for node in body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for a in node.names:
                    out[a.asname or a.name.split(".")[0]] = node
            elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for t in targets:
                    if isinstance(t, ast.Name):
                        out[t.id] = node
    return out


def _iterating_call(call, keys, bound):
    func = call.func
    if (
        isinstance(func, ast.Name)
        and func.id == "getattr"
        and len(call.args) >= 2
        and not isinstance(call.args[1], ast.Constant)
    ):
        return "getattr with a computed name (code the loop check cannot follow)"
    if not isinstance(func, ast.Name) or func.id not in _ITERATING_BUILTINS:
        return None
    per_element = any(k.arg == "key" for k in call.keywords) or (func.id == "iter" and len(call.args) == 2)
    if not per_element or all(_not_data(a, keys, bound) for a in call.args[:1]):
        return None
    return f"{func.id}() calling a function per element (a Python loop)"


ITERATION_PROTOCOL = {"__iter__", "__next__", "__getitem__", "__len__", "__reversed__"}


def _local_recursion(fn):
    """Lines of local functions and lambdas that call themselves by their own name, of
    calls that pass a function to itself (go(0, go): recursion without a name), and of
    local classes that Python iterates by calling their methods (__getitem__, __iter__)."""
    lines = []
    for node in ast.walk(fn):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and any(
                isinstance(a, ast.Name) and a.id == node.func.id
                for a in (*node.args, *(k.value for k in node.keywords))
            )
        ):
            lines.append(node.lineno)
            continue
        if isinstance(node, ast.ClassDef) and ITERATION_PROTOCOL & set(_methods(node)):
            lines.append(node.lineno)
            continue
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node is not fn:
            body, name = node, node.name
        elif (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Lambda)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
        ):
            body, name = node.value, node.targets[0].id
        else:
            continue
        if any(isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Load) for n in ast.walk(body)):
            lines.append(node.lineno)
    return lines


def is_stub(node):
    """True when a def still raises NotImplementedError (the release's stub)."""
    for n in ast.walk(node):
        if isinstance(n, ast.Raise) and n.exc is not None:
            target = n.exc.func if isinstance(n.exc, ast.Call) else n.exc
            if isinstance(target, ast.Name) and target.id == "NotImplementedError":
                return True
    return False


def _methods(node):
    return {s.name: s for s in getattr(node, "body", []) if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))}


def _reached(fn, owner, definitions):
    """Student functions/methods `fn` refers to: [(label, node, owner class or None)]."""
    out = []
    for node in ast.walk(fn):
        if isinstance(node, ast.Name) and node.id in definitions:
            target = _resolved(definitions, node.id)
            if isinstance(target, ast.ClassDef):
                out += [(f"{target.name}.{m}", n, node.id) for m, n in _methods(target).items()]
            elif isinstance(target, (ast.FunctionDef, ast.AsyncFunctionDef)):
                out.append((target.name, target, None))
        elif (
            owner
            and isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in ("self", "cls", owner)
            and node.attr in _methods(definitions[owner])
        ):
            out.append((f"{owner}.{node.attr}", _methods(definitions[owner])[node.attr], owner))
    return out


def _resolved(definitions, name):
    """The def or class `name` stands for: through top-level `alias = name` assignments."""
    target, seen = definitions.get(name), {name}
    while (
        isinstance(target, ast.Assign)
        and isinstance(target.value, ast.Name)
        and target.value.id in definitions
        and target.value.id not in seen
    ):
        seen.add(target.value.id)
        target = definitions[target.value.id]
    return target


def _policy(label, contract):
    name, _, method = label.partition(".")
    for part in contract.values():
        if name in part:
            spec = part[name]
            if method:
                return spec.get("methods", {}).get(method, {}).get("loops")
            return spec.get("loops")
    return None


def first_loop(start, owner, definitions, contract=None, aliases=None):
    """The first loop over data reachable from `start` (an ast def named by
    `owner.method` or a function): (text, where) or None. Follows calls and
    references to the student's functions, classes and self.methods, through
    any depth; a contract function that is itself vectorized is judged on its
    own and not entered; recursion counts as a loop. `aliases`: looping_aliases(definitions),
    computed here when not given."""
    contract = contract or CONTRACT
    aliases = looping_aliases(definitions, contract) if aliases is None else aliases
    seen = {id(start)}
    todo = [(start, owner, None)]
    while todo:
        fn, cls, via = todo.pop(0)
        loops = loops_in(fn, contract, aliases)
        if loops:
            line, what = loops[0]
            where = f"line {line} of it" if via is None else f"line {line} of {via}, which it calls"
            return what, where + ", counting the def line as line 1"
        for label, node, node_owner in _reached(fn, cls, definitions):
            if node is start or (via is not None and node is fn):
                return "recursion", f"{label} calls itself" if node is fn else f"{label} calls back into it"
            if label.rsplit(".", 1)[-1] in ITERATION_PROTOCOL and node_owner != owner:
                return "a class Python iterates in a loop", f"{label}, which it reaches"
            if id(node) in seen or _policy(label, contract) == "forbidden":
                continue
            seen.add(id(node))
            todo.append((node, node_owner, label))
    return None


def required_loop_problem(definitions, qualname, contract=None):
    """None when `qualname` (policy "required": the naive loss) loops over its own data,
    else why not. The loop must iterate over something computed from the function's
    inputs (range(X.shape[0]), zip(X, y), range(N) with N = len(y)...), not a constant,
    and do work with what it iterates: its body reads the loop variable (a while loop:
    a variable the loop changes, outside a bare counter update such as i += 1), so
    `for i in range(N): pass` next to vectorized code is no loop version;
    and the function must not reach a vectorized contract function (a "naive" loss that
    calls softmax_loss_vectorized and loops for show is not the loop version)."""
    contract = contract or CONTRACT
    node = _node(definitions, qualname)
    if node is None:
        return f"{qualname} is not defined"
    vectorized = _reaches_vectorized(node, qualname.split(".")[0] if "." in qualname else None, definitions, contract)
    if vectorized:
        return f"{qualname} calls {vectorized}, the vectorized version, instead of looping itself"
    params = {a.arg for a in (*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs)} - {"self", "reg"}
    loops = _loops_over(node, params)
    if loops == "idle":
        return (
            f"{qualname} loops over its examples but does nothing with them: the body of its loop never "
            "uses the loop variable (for i in range(N): ... X[i] ..., or the rows that zip(X, y) gives)"
        )
    if not loops:
        return f"{qualname} has no Python loop over its examples (for i in range(N), N taken from X or y)"
    return None


def _reaches_vectorized(start, owner, definitions, contract):
    seen, todo = {id(start)}, [(start, owner)]
    while todo:
        fn, cls = todo.pop()
        for label, node, node_owner in _reached(fn, cls, definitions):
            if _policy(label, contract) == "forbidden":
                return label
            if id(node) not in seen:
                seen.add(id(node))
                todo.append((node, node_owner))
    return None


def _loops_over(fn, params):
    """Whether some loop of `fn` iterates over something computed from `params` and does
    work with what it iterates: "yes", "idle" (such loops exist, none does work: `for i
    in range(N): pass`) or "" (no such loop)."""
    derived = set(params)
    changed = True
    while changed:  # N = X.shape[0]; num_train = N; ...
        changed = False
        for node in ast.walk(fn):
            if isinstance(node, ast.Assign) and _mentions(node.value, derived):
                for t in node.targets:
                    for n in ast.walk(t):
                        if isinstance(n, ast.Name) and n.id not in derived:
                            derived.add(n.id)
                            changed = True
    verdict = ""
    for node in ast.walk(fn):
        if isinstance(node, (ast.For, ast.AsyncFor)) and _mentions(node.iter, derived):
            works = _loads_any(node.body, _stored(node.target))
        elif isinstance(node, ast.While) and _mentions(node.test, derived):
            works = _while_works(node)
        elif isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)) and any(
            _mentions(g.iter, derived) for g in node.generators
        ):
            works = _comprehension_works(node)
        else:
            continue
        if works:
            return "yes"
        verdict = "idle"
    return verdict


def _stored(target):
    return {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}


def _loads_any(nodes, names):
    """Whether any of `nodes` (statements or expressions) reads one of `names`."""
    return any(
        isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and n.id in names
        for node in nodes
        for n in ast.walk(node)
    )


def _comprehension_works(node):
    """A comprehension whose element (or a later condition or loop) reads what it iterates."""
    parts = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
    for k, g in enumerate(node.generators):
        later = parts + g.ifs + [x for h in node.generators[k + 1 :] for x in (h.iter, *h.ifs)]
        if _loads_any(later, _stored(g.target)):
            return True
    return False


def _while_works(loop):
    """A while loop whose body reads a variable the loop changes, in a statement that is
    not just a counter's update (i += 1, total = total + 1, x = 0)."""
    changed = set()
    for stmt in loop.body:
        for n in ast.walk(stmt):
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
                changed.add(n.id)
    for stmt in loop.body:
        for inner in ast.walk(stmt):
            if not isinstance(inner, ast.stmt) or _is_counter_update(inner, changed):
                continue
            if isinstance(inner, (ast.For, ast.AsyncFor, ast.While, ast.If, ast.With, ast.Try)):
                heads = [getattr(inner, a) for a in ("iter", "test") if hasattr(inner, a)]
                heads += [i.context_expr for i in getattr(inner, "items", [])]
                if _loads_any(heads, changed):
                    return True
                continue  # the statements inside are visited on their own
            if _loads_any([inner], changed):
                return True
    return False


def _is_counter_update(stmt, changed):
    """i += 1, i = i + 1, total = 0: a name set from itself and things the loop does not change."""
    if isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name):
        return not _loads_any([stmt.value], changed)
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
        own = stmt.targets[0].id
        return not _loads_any([stmt.value], changed - {own})
    return False


def _mentions(expr, names):
    return any(isinstance(n, ast.Name) and n.id in names for n in ast.walk(expr))


def loop_problems(definitions, part, contract=None):
    """{qualified name: sentence} for each function or method of `part` whose
    policy is "forbidden" and that reaches a loop over data.

    definitions: top-level name -> ast FunctionDef/ClassDef, every function and
    class the student defined (the grader's extraction, or the notebook's
    live objects parsed with inspect.getsource), and optionally the top-level
    assignments and imports (top_level_bindings) through which a looping
    function can be reached under another name."""
    contract = contract or CONTRACT
    aliases = looping_aliases(definitions, contract)
    problems = {}
    for name, spec in contract[part].items():
        targets = (
            [(f"{name}.{m}", s, name) for m, s in spec["methods"].items()]
            if "methods" in spec
            else [(name, spec, None)]
        )
        for qualname, mspec, owner in targets:
            if mspec["loops"] != "forbidden":
                continue
            node = _node(definitions, qualname)
            found = node is not None and first_loop(node, owner, definitions, contract, aliases)
            if found:
                what, where = found
                problems[qualname] = f"{qualname} uses {what} ({where}); it must be vectorized numpy"
    return problems


def _node(definitions, qualname):
    name, _, method = qualname.partition(".")
    node = definitions.get(name)
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return None  # not defined, or a top-level assignment or import
    if not method:
        return node
    return _methods(node).get(method)
