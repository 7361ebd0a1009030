"""Module-level names a contract function reads are loaded as the notebook binds them:
computed values (a lambda, a call) only where they are read as globals, in notebook order,
never an experiment that runs the contract's code, and never rebound by the kit's helper cells."""

from __future__ import annotations

from autograder.cell_parser import release_cells
from autograder.extract import extract_cells
from autograder.notebook_io import Cell
from autograder.runner import sandbox_chunks


def cells(*sources: str) -> list[Cell]:
    return [Cell("part2_two_layer_net.ipynb", i + 1, "code", s) for i, s in enumerate(sources)]


def loaded(*sources: str) -> list[str]:
    return [c.label for c in sandbox_chunks(extract_cells(cells(*sources)), "functions")]


def test_a_lambda_and_a_computed_constant_are_loaded_where_read():
    labels = loaded(
        "import numpy as np\nrelu = lambda v: np.maximum(v, 0.0)\nTINY = np.finfo(np.float64).tiny",
        "def relu_forward(x):\n    return relu(x) + 0 * TINY, x",
    )
    assert labels.index("constant relu") < labels.index("relu_forward")
    assert "constant TINY" in labels


def test_an_alias_loads_after_the_function_it_names():
    labels = loaded(
        "def _lse(s):\n    return s.max()\n\nlse = _lse",
        "def softmax_loss(scores, y):\n    return lse(scores), scores",
    )
    assert labels.index("_lse") < labels.index("constant lse") < labels.index("softmax_loss")


def test_a_local_of_the_same_name_does_not_pull_a_computed_global():
    labels = loaded(
        "import numpy as np\nW = np.random.randn(3073, 10)",
        "def softmax_loss(scores, y):\n    W = scores\n    return W.sum(), W",
    )
    assert "constant W" not in labels


def test_an_experiment_that_runs_the_contract_is_never_loaded():
    labels = loaded(
        "def relu_forward(x):\n    return x * (x > 0), x\n\nout = relu_forward(3.0)",
        "def relu_backward(dout, cache):\n    return dout * (cache > 0) + 0 * out[0]",
    )
    assert "constant out" not in labels


def test_the_kit_helper_cells_do_not_rebind_a_students_name():
    kit = next(c for c in release_cells() if "\nTINY = " in "\n" + c)
    ext = extract_cells(cells("import numpy as np\nTINY = np.finfo(np.float64).tiny", kit))
    assert "np.finfo" in ext.constants["TINY"]


def test_the_loop_rule_follows_a_module_level_alias():
    ext = extract_cells(
        cells(
            "import numpy as np\n"
            "def softmax_loss_naive(W, X, y, reg):\n"
            "    loss = 0.0\n"
            "    for i in range(X.shape[0]):\n"
            "        loss += float(X[i] @ W[:, y[i]])\n"
            "    return loss, W\n"
            "fast = softmax_loss_naive\n"
            "faster = fast\n"
            "a = b\nb = a\n"
            "def softmax_loss_vectorized(W, X, y, reg):\n"
            "    return faster(W, X, y, reg)"
        )
    )
    assert "softmax_loss_vectorized" in ext.loop_problems("part1")
