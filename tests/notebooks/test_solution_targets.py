"""Each solution notebook, run top to bottom on one core, reaches the course targets,
and every visible check in it says PASS, down to the self-check's "Ready to submit.".

The notebook runs in a fresh kernel (tests/notebooks/nbrun.py), saved in the kernel's
working directory as Jupyter would have it (the self-check reads the inline answers
from that file); the values it computed are checked against course.toml [targets]. Part 1's
speedup is only reported here:
bench/vectorization.py asserts it (timing is too noisy for the suite).
The fast convention checks are in test_solution_conventions.py.
"""

import math
import operator

import pytest
from nbrun import run_notebook, stream_text

from course.config import load_config

CFG = load_config()
# part -> the variables its notebook must leave behind
RESULT_NAMES = {
    "part1": ["test_accuracy", "speedup"],
    "part2": ["spiral_linear_accuracy", "spiral_net_accuracy", "test_accuracy", "SEED"],
}
# part -> [(result, comparison, course.toml [targets] key)]
BOUNDS = {
    "part1": [("test_accuracy", operator.ge, "digits_softmax_test_acc_min")],
    "part2": [
        ("spiral_linear_accuracy", operator.le, "spirals_linear_acc_max"),
        ("spiral_net_accuracy", operator.ge, "spirals_net_acc_min"),
        ("test_accuracy", operator.ge, "digits_net_test_acc_min"),
    ],
}


@pytest.mark.slow
@pytest.mark.parametrize("part", sorted(RESULT_NAMES))
def test_solution_notebook_runs_on_one_core_and_reaches_the_targets(part):
    targets, names = CFG.targets, RESULT_NAMES[part]
    cells = []
    values, seconds = run_notebook(
        CFG.solution_notebook(part), names, timeout=int(targets["notebook_seconds_max"]), outputs=cells
    )
    print(f"{part} solution: {values} in {seconds:.1f} s")  # shown with -rA / on failure
    printed = stream_text(cells)
    verdicts = [line for line in printed.splitlines() if line.startswith(("PASS", "FAIL", "????"))]
    assert len(verdicts) > 30 and all(line.startswith("PASS") for line in verdicts), printed
    assert "\nReady to submit.\n" in printed, printed[-3000:]
    for name in names:
        if name != "SEED":
            assert isinstance(values[name], float), f"{name} should be a plain float, got {values[name]!r}"
    if "SEED" in names:
        assert values["SEED"] == CFG.seed, "the notebook's SEED is not the course seed of course.toml"
    if "speedup" in names:
        assert math.isfinite(values["speedup"]) and values["speedup"] > 0  # reported, asserted by the bench
    for name, compare, key in BOUNDS[part]:
        assert compare(values[name], targets[key]), f"{name} = {values[name]}, target {key} = {targets[key]}"
    assert seconds <= targets["notebook_seconds_max"], f"the notebook took {seconds:.1f} s"


def test_every_configured_part_has_targets():
    assert set(RESULT_NAMES) == set(BOUNDS) == set(CFG.notebooks), "add the new part's results and bounds"
