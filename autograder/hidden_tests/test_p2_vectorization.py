"""Part 2 vectorization: only train may loop (checked with ast)."""
import pytest

from autograder.checks import expect
from autograder.hidden_tests.vectorization import loop_problems


@pytest.mark.graded(item="p2_vectorization", weight=1)
def test_no_loops_outside_train(ext):
    problems = loop_problems(ext, "part2")
    expect(not problems, "; ".join(problems))
