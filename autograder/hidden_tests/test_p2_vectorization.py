"""Part 2 vectorization: only train may loop (course/rules.py, through every helper reached)."""

from autograder.hidden_tests.vectorization import check_no_loops, loop_tests


@loop_tests("part2", "p2_vectorization", {"TwoLayerNet.__init__": 0.5})
def test_no_loops(ext, qualname):
    check_no_loops(ext, qualname, "part2")
