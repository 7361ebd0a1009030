"""Winnowing: the density/guarantee properties the method is chosen for."""
import os
import subprocess
import sys

import numpy as np
from hypothesis import given, settings, strategies as st

from autograder.similarity.fingerprint import KGRAM, WINDOW, kgram_fingerprints, statement_fingerprints, winnow
from autograder.similarity.tokens import Token, statements

VOCAB = ["V", "N", "=", "+", "(", ")", "np", ".", "sum", "*", "[", "]", ",", "axis"]
runs = st.lists(st.sampled_from(VOCAB), min_size=0, max_size=40)


def toks(words):
    return [Token(w, i) for i, w in enumerate(words)]


@settings(max_examples=150, deadline=None)
@given(runs, runs, st.lists(st.sampled_from(VOCAB), min_size=WINDOW + KGRAM - 1, max_size=30))
def test_any_shared_run_of_guarantee_length_gives_a_common_fingerprint(left, right, shared):
    a = kgram_fingerprints(toks(left + shared + right))
    b = kgram_fingerprints(toks(right + ["+"] + shared + left))
    assert a.elements.keys() & b.elements.keys()


def test_winnow_picks_rightmost_minimum_of_each_window_once():
    h = np.array([5, 3, 3, 9, 1, 7, 7, 2], dtype=np.uint64)
    assert winnow(h, 3).tolist() == [2, 4, 7]
    assert winnow(h[:2], 3).tolist() == [1]
    assert winnow(h[:0], 3).tolist() == []


def test_hashes_do_not_depend_on_the_process():
    # a report must come out the same on any machine and under any PYTHONHASHSEED
    code = ("from autograder.similarity.fingerprint import kgram_fingerprints;"
            "from autograder.similarity.tokens import tokens;"
            "print(sorted(kgram_fingerprints(tokens('a = np.sum(b * c, axis=0) + d.T @ e')).elements))")
    runs = {subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONHASHSEED": seed},
                           capture_output=True, text=True, check=True).stdout for seed in ("1", "2")}
    assert len(runs) == 1 and runs.pop().startswith("[")


def test_fingerprints_are_a_small_share_of_kgrams():
    words = [VOCAB[(i * 7 + i // 3) % len(VOCAB)] for i in range(400)]
    n_kgrams = len(words) - KGRAM + 1
    assert len(kgram_fingerprints(toks(words))) < 0.6 * n_kgrams


def test_statement_multiset_is_order_free_and_counts_repeats():
    one = statement_fingerprints(statements("a = b.sum(axis=0)\nc = d.max(axis=1)\na = b.sum(axis=0)\n"))
    two = statement_fingerprints(statements("c = d.max(axis=1)\na = b.sum(axis=0)\n"))
    assert len(one) == 3 and len(two) == 2
    assert two.elements.keys() <= one.elements.keys()
    short = statement_fingerprints(statements("return x\npass\n"))
    assert len(short) == 0  # too generic to be evidence
