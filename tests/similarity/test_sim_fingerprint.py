"""Winnowing: the density/guarantee properties the method is chosen for."""

import os
import subprocess
import sys

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from autograder.similarity.fingerprint import KGRAM, WINDOW, kgram_fingerprints, statement_fingerprints, winnow

VOCAB = ["V", "N", "=", "+", "np", ".sum", "*", "[]", "call/1", "axis=", "@"]
runs = st.lists(st.sampled_from(VOCAB), min_size=0, max_size=40)


@settings(max_examples=150, deadline=None)
@given(runs, runs, st.lists(st.sampled_from(VOCAB), min_size=WINDOW + KGRAM - 1, max_size=30))
def test_any_shared_run_of_guarantee_length_gives_a_common_fingerprint(left, right, shared):
    a = kgram_fingerprints(left + shared + right)
    b = kgram_fingerprints(right + ["+"] + shared + left)
    assert a.spans.keys() & b.spans.keys()


def test_release_kgrams_never_become_fingerprints():
    texts = ["V", "=", "np", ".sum", "V", "call/1", "V", "*", "N"] * 3
    everything = kgram_fingerprints(texts)
    assert everything.spans
    assert not kgram_fingerprints(texts, starter=set(everything.spans)).spans


def test_fingerprint_spans_point_at_their_tokens():
    texts = [f"t{i}" for i in range(30)]
    for _hash, spans in kgram_fingerprints(texts).spans.items():
        for first, last in spans:
            assert last - first + 1 == KGRAM and 0 <= first and last < len(texts)


def test_winnow_picks_rightmost_minimum_of_each_window_once():
    h = np.array([5, 3, 3, 9, 1, 7, 7, 2], dtype=np.uint64)
    assert winnow(h, 3).tolist() == [2, 4, 7]
    assert winnow(h[:2], 3).tolist() == [1]
    assert winnow(h[:0], 3).tolist() == []


def test_hashes_do_not_depend_on_the_process():
    # a report must come out the same on any machine and under any PYTHONHASHSEED
    code = (
        "from autograder.similarity.fingerprint import kgram_fingerprints;"
        "print(sorted(kgram_fingerprints('V = np .sum V V * call/1 axis= N'.split()).spans))"
    )
    runs = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2")
    }
    assert len(runs) == 1 and runs.pop().startswith("[")


def test_fingerprints_are_a_small_share_of_kgrams():
    words = [VOCAB[(i * 7 + i // 3) % len(VOCAB)] for i in range(400)]
    assert len(kgram_fingerprints(words)) < 0.6 * (len(words) - KGRAM + 1)


def test_statement_multiset_counts_repeats_and_skips_short_and_release_statements():
    a = ("V V .sum axis= call/1 =", 0, 4)
    b = ("V V .max axis= call/1 =", 5, 9)
    one = statement_fingerprints([a, b, a])
    two = statement_fingerprints([b, a])
    assert len(one) == 3 and len(two) == 2 and two.spans.keys() <= one.spans.keys()
    assert len(statement_fingerprints([("V return", 0, 1)])) == 0  # too generic to be evidence
    assert len(statement_fingerprints([a, b], starter={a[0]})) == 1
