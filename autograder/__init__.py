"""The hidden autograder: notebooks in, grades and feedback out.

Student code only ever runs in sandboxed child processes (autograder.sandbox);
this package's own process parses, compares and scores.
"""
