"""The student-facing API of docs/CONTRACT.md, as data.

Pure literals and the standard library only: this file is also pasted into
every notebook's setup cell, where the self-check reads it, so it must run in
a bare Colab runtime.

For every name a student implements:
  params    its parameters in the documented order (the names are the starter
            code's; a student may rename them, see course/rules.py)
  defaults  the documented defaults
  calls     every way the grader calls it: positional arguments by their
            documented name, then keyword arguments written "name=". A
            signature is right when each of these calls binds (course/rules.py);
            tests/autograder/test_contract_calls.py checks that the hidden
            tests make no other call
  loops     "required"  must use explicit Python loops (the naive version)
            "allowed"   may loop over iterations (train)
            "forbidden" vectorized numpy only: no for/while/comprehension/map
                        over data (loops over the parameter dictionary are fine)
"""

CONTRACT: dict[str, dict[str, dict]] = {  # part -> name -> its spec (keys above)
    "part1": {
        "softmax_loss_naive": {
            "params": ["W", "X", "y", "reg"],
            "defaults": {},
            "loops": "required",
            "calls": [["W", "X", "y", "reg"]],
        },
        "softmax_loss_vectorized": {
            "params": ["W", "X", "y", "reg"],
            "defaults": {},
            "loops": "forbidden",
            "calls": [["W", "X", "y", "reg"]],
        },
        "LinearSoftmax": {
            "methods": {
                "__init__": {"params": ["self"], "defaults": {}, "loops": "forbidden", "calls": [[]]},
                "train": {
                    "params": ["self", "X", "y", "learning_rate", "reg", "num_iters", "batch_size", "verbose"],
                    "defaults": {
                        "learning_rate": 1e-3,
                        "reg": 1e-5,
                        "num_iters": 100,
                        "batch_size": 200,
                        "verbose": False,
                    },
                    "loops": "allowed",
                    "calls": [["X", "y", "learning_rate=", "reg=", "num_iters=", "batch_size="]],
                },
                "predict": {"params": ["self", "X"], "defaults": {}, "loops": "forbidden", "calls": [["X"]]},
                "loss": {
                    "params": ["self", "X_batch", "y_batch", "reg"],
                    "defaults": {},
                    "loops": "forbidden",
                    "calls": [["X_batch", "y_batch", "reg"]],
                },
            },
        },
    },
    "part2": {
        "affine_forward": {"params": ["x", "w", "b"], "defaults": {}, "loops": "forbidden", "calls": [["x", "w", "b"]]},
        "affine_backward": {
            "params": ["dout", "cache"],
            "defaults": {},
            "loops": "forbidden",
            "calls": [["dout", "cache"]],
        },
        "relu_forward": {"params": ["x"], "defaults": {}, "loops": "forbidden", "calls": [["x"]]},
        "relu_backward": {
            "params": ["dout", "cache"],
            "defaults": {},
            "loops": "forbidden",
            "calls": [["dout", "cache"]],
        },
        "softmax_loss": {"params": ["scores", "y"], "defaults": {}, "loops": "forbidden", "calls": [["scores", "y"]]},
        "TwoLayerNet": {
            # the keys of self.params; loops over them are not loops over data
            "param_keys": ["W1", "b1", "W2", "b2"],
            "methods": {
                "__init__": {
                    "params": ["self", "input_size", "hidden_size", "output_size", "std"],
                    "defaults": {"std": 1e-4},
                    "loops": "forbidden",
                    "calls": [["input_size", "hidden_size", "output_size", "std="]],
                },
                "loss": {
                    "params": ["self", "X", "y", "reg"],
                    "defaults": {"y": None, "reg": 0.0},
                    "loops": "forbidden",
                    "calls": [["X"], ["X", "y", "reg="]],
                },
                "train": {
                    "params": [
                        "self",
                        "X",
                        "y",
                        "X_val",
                        "y_val",
                        "learning_rate",
                        "learning_rate_decay",
                        "reg",
                        "num_iters",
                        "batch_size",
                        "verbose",
                    ],
                    "defaults": {
                        "learning_rate": 1e-3,
                        "learning_rate_decay": 0.95,
                        "reg": 5e-6,
                        "num_iters": 100,
                        "batch_size": 200,
                        "verbose": False,
                    },
                    "loops": "allowed",
                    "calls": [
                        [
                            "X",
                            "y",
                            "X_val",
                            "y_val",
                            "learning_rate=",
                            "learning_rate_decay=",
                            "reg=",
                            "num_iters=",
                            "batch_size=",
                        ]
                    ],
                },
                "predict": {"params": ["self", "X"], "defaults": {}, "loops": "forbidden", "calls": [["X"]]},
            },
        },
    },
}


def contract_names(part=None):
    """Top-level names (functions and classes) students define, in contract order."""
    parts = [part] if part else list(CONTRACT)
    return [name for p in parts for name in CONTRACT[p]]


def part_of(name):
    """Which part ("part1"/"part2") defines a contract name."""
    for part, names in CONTRACT.items():
        if name in names:
            return part
    raise KeyError(name)


def loop_policies(part=None):
    """[(qualified name, policy)], e.g. ("LinearSoftmax.predict", "forbidden")."""
    out = []
    parts = [part] if part else list(CONTRACT)
    for p in parts:
        for name, spec in CONTRACT[p].items():
            if "methods" in spec:
                out += [(f"{name}.{m}", s["loops"]) for m, s in spec["methods"].items()]
            else:
                out.append((name, spec["loops"]))
    return out


def spec_of(qualname):
    """The contract entry of "name" or "Class.method"."""
    name, _, method = qualname.partition(".")
    spec = CONTRACT[part_of(name)][name]
    return spec["methods"][method] if method else spec


def param_keys():
    """Every key of a contract class's parameter dictionary (self.params)."""
    return {k for p in CONTRACT.values() for spec in p.values() for k in spec.get("param_keys", [])}


# Conventions a student could not guess from the maths alone: the notebooks
# state each one where `stated` says and check it visibly, and the grader's
# feedback names it and that place when it deducts for it
# (tests/notebooks/test_conventions_stated.py checks the notebooks say so).
CONVENTIONS = {
    "relu_zero": {
        "rule": "relu_backward gives dx = 0 where the forward input x is exactly 0",
        "stated": "Part 2 notebook, the docstring of relu_backward",
    },
    "dout_unchanged": {
        "rule": "a backward function never modifies dout (or any other input) in place",
        "stated": "Part 2 notebook, the docstrings of affine_backward and relu_backward",
    },
    "naive_loops": {
        "rule": "softmax_loss_naive computes the loss and gradient with explicit Python loops over the examples",
        "stated": "Part 1 notebook, the docstring of softmax_loss_naive",
    },
}
