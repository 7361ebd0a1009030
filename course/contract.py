"""The student-facing API of docs/CONTRACT.md, as data.

Pure literals and the standard library only: this file is also pasted into
every notebook's setup cell (by `make notebooks`), where the self-check reads
it, so it must run in a bare Colab runtime.

For every name a student implements: its parameters in order (with defaults
where the contract gives them) and its loop policy:
  "required"  - must use explicit Python loops (the naive version)
  "allowed"   - may loop over iterations (train)
  "forbidden" - vectorized numpy only: no for/while/comprehension/map
"""

CONTRACT = {
    "part1": {
        "softmax_loss_naive": {
            "params": ["W", "X", "y", "reg"], "defaults": {}, "loops": "required",
        },
        "softmax_loss_vectorized": {
            "params": ["W", "X", "y", "reg"], "defaults": {}, "loops": "forbidden",
        },
        "LinearSoftmax": {
            "methods": {
                "train": {
                    "params": ["self", "X", "y", "learning_rate", "reg", "num_iters",
                               "batch_size", "verbose"],
                    "defaults": {"learning_rate": 1e-3, "reg": 1e-5, "num_iters": 100,
                                 "batch_size": 200, "verbose": False},
                    "loops": "allowed",
                },
                "predict": {"params": ["self", "X"], "defaults": {}, "loops": "forbidden"},
                "loss": {"params": ["self", "X_batch", "y_batch", "reg"], "defaults": {},
                         "loops": "forbidden"},
            },
        },
    },
    "part2": {
        "affine_forward": {"params": ["x", "w", "b"], "defaults": {}, "loops": "forbidden"},
        "affine_backward": {"params": ["dout", "cache"], "defaults": {}, "loops": "forbidden"},
        "relu_forward": {"params": ["x"], "defaults": {}, "loops": "forbidden"},
        "relu_backward": {"params": ["dout", "cache"], "defaults": {}, "loops": "forbidden"},
        "softmax_loss": {"params": ["scores", "y"], "defaults": {}, "loops": "forbidden"},
        "TwoLayerNet": {
            "methods": {
                "__init__": {
                    "params": ["self", "input_size", "hidden_size", "output_size", "std"],
                    "defaults": {"std": 1e-4}, "loops": "forbidden",
                },
                "loss": {"params": ["self", "X", "y", "reg"],
                         "defaults": {"y": None, "reg": 0.0}, "loops": "forbidden"},
                "train": {
                    "params": ["self", "X", "y", "X_val", "y_val", "learning_rate",
                               "learning_rate_decay", "reg", "num_iters", "batch_size",
                               "verbose"],
                    "defaults": {"learning_rate": 1e-3, "learning_rate_decay": 0.95,
                                 "reg": 5e-6, "num_iters": 100, "batch_size": 200,
                                 "verbose": False},
                    "loops": "allowed",
                },
                "predict": {"params": ["self", "X"], "defaults": {}, "loops": "forbidden"},
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
