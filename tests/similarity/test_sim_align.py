"""The side-by-side view: matching regions on the same rows, moved code marked where it is."""

import textwrap

from autograder.similarity import align
from autograder.similarity.evidence import Starter, code_fingerprints
from autograder.similarity.units import Release, analyse_unit

ORIGINAL = """
def f(W, X, y, reg):
    n = X.shape[0]
    scores = X.dot(W)
    scores -= np.max(scores, axis=1, keepdims=True)
    probs = np.exp(scores)
    probs /= probs.sum(axis=1, keepdims=True)
    loss = -np.log(probs[np.arange(n), y]).mean()
    return loss
"""
COPY = """
def f(W, X, y, reg):
    # my own version
    m = X.shape[0]
    s = X.dot(W)
    s -= np.max(s, axis=1, keepdims=True)
    extra = 1
    p = np.exp(s)
    p /= p.sum(axis=1, keepdims=True)
    loss = -np.log(p[np.arange(m), y]).mean()
    return loss
"""


def side(source: str) -> align.Side:
    unit = analyse_unit("f", textwrap.dedent(source).strip() + "\n", {}, Release(), {})
    return align.Side(unit.text.splitlines(), unit.own_tokens(), set(), code_fingerprints(unit, Starter()))


def test_matching_lines_share_rows_and_the_rest_is_padded():
    rows = align.rows(side(ORIGINAL), side(COPY), common=set())
    paired = [(ln.text.strip(), r.text.strip()) for ln, r in rows if ln and r and ln.state == r.state == align.MATCH]
    assert ("probs = np.exp(scores)", "p = np.exp(s)") in paired
    assert ("probs /= probs.sum(axis=1, keepdims=True)", "p /= p.sum(axis=1, keepdims=True)") in paired
    only_right = [r.text.strip() for ln, r in rows if ln is None and r is not None]
    assert "# my own version" in only_right and "extra = 1" in only_right
    numbers = [c.number for c in (ln for ln, _ in rows) if c is not None]
    assert numbers == sorted(numbers) == list(range(1, len(numbers) + 1))  # every line once, in order


def test_moved_code_is_marked_with_the_line_it_matches():
    first = (
        "def f(X):\n    total = X.sum(axis=0) * X.shape[1]\n    top = X.max(axis=1) - X.min(axis=1)\n"
        "    return total.mean() + top.mean() + total.std() * top.std()\n"
    )
    lines = first.splitlines()
    moved = "\n".join([lines[0], lines[2], lines[1], lines[3]]) + "\n"  # the two computations swapped
    rows = align.rows(side(first), side(moved), common=set())
    cells = [c for pair in rows for c in pair if c is not None]
    assert any(c.elsewhere for c in cells if c.state == align.MATCH)


def test_common_idioms_are_shown_apart_from_evidence():
    a, b = side(ORIGINAL), side(COPY)
    everything = set(a.prints.spans) & set(b.prints.spans)
    states = {c.state for pair in align.rows(a, b, common=everything) for c in pair if c is not None}
    assert align.IDIOM in states and align.MATCH not in states
