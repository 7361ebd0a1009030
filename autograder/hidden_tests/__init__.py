"""The hidden tests: pytest files run in the grader's process by autograder.runner.

They never reach assignments/. Each test carries its rubric item and weight as
data, `@pytest.mark.graded(item="p1_softmax_naive", weight=2)`; the item's
points come only from course/rubric.toml. Fixtures (from plugin.py):
  student  StudentCode over the sandbox holding all of the student's code
  classes  StudentCode over a sandbox holding the student's classes with the
           REFERENCE layer/loss functions, so LinearSoftmax/TwoLayerNet are
           graded on their own (a bug in affine_backward costs p2_affine only)
  ref      the reference namespace (solution notebooks)
  ext      the student's Extraction (for ast checks)
  rng      numpy Generator seeded from the course seed and the test's name
  digits   the digits split, preprocessed (bias trick) -> dict
  digits_net  same without the bias column
"""
